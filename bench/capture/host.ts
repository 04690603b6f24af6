// capture-storage on this host: 8 loop disks × 4 partitions (ext4, xfs, btrfs, vfat, swap),
// each in a sparse file under a private temp dir (LoopLab tears them down, even on failure).
// Times, interleaved: the real CLI (the bundle) and the floor — the very read-only calls the
// capture made (--log-commands), one after another in sh — and, for scale, the same calls
// 8 at a time (xargs -P 8 env CMD…, no Node at all). rear cannot take part here: it
// does not look at loop devices (the guest run compares against it on virtual disks).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoopLab, sh } from '../../test/lib/loop.ts';

const MiB = 1024 * 1024;
const KINDS: ReadonlyArray<(dev: string) => string[]> = [
  (d) => ['mkfs.ext4', '-q', '-F', d],
  (d) => ['mkfs.xfs', '-q', '-f', d],
  (d) => ['mkfs.btrfs', '-q', '-f', d],
  (d) => ['mkfs.vfat', d],
  (d) => ['mkswap', d],
];

function timed(argv: readonly string[]): number {
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  return Math.round(performance.now() - t0);
}

export interface CaptureBench {
  readonly capture_ms: number[];
  readonly floor_ms: number[];
  /** The same calls 8 at a time (xargs -P 8): what concurrency alone can win on this machine. */
  readonly parallel_ms: number[];
  /** The same calls 8 at a time from a bare Node script: Node's start and spawns, nothing else. */
  readonly bare_ms: number[];
  readonly calls: number;
}

export function captureStorageOnHost(runs: number): CaptureBench {
  const lab = new LoopLab('sysmanifest-bench-');
  try {
    const disks = Array.from({ length: 8 }, (_, i) => lab.disk(1400 * MiB, { name: `bench${i}` }));
    let k = 0;
    for (const d of disks) {
      sh(['sfdisk', '-q', d.path], 'label: gpt\n,320M\n,320M\n,320M\n,\n');
      for (const n of lab.rescan(d)) sh(KINDS[k++ % KINDS.length]!(`${d.path}p${n}`));
    }
    const node = process.execPath;
    const cli = [node, 'dist/sysmanifest.js', 'capture', '--stdout', '--only', 'storage', ...disks.flatMap((d) => ['--disk', d.path])];
    const log = join(lab.dir, 'calls.jsonl');
    const floor = join(lab.dir, 'floor.sh');
    timed([...cli, '--log-commands', log]);
    timed([node, 'bench/capture/floor.mjs', log, floor]);
    const lines = readFileSync(floor, 'utf8').split('\n').filter((l) => l.endsWith(' >/dev/null 2>&1'));
    const calls = lines.length;
    const list = join(lab.dir, 'calls.txt');
    writeFileSync(list, lines.map((l) => `${l.slice(0, -' >/dev/null 2>&1'.length)}\n`).join(''));
    const parallel = ['sh', '-c', 'xargs -P 8 -L 1 -a "$0" env; exit 0', list]; // some probes exit non-zero by design
    // Warm-up of each, then interleaved runs.
    timed(cli);
    timed(['sh', floor]);
    const capture_ms: number[] = [];
    const floor_ms: number[] = [];
    const parallel_ms: number[] = [];
    const bare_ms: number[] = [];
    const bare = [node, 'bench/capture/bare.mjs', log];
    timed(bare);
    for (let i = 0; i < runs; i++) {
      capture_ms.push(timed(cli));
      floor_ms.push(timed(['sh', floor]));
      parallel_ms.push(timed(parallel));
      bare_ms.push(timed(bare));
    }
    return { capture_ms, floor_ms, parallel_ms, bare_ms, calls };
  } finally {
    lab.cleanup();
  }
}
