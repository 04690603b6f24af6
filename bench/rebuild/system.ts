// The system stages of a rebuild on this host (base, packages, etc, users, homes, verify: what
// the host kernel can hold; storage and boot need the guest), stage by stage, beside a plain
// bash script of the same commands: every disk-changing command the rebuild ran, its internal
// commands' nested ones included (from --log-commands), in order, into the same empty tree
// with the same warm apt cache. Runs alternate; each starts from an empty target.
// Reported: medians, the ratio, the time per stage, and how many .debs were downloaded on the
// first (cold) run and on a warm rerun.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyChroot, ensureChrootCache } from '../../test/lib/chroot.ts';
import { stageTimes, writeFloorScript } from './floor.ts';

export interface SystemBench {
  readonly rebuild_ms: number[];
  readonly floor_ms: number[];
  readonly stages: Record<string, number[]>;
  readonly debs_cold: number;
  readonly debs_warm: number;
  readonly commands: number;
  readonly skipped_stdin: number;
}

const sh = (argv: string[]): string => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
const mountsUnder = (dir: string): string[] => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(dir));
const debs = (dir: string): number => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.deb')).length : 0);

export function rebuildSystemOnHost(runs: number): SystemBench | { skip: string } {
  const why = ensureChrootCache();
  if (why) return { skip: why };
  const tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-bench-system-'));
  const original = copyChroot();
  const target = join(tmp, 'target');
  const cache = join(tmp, 'cache');
  const emptyTarget = (): void => {
    for (const m of mountsUnder(target).reverse()) spawnSync('umount', ['-l', m]);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target);
  };
  try {
    // The machine: the test chroot with a user and a dotfiles repository (homes has work to do).
    sh(['chroot', original, 'useradd', '--create-home', '--uid', '1000', '--shell', '/bin/bash', 'alice']);
    const home = join(original, 'home/alice');
    writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Alice\n');
    const git = (...a: string[]): string => sh(['git', '-c', 'safe.directory=*', '-c', 'user.name=A', '-c', 'user.email=a@b', '-C', home, ...a]);
    git('init', '--quiet', '--initial-branch=main');
    git('add', '.gitconfig');
    git('commit', '--quiet', '-m', 'dotfiles');
    const dotfiles = join(tmp, 'dotfiles');
    mkdirSync(dotfiles);
    sh(['git', 'clone', '--quiet', '--bare', home, join(dotfiles, 'alice')]);
    chownSync(home, 1000, 1000);
    const repo = join(tmp, 'repo');
    const disks = sh(['lsblk', '-dn', '-o', 'NAME']).split('\n').filter(Boolean);
    sh([process.execPath, 'dist/sysmanifest.js', 'capture', '--commit', '--root', original, '--repo', repo, '--host', 'bench', ...disks.flatMap((d) => ['--exclude', d])]);
    const manifest = join(repo, 'hosts/bench/manifest.yaml');

    const stages: Record<string, number[]> = {};
    let lastState = '';
    const rebuild = (log?: string): number => {
      emptyTarget();
      const state = join(tmp, `state-${Date.now()}`);
      lastState = state;
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ['dist/sysmanifest.js', 'rebuild', manifest, '--stage', 'base,packages,etc,users,homes,verify', '--target', target, '--state', state, '--cache', cache, '--dotfiles-from', dotfiles, '--yes', '--json', ...(log ? ['--log-commands', log] : [])], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`rebuild failed: ${r.stdout.slice(-2000)}\n${r.stderr}`);
      const per = Object.fromEntries(Object.entries(stageTimes(r.stdout, join(state, 'plan.json'))).map(([k, v]) => [k.replace(/^chroot$/, 'chroot binds (packages)'), v]));
      for (const [s, v] of Object.entries(per)) (stages[s] ??= []).push(Math.round(v));
      return Math.round(ms);
    };

    // Cold: every package downloaded once into the cache; then a warm run whose log is the floor.
    rebuild();
    const cold = debs(cache);
    const log = join(tmp, 'commands.jsonl');
    rebuild(log);
    const warm = debs(cache) - cold;
    for (const k of Object.keys(stages)) stages[k] = [];
    const script = join(tmp, 'floor.sh');
    const errors = join(tmp, 'floor.err');
    const { commands, skippedStdin } = writeFloorScript({ log, plan: join(lastState, 'plan.json'), out: script, errors });
    const floor = (): number => {
      emptyTarget();
      const t0 = performance.now();
      const r = spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' } });
      const ms = performance.now() - t0;
      for (const m of mountsUnder(target).reverse()) spawnSync('umount', ['-l', m]);
      if (r.status !== 0) throw new Error(`the floor script failed: ${r.stderr.slice(-1000)}\n${existsSync(errors) ? readFileSync(errors, 'utf8').slice(-2000) : ''}`);
      return Math.round(ms);
    };
    const rebuildMs: number[] = [];
    const floorMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      rebuildMs.push(rebuild());
      floorMs.push(floor());
    }
    return { rebuild_ms: rebuildMs, floor_ms: floorMs, stages, debs_cold: cold, debs_warm: warm, commands, skipped_stdin: skippedStdin };
  } finally {
    for (const m of mountsUnder(tmp).reverse()) spawnSync('umount', ['-l', m]);
    rmSync(tmp, { recursive: true, force: true });
    rmSync(join(original, '..'), { recursive: true, force: true });
  }
}
