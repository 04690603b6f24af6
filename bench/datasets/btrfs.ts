// npm run bench datasets (btrfs half): an incremental btrfs snapshot + send/receive of a subvolume
// of 20,000 files with 1 % changed, `sysmanifest datasets sync` (the bundle, as users run it)
// against the same commands typed by hand (btrfs subvolume snapshot -r; btrfs send -p PREV NEW |
// btrfs receive TARGET), interleaved, each with its own chain. Two btrfs filesystems on loop
// devices over sparse files in /var/tmp (root; detached and removed at the end, even on error).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { snapshotName } from '../../src/services/datasets/rsync.ts';
import { row } from '../lib/stats.ts';

const CLI = new URL('../../bin/sysmanifest.js', import.meta.url).pathname;
const sh = (argv: string[]): string => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
const time = (f: () => void): number => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};

export function benchBtrfs(runs: number): { sync: number[]; hand: number[]; files: number; changed: number } | { skipped: string } {
  if (process.getuid?.() !== 0) return { skipped: 'needs root (loop devices, btrfs)' };
  const dir = mkdtempSync('/var/tmp/sysmanifest-bench-btrfs-');
  const loops: string[] = [];
  const mounts: string[] = [];
  try {
    const fs = (name: string): string => {
      const file = join(dir, `${name}.img`);
      writeFileSync(file, '');
      truncateSync(file, 2 * 2 ** 30);
      const dev = sh(['losetup', '--find', '--show', file]).trim();
      loops.push(dev);
      sh(['mkfs.btrfs', '-q', dev]);
      const mnt = join(dir, name);
      mkdirSync(mnt);
      sh(['mount', dev, mnt]);
      mounts.push(mnt);
      return mnt;
    };
    const source = fs('source');
    const backup = fs('backup');
    const src = join(source, 'photos');
    sh(['btrfs', 'subvolume', 'create', src]);
    const files: string[] = [];
    for (let d = 0; d < 200; d++) {
      mkdirSync(join(src, `d${d}`));
      for (let f = 0; f < 100; f++) {
        const p = join(src, `d${d}`, `f${f}.dat`);
        writeFileSync(p, Buffer.alloc(1024 + ((d * 100 + f) % 7) * 1024, d + f));
        files.push(p);
      }
    }
    const handSnaps = join(source, 'hand-snaps');
    const handTarget = join(backup, 'hand');
    mkdirSync(handSnaps);
    mkdirSync(handTarget);
    const smTarget = join(backup, 'sm');
    mkdirSync(smTarget);
    const manifest = join(dir, 'm.yaml');
    writeFileSync(manifest, `apiVersion: sysmanifest/v1\nhost:\n  hostname: bench\ndatasets:\n  - name: photos\n    path: ${src}\n    role: copy\n    kind: btrfs\n    sources: [x]\n    targets: [${smTarget}]\n`);
    const byHand = (): void => {
      const prev = readdirSync(handSnaps).sort().at(-1);
      const name = snapshotName(new Date());
      sh(['btrfs', 'subvolume', 'snapshot', '-r', src, join(handSnaps, name)]);
      const send = prev ? `btrfs send -q -p ${join(handSnaps, prev)} ${join(handSnaps, name)}` : `btrfs send -q ${join(handSnaps, name)}`;
      sh(['bash', '-c', `set -o pipefail; ${send} | btrfs receive -q ${handTarget}`]);
    };
    const bySm = (): void => void sh([process.execPath, CLI, 'datasets', 'sync', '--manifest', manifest]);
    // The first (full) send of each chain is not measured.
    byHand();
    bySm();
    sh(['sleep', '1.05']);
    const out = { sync: [] as number[], hand: [] as number[], files: files.length, changed: 0 };
    let gen = 0;
    for (let r = 0; r < runs; r++) {
      const changed = files.filter((_, i) => i % 100 === r % 100);
      out.changed = changed.length;
      for (const p of changed) writeFileSync(p, `round ${r} ${++gen}\n`);
      const pair = r % 2 ? [byHand, bySm] : [bySm, byHand];
      for (const f of pair) {
        const ms = time(f);
        (f === byHand ? out.hand : out.sync).push(Math.round(ms));
        sh(['sleep', '1.05']); // snapshot names are per second
      }
    }
    return out;
  } finally {
    for (const m of mounts.reverse()) {
      try {
        sh(['umount', m]);
      } catch {
        sh(['umount', '-l', m]);
      }
    }
    for (const l of loops) sh(['losetup', '--detach', l]);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportBtrfs(runs: number): void {
  const r = benchBtrfs(runs);
  if ('skipped' in r) {
    console.log(`\nbtrfs incremental send/receive: SKIPPED (${r.skipped})`);
    return;
  }
  console.log(`\nincremental btrfs snapshot + send/receive of ${r.files} files with ${r.changed} (1 %) changed, ${runs} interleaved runs, medians:`);
  console.log(row('by hand: snapshot -r, send -p | receive', r.hand));
  console.log(row('sysmanifest datasets sync (btrfs)', r.sync, r.hand) + '  (target ≤ 1.05×; Node start, manifest, ledger, lock, subvolume listing included)');
}
