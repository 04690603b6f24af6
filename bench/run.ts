// npm run bench [capture-storage|…]: benchmarks, each reporting ratios of runs measured side
// by side in one run (one guest boot, interleaved runs), never absolute targets in tests.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { runInGuest, vmUnavailable } from '../test/lib/vm.ts';
import { makeSyntheticRoot } from './system/synthetic.ts';
import { median, row } from './lib/stats.ts';
import { captureStorageOnHost } from './capture/host.ts';
import { measureScale } from './validate/scale.ts';
import { rebuildSystemOnHost } from './rebuild/system.ts';
import { reportBtrfs } from './datasets/btrfs.ts';
import { reportDatasets } from './datasets/rsync.ts';
import { reportMerge } from './merge/merge.ts';
import { stageTimes } from './rebuild/floor.ts';
import { ALPHA, ALPHA_KEY, original } from '../test/e2e/machines/originals.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function captureStorage(): Promise<void> {
  const host = captureStorageOnHost(RUNS);
  console.log(`\ncapture of 8 loop disks × 4 partitions (ext4, xfs, btrfs, vfat, swap) on this host, ${RUNS} interleaved runs, medians:`);
  console.log(row('floor: same tool calls in sh', host.floor_ms));
  console.log(row('sysmanifest capture (storage)', host.capture_ms, host.floor_ms) + `  (vs floor; target ≤ 1.00×); ${host.calls} tool calls`);
  console.log(row('same calls 8 at a time (xargs -P8 env)', host.parallel_ms, host.floor_ms) + '  (what concurrency alone wins here, no Node)');
  console.log(row('same calls 8 at a time from bare Node', host.bare_ms, host.floor_ms) + '  (Node start + spawns only: the least a Node tool can take)');
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
    const res = JSON.parse(readFileSync(join(xfer, 'capture-bench.json'), 'utf8')) as { capture_ms: number[]; floor_ms: number[]; parallel_ms: number[]; rear_ms: number[]; calls: number };
    console.log(`\ncapture of 8 disks × 4 partitions (ext4, xfs, btrfs, vfat, swap) in the qemu guest (TCG), ${RUNS} interleaved runs, medians:`);
    console.log(row('floor: same tool calls in sh', res.floor_ms));
    console.log(row('sysmanifest capture (storage)', res.capture_ms, res.floor_ms) + '  (vs floor; target ≤ 1.00×)');
    console.log(row('same calls 8 at a time (xargs -P8 env)', res.parallel_ms, res.floor_ms) + '  (what concurrency alone wins here, no Node)');
    console.log(row('rear savelayout', res.rear_ms));
    console.log(`capture / rear: ${(median(res.capture_ms) / median(res.rear_ms)).toFixed(2)}× (target ≤ 0.25×); ${res.calls} tool calls`);
  } finally {
    rmSync(xfer, { recursive: true, force: true });
  }
}

async function rebuildStorage(): Promise<void> {
  const why = vmUnavailable();
  if (why) {
    console.log(`rebuild-storage: SKIPPED (${why})`);
    return;
  }
  const xfer = mkdtempSync(join(tmpdir(), 'sysmanifest-bench-'));
  try {
    const r = await runInGuest({
      disks: [
        { name: 'a', size: '2G', serial: 'RBA' },
        { name: 'b', size: '2G', serial: 'RBB' },
      ],
      command: `BENCH_RUNS=${RUNS} VMH_XFER=${xfer} bash bench/rebuild/guest.sh`,
      rw: [xfer],
      timeoutSec: 2400,
    });
    if (r.exitCode !== 0) throw new Error(`guest bench failed (${r.exitCode}):\n${r.output.slice(-3000)}\n${r.harness.slice(-2000)}`);
    const res = JSON.parse(readFileSync(join(xfer, 'rebuild-bench.json'), 'utf8')) as { rebuild_ms: number[]; same_ms: number[]; script_ms: number[]; bare_ms: number[]; node_start_ms: number[]; steps: number; calls: number };
    console.log(`\nstorage rebuild (GPT: vfat, ext4, LUKS2 → LVM → ext4, xfs, swap) in the qemu guest, ${RUNS} alternating runs, medians:`);
    console.log(row('plain sh script, same commands', res.same_ms));
    console.log(row('sysmanifest rebuild', res.rebuild_ms, res.same_ms) + '  (vs the same commands; target ≤ 1.05×)');
    console.log(row('same commands from bare Node', res.bare_ms, res.same_ms) + '  (Node start + spawns only: the least a Node tool can take)');
    console.log(row('Node start alone (node -e 0)', res.node_start_ms, res.same_ms));
    console.log(row('sh script of the plan steps only', res.script_ms));
    console.log(`rebuild / plan steps only: ${(median(res.rebuild_ms) / median(res.script_ms)).toFixed(2)}× (what preflight + verify cost); ${res.steps} steps, ${res.calls} commands in all`);
  } finally {
    rmSync(xfer, { recursive: true, force: true });
  }
}

async function rebuildSystem(): Promise<void> {
  const r = rebuildSystemOnHost(RUNS);
  if ('skip' in r) {
    console.log(`rebuild-system: ${r.skip}`);
    return;
  }
  console.log(`\nsystem stages of a rebuild on this host (base, packages, etc, users, homes, verify) of the test chroot (Debian 12 minbase + hello, less; a user with dotfiles), warm apt cache, ${RUNS} alternating runs, medians:`);
  console.log(row('bash script of the same commands', r.floor_ms));
  console.log(row('sysmanifest rebuild', r.rebuild_ms, r.floor_ms) + `  (vs the same commands; target ≤ 1.10×); ${r.commands} commands${r.skipped_stdin ? `, ${r.skipped_stdin} with stdin left out of the script` : ''}`);
  for (const [stage, ms] of Object.entries(r.stages)) console.log(row(`  stage ${stage}`, ms));
  console.log(`package downloads: ${r.debs_cold} .debs on the cold run, ${r.debs_warm} on the warm rerun (one shared --cache); initramfs builds: 0 (no kernel in this tree: update-initramfs is diverted by packages and built once in boot, which needs the guest)`);
}

// The full rebuild of a whole machine in the guest (alpha of the whole-machine test), stage by
// stage, beside the bash script of the same commands (bench/rebuild/machine-guest.sh). A run
// takes ~10 minutes under TCG: BENCH_MACHINE_RUNS pairs (default 1) after one cold rebuild.
async function rebuildMachine(): Promise<void> {
  const why = vmUnavailable();
  if (why) {
    console.log(`rebuild-machine: SKIPPED (${why})`);
    return;
  }
  const a = original(ALPHA);
  if ('skip' in a) {
    console.log(`rebuild-machine: SKIPPED (${a.skip})`);
    return;
  }
  const runs = Number(process.env.BENCH_MACHINE_RUNS ?? 1);
  const xfer = mkdtempSync('/var/tmp/sysmanifest-bench-machine-');
  try {
    writeFileSync(join(xfer, 'alpha.key'), ALPHA_KEY, { mode: 0o400 });
    execFileSync('age-keygen', ['-o', join(xfer, 'age.key')], { stdio: 'ignore' });
    const r = await runInGuest({
      disks: [
        { name: 'ma0', size: '3G', serial: 'MA0' },
        { name: 'na0', size: '3G', serial: 'NA0' },
      ],
      command: 'bash bench/rebuild/machine-guest.sh',
      env: {
        OUT: xfer, RUNS: String(runs), ALPHA_TAR: a.tarball, MIRROR_A: a.mirror.dir, DOT_A: a.dotfilesDir, KEYFILE: join(xfer, 'alpha.key'), AGE_KEY: join(xfer, 'age.key'),
        A_ESP: ALPHA.ids.esp!, A_BOOT: ALPHA.ids.boot!, A_LUKS: ALPHA.ids.luks!, A_ROOT: ALPHA.ids.root!,
      },
      rw: [xfer],
      uefi: true,
      timeoutSec: (40 + 25 * runs) * 60,
      onOutput: (chunk) => void process.stderr.write(chunk.replace(/^/gm, 'guest| ')),
    });
    if (r.exitCode !== 0) throw new Error(`guest bench failed (${r.exitCode}):\n${r.output.slice(-3000)}\n${r.harness.slice(-2000)}`);
    const res = machineResults(xfer, runs);
    console.log(`\nfull rebuild of a whole machine in the qemu guest (TCG): Debian 12, UEFI, ESP + /boot + LUKS2 → LVM → ext4, ${res.packages} manual packages, a user with dotfiles and secrets; plain \`rebuild MANIFEST\` vs a bash script of its ${res.commands} disk-changing commands${res.skipped ? ` (${res.skipped} with an unknown stdin left out)` : ''}, same mirror, same warm cache; ${runs} alternating run(s) after a cold one, medians:`);
    console.log(row('bash script of the same commands', res.floor));
    console.log(row('sysmanifest rebuild', res.rebuild, res.floor) + '  (vs the same commands; target ≤ 1.10×)');
    for (const [stage, ms] of Object.entries(res.rebuildStages)) {
      const f = res.floorStages[stage];
      console.log(row(`  stage ${stage}`, ms, f) + (f ? `  script: ${median(f).toFixed(0)} ms` : ''));
    }
    console.log(`package downloads into the shared --cache: ${res.debsCold} on the cold run, ${res.debsWarm} on the ${runs} warm rerun(s)${res.debsCold === 0 ? ' (the guest has no network: its mirror is file://, whose .debs apt and mmdebstrap read in place; the host bench rebuild-system counts downloads from an http mirror)' : ''}; initramfs builds (update-initramfs -c|-u): ${res.initramfs.join(', ')} per rebuild`);
  } finally {
    if (process.env.SYSMANIFEST_KEEP !== '1') rmSync(xfer, { recursive: true, force: true });
  }
}

interface MachineResults {
  floor: number[];
  rebuild: number[];
  rebuildStages: Record<string, number[]>;
  floorStages: Record<string, number[]>;
  debsCold: number;
  debsWarm: number;
  initramfs: number[];
  commands: number;
  skipped: number;
  packages: number;
}

function machineResults(dir: string, runs: number): MachineResults {
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  const times = read('times').trim().split('\n').map((l) => l.split(' '));
  const pick = (kind: string): number[] => times.filter(([k, n]) => k === kind && n !== 'cold').map(([, , ms]) => Number(ms));
  const rebuildStages: Record<string, number[]> = {};
  const floorStages: Record<string, number[]> = {};
  const initramfs: number[] = [];
  for (let i = 1; i <= runs; i++) {
    const per = stageTimes(read(`rebuild-${i}.jsonl`), join(dir, `state-${i}/plan.json`));
    for (const [s, v] of Object.entries(per)) (rebuildStages[s] ??= []).push(Math.round(v));
    // The script: from one stage mark to the next.
    const marks = read(`marks-${i}`).trim().split('\n').map((l) => l.split(' ') as [string, string]);
    const fper: Record<string, number> = {};
    marks.slice(0, -1).forEach(([s, t], j) => void (fper[s] = (fper[s] ?? 0) + Number(marks[j + 1]![1]) - Number(t)));
    for (const [s, v] of Object.entries(fper)) (floorStages[s] ??= []).push(v);
    initramfs.push(read(`commands-${i}.jsonl`).trim().split('\n').map((l) => JSON.parse(l) as { argv: string[] }).filter((c) => c.argv.some((x) => /update-initramfs$/.test(x)) && (c.argv.includes('-c') || c.argv.includes('-u'))).length);
  }
  const floor = JSON.parse(read('floor.json')) as { commands: number; skipped_stdin: number };
  const manifest = read('repo/hosts/alpha/manifest.yaml');
  return {
    floor: pick('floor'), rebuild: pick('rebuild'), rebuildStages, floorStages,
    debsCold: Number(read('debs-cold')), debsWarm: Number(read('debs-warm')), initramfs,
    commands: floor.commands, skipped: floor.skipped_stdin, packages: ((parseYaml(manifest) as { packages?: { manual?: unknown[] } }).packages?.manual ?? []).length,
  };
}

// The self-contained bundle's start (issue 13: under 0.5 s): `./sysmanifest --version` of the
// unpacked archive beside `node -e 0` on the same runtime, interleaved, after one warm-up each
// (Node's compile cache, as a second start on the live system has it).
async function bundleStart(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-bench-bundle-'));
  try {
    execFileSync(process.execPath, ['scripts/bundle.ts', '--out', dir, '--arch', 'x86_64'], { stdio: 'ignore' });
    const tar = readdirSync(dir).find((f) => f.endsWith('.tar.gz'))!;
    execFileSync('tar', ['-xzf', join(dir, tar), '-C', dir]);
    const top = join(dir, tar.replace(/-linux-x86_64\.tar\.gz$/, ''));
    const time = (argv: string[]): number => {
      const t0 = performance.now();
      const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
      return Math.round(performance.now() - t0);
    };
    const sm = [join(top, 'sysmanifest'), '--version'];
    const bare = [join(top, 'node/bin/node'), '-e', '0'];
    time(sm);
    time(bare);
    const smMs: number[] = [];
    const bareMs: number[] = [];
    for (let i = 0; i < Math.max(RUNS, 5); i++) {
      smMs.push(time(sm));
      bareMs.push(time(bare));
    }
    console.log(`\nthe self-contained bundle (${tar}, ${(statSync(join(dir, tar)).size / 2 ** 20).toFixed(1)} MiB), unpacked, interleaved runs, medians:`);
    console.log(row('node -e 0 (its runtime)', bareMs));
    console.log(row('./sysmanifest --version', smMs, bareMs) + `  (target: under 500 ms)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function timeCli(args: readonly string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['dist/sysmanifest.js', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sysmanifest ${args.join(' ')} failed: ${r.stderr}`);
  return performance.now() - t0;
}

async function captureMachine(): Promise<void> {
  const r = spawnSync('bash', ['bench/system/host.sh'], { encoding: 'utf8', env: { ...process.env, BENCH_RUNS: String(RUNS) } });
  if (r.status !== 0) throw new Error(`bench/system/host.sh failed: ${r.stderr}`);
  const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { capture_ms: number[]; floor_ms: number[] };
  console.log(`\nwhole-machine capture --stdout on this host (storage, packages, /etc repository state, dotfiles, boot), ${RUNS} interleaved runs, medians:`);
  console.log(row('floor: its tool calls + apt-mark ×3', res.floor_ms));
  console.log(row('sysmanifest capture --stdout', res.capture_ms, res.floor_ms) + '  (vs floor; target ≤ 0.50×)');
}

async function systemScaling(): Promise<void> {
  console.log(`\ncapture --commit --root of synthetic machines (dpkg state + /etc; the /etc repository is synced and the manifest committed), medians:`);
  const sizes: Array<[number, number]> = [[1000, 1000], [2500, 2000], [5000, 3000]];
  let first: number | undefined;
  for (const [pkgs, files] of sizes) {
    const root = mkdtempSync(join(tmpdir(), 'sysmanifest-synth-'));
    const repo = mkdtempSync(join(tmpdir(), 'sysmanifest-synth-repo-'));
    try {
      makeSyntheticRoot(root, pkgs, files);
      const args = ['capture', '--commit', '--root', root, '--repo', repo, '--host', 'synthetic'];
      const initial = Math.round(timeCli(args)); // creates the /etc repository: every file hashed and committed
      const ms = Array.from({ length: RUNS }, () => Math.round(timeCli(args))); // an unchanged machine: the daily case
      first ??= median(ms);
      console.log(`${row(`${pkgs} packages, ${files} /etc files`, ms)}  ×${(median(ms) / first).toFixed(2)} of the smallest; first run (creates the /etc repo) ${initial} ms`);
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
    }
  }
}

async function validateScale(): Promise<void> {
  const res = measureScale([10_000, 40_000], RUNS);
  console.log(`\nvalidation of synthetic GPT manifests (250 partitions a disk) against a plain YAML parse of the same text, ${RUNS} interleaved runs, medians:`);
  for (const r of res) {
    console.log(row(`${r.partitions} partitions: YAML parse`, r.yaml_ms));
    console.log(`${row(`${r.partitions} partitions: load + validate`, r.validate_ms, r.yaml_ms)}  (vs the YAML parse; ${(r.bytes / 1048576).toFixed(1)} MiB)`);
  }
  const [small, big] = res;
  const growth = median(big!.validate_ms) / median(small!.validate_ms);
  console.log(`4× the partitions: validation ${growth.toFixed(2)}× the time, YAML parse ${(median(big!.yaml_ms) / median(small!.yaml_ms)).toFixed(2)}× (linear: about 4×)`);
}

// What users run is the bundle (bootstrap/sysmanifest builds it): measure that.
const build = spawnSync('npm', ['run', '--silent', 'build'], { encoding: 'utf8' });
if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr}`);

// rear is only needed here (the capture-storage comparison); install it like the tests install their tools.
if (spawnSync('sh', ['-c', 'command -v rear || test -x /usr/sbin/rear'], { stdio: 'ignore' }).status !== 0 && process.getuid?.() === 0) {
  spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'rear', 'parted'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

const benches: Record<string, () => Promise<void>> = {
  'capture-storage': captureStorage,
  'rebuild-storage': rebuildStorage,
  'rebuild-system': rebuildSystem,
  'rebuild-machine': rebuildMachine,
  'bundle-start': bundleStart,
  'capture-machine': captureMachine,
  'system-scaling': systemScaling,
  'validate-scale': validateScale,
  merge: () => reportMerge(Number(process.env.BENCH_RUNS ?? 3)),
  datasets: async () => {
    reportDatasets(RUNS);
    reportBtrfs(RUNS);
  },
};
const chosen = process.argv.slice(2);
for (const name of chosen.length ? chosen : Object.keys(benches)) {
  const b = benches[name];
  if (!b) throw new Error(`unknown bench ${name}; known: ${Object.keys(benches).join(', ')}`);
  await b();
}
