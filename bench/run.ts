// npm run bench [capture-storage|…]: benchmarks, each reporting ratios of runs measured side
// by side in one run (one guest boot, interleaved runs), never absolute targets in tests.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInGuest, vmUnavailable } from '../test/lib/vm.ts';
import { median, row } from './lib/stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function captureStorage(): Promise<void> {
  const why = vmUnavailable();
  if (why) {
    console.log(`capture-storage: SKIPPED (${why})`);
    return;
  }
  const xfer = mkdtempSync(join(tmpdir(), 'sysmanifest-bench-'));
  try {
    const r = await runInGuest({
      disks: Array.from({ length: 8 }, (_, i) => ({ name: `b${i}`, size: '2G', serial: `BENCH${i}` })),
      command: `BENCH_RUNS=${RUNS} VMH_XFER=${xfer} bash bench/capture/guest.sh`,
      rw: [xfer],
      timeoutSec: 1800,
    });
    if (r.exitCode !== 0) throw new Error(`guest bench failed (${r.exitCode}):\n${r.output.slice(-3000)}\n${r.harness.slice(-2000)}`);
    const res = JSON.parse(readFileSync(join(xfer, 'capture-bench.json'), 'utf8')) as { capture_ms: number[]; floor_ms: number[]; rear_ms: number[]; calls: number };
    console.log(`\ncapture of 8 disks × 4 partitions (ext4, xfs, btrfs, vfat, swap) in the qemu guest (TCG), ${RUNS} interleaved runs, medians:`);
    console.log(row('floor: same tool calls in sh', res.floor_ms));
    console.log(row('sysmanifest capture (storage)', res.capture_ms, res.floor_ms) + '  (vs floor; target ≤ 1.00×)');
    console.log(row('rear savelayout', res.rear_ms));
    console.log(`capture / rear: ${(median(res.capture_ms) / median(res.rear_ms)).toFixed(2)}× (target ≤ 0.25×); ${res.calls} tool calls`);
  } finally {
    rmSync(xfer, { recursive: true, force: true });
  }
}

const benches: Record<string, () => Promise<void>> = { 'capture-storage': captureStorage };
const chosen = process.argv.slice(2);
for (const name of chosen.length ? chosen : Object.keys(benches)) {
  const b = benches[name];
  if (!b) throw new Error(`unknown bench ${name}; known: ${Object.keys(benches).join(', ')}`);
  await b();
}
