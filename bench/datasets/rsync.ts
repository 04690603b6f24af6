// npm run bench datasets: (1) an incremental rsync snapshot of a 20,000-file tree with 1 % of the
// files changed, `sysmanifest datasets sync` (the bundle, as users run it) against the same rsync
// command and rename typed by hand, interleaved, each with its own chain of snapshots; (2)
// `sysmanifest datasets status` over 50 datasets with 10 snapshots each. Plain directories on
// this host (no loop device).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { snapshotName } from '../../src/services/datasets/rsync.ts';
import { median, row } from '../lib/stats.ts';

const CLI = new URL('../../bin/sysmanifest.js', import.meta.url).pathname;
const stamp = (t: number): string => snapshotName(new Date(t));
const time = (f: () => void): number => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};

export function benchDatasets(runs: number): { sync: number[]; hand: number[]; status: number[]; files: number; changed: number } {
  const dir = mkdtempSync('/var/tmp/sysmanifest-bench-ds-');
  try {
    const src = join(dir, 'src');
    const files: string[] = [];
    for (let d = 0; d < 200; d++) {
      mkdirSync(join(src, `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) {
        const p = join(src, `d${d}`, `f${f}.dat`);
        writeFileSync(p, Buffer.alloc(1024 + ((d * 100 + f) % 7) * 1024, d + f));
        files.push(p);
      }
    }
    const hand = join(dir, 'hand/photos');
    const sm = join(dir, 'sm');
    mkdirSync(hand, { recursive: true });
    mkdirSync(sm, { recursive: true });
    const manifest = join(dir, 'm.yaml');
    writeFileSync(manifest, `apiVersion: sysmanifest/v1\nhost:\n  hostname: bench\ndatasets:\n  - name: photos\n    path: ${src}\n    role: copy\n    kind: rsync\n    sources: [x]\n    targets: [${sm}]\n`);
    const rsyncArgs = ['-aHAX', '--numeric-ids', '--modify-window=-1'];
    // The first snapshot of each chain (not measured).
    execFileSync('rsync', [...rsyncArgs, `${src}/`, `${join(hand, stamp(Date.now() - 3_600_000))}/`]);
    execFileSync(process.execPath, [CLI, 'datasets', 'sync', '--manifest', manifest]);
    const out = { sync: [] as number[], hand: [] as number[], status: [] as number[], files: files.length, changed: 0 };
    let gen = 0;
    for (let r = 0; r < runs; r++) {
      // 1 % of the files change (a different 1 % each round).
      const changed = files.filter((_, i) => i % 100 === r % 100);
      out.changed = changed.length;
      for (const p of changed) writeFileSync(p, `round ${r} ${++gen}\n`);
      const byHand = (): void => {
        const prev = readdirSync(hand).filter((n) => /^\d{8}T\d{6}Z$/.test(n)).sort().at(-1)!;
        const name = stamp(Date.now());
        execFileSync('rsync', [...rsyncArgs, `--link-dest=${join(hand, prev)}`, `${src}/`, `${join(hand, `.partial-${name}`)}/`]);
        renameSync(join(hand, `.partial-${name}`), join(hand, name));
      };
      const bySm = (): void => {
        execFileSync(process.execPath, [CLI, 'datasets', 'sync', '--manifest', manifest]);
      };
      // Alternate which goes first; a second apart, so that snapshot names never collide.
      const pair = r % 2 ? [byHand, bySm] : [bySm, byHand];
      for (const f of pair) {
        const ms = time(f);
        (f === byHand ? out.hand : out.sync).push(Math.round(ms));
        execFileSync('sleep', ['1.05']);
      }
    }
    // Status over 50 datasets × 10 snapshots (directories named as snapshots).
    const many = join(dir, 'many');
    const decl: string[] = [];
    for (let i = 0; i < 50; i++) {
      for (let s = 0; s < 10; s++) mkdirSync(join(many, `ds${i}`, stamp(Date.UTC(2026, 0, 1 + s))), { recursive: true });
      decl.push(`  - name: ds${i}\n    path: ${src}\n    role: copy\n    kind: rsync\n    sources: [x]\n    targets: [${many}]\n    interval: 1d\n    retention: { preserve: 7d 4w }\n`);
    }
    const m50 = join(dir, 'm50.yaml');
    writeFileSync(m50, `apiVersion: sysmanifest/v1\nhost:\n  hostname: bench\ndatasets:\n${decl.join('')}`);
    for (let r = 0; r < runs; r++) out.status.push(Math.round(time(() => execFileSync(process.execPath, [CLI, 'datasets', 'status', '--manifest', m50]))));
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportDatasets(runs: number): void {
  const r = benchDatasets(runs);
  console.log(`\nincremental rsync snapshot of ${r.files} files with ${r.changed} (1 %) changed, ${runs} interleaved runs, medians:`);
  console.log(row('by hand: rsync --link-dest + mv', r.hand));
  console.log(row('sysmanifest datasets sync', r.sync, r.hand) + '  (target ≤ 1.05×; Node start, manifest, lock and fsync included)');
  console.log(row('datasets status, 50 × 10 snapshots', r.status) + `  (target < 300 ms: ${median(r.status) < 300 ? 'met' : 'NOT met'})`);
}
