// Issue 13's rescue path on this host (GPT, BIOS boot partition, ext4: what the host kernel holds
// natively). booty (lib/booty.ts) is installed on loop disk A and captured (--commit,
// --secrets-out); `npm run bundle` makes the self-contained archive; `sysmanifest medium` writes
// the offline medium (bundle, manifest repository, booty's package mirror with the live tools,
// the encrypted secrets). A is detached. Then a minimal Debian tree with NO Node and NO npm plays
// the live USB: inside it, in a network namespace with no network at all, `dash live.sh` from the
// medium checks and installs the tools from the medium's mirror, shows the disks, and runs the
// rebuild onto blank loop disk B; qemu then boots B to its login prompt.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { copyChroot, ensureChrootCache } from '../lib/chroot.ts';
import { cli } from '../lib/cli.ts';
import { integrationUnavailable, LoopLab, sh } from '../lib/loop.ts';
import { bootDisk, vmUnavailable } from '../lib/vm.ts';
import { bootyOn, CACHE } from './lib/booty.ts';

const skip = integrationUnavailable() ?? vmUnavailable() ?? (existsSync('/usr/bin/dash') ? undefined : 'no dash') ?? ensureChrootCache();
if (skip) console.error(`!! live-medium: SKIPPED: ${skip}`);
/** booty's mirror on the medium is kept here between runs: a rerun of `medium` only refreshes it. */
const MIRROR_CACHE = '/var/tmp/sysmanifest-medium-mirror';
const lab = new LoopLab('sysmanifest-live-');
const mountsUnder = (dir: string): string[] => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p === dir || p.startsWith(`${dir}/`));
let live = '';
after(() => {
  if (live) for (const m of mountsUnder(live).reverse()) spawnSync('umount', ['-l', m]);
  lab.cleanup();
  if (live) rmSync(join(live, '..'), { recursive: true, force: true });
});

test('from a live system with no Node and no npm, offline: live.sh (dash) rebuilds booty from the medium alone, and it boots', { skip, timeout: 40 * 60_000 }, async (t) => {
  mkdirSync(CACHE, { recursive: true });
  // The bundle, for x86_64 (this machine).
  let t0 = Date.now();
  const dist = join(lab.dir, 'dist');
  const b = spawnSync(process.execPath, ['scripts/bundle.ts', '--out', dist, '--arch', 'x86_64'], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const tar = join(dist, readdirSync(dist).find((f) => f.endsWith('-linux-x86_64.tar.gz'))!);
  const bundleMiB = statSync(tar).size / 2 ** 20;
  assert.ok(bundleMiB < 60, `the bundle is ${bundleMiB.toFixed(1)} MiB (limit 60)`);
  const bundleSec = (Date.now() - t0) / 1000;
  // Unpacked anywhere, it runs with nothing from this machine's environment, once.
  execFileSync('tar', ['-xzf', tar, '-C', dist]);
  const top = join(dist, readdirSync(dist).find((f) => !f.endsWith('.tar.gz'))!);
  const version = JSON.parse(readFileSync(join(top, 'package.json'), 'utf8')) as { version: string };
  assert.equal(execFileSync(join(top, 'sysmanifest'), ['--version'], { encoding: 'utf8', env: {} }), `${version.version}\n`);

  // The machine, captured with its secrets.
  t0 = Date.now();
  const { disk: a, root: rootA } = bootyOn(lab);
  const key = join(lab.dir, 'age.key');
  sh(['age-keygen', '-o', key]);
  const secrets = join(lab.dir, 'booty.secrets.age');
  const repo = join(lab.dir, 'repo');
  const cap = cli(['capture', '--commit', '--root', rootA, '--disk', a.path, '--repo', repo, '--host', 'booty', '--secrets-out', secrets, '--secrets-recipient', sh(['age-keygen', '-y', key]).trim()]);
  assert.equal(cap.status, 0, cap.stderr);
  lab.umount(rootA);
  const install = (Date.now() - t0) / 1000;

  // The medium: a directory here (on the bad day, a USB stick).
  t0 = Date.now();
  const medium = join(lab.dir, 'medium');
  if (existsSync(MIRROR_CACHE)) cpSync(MIRROR_CACHE, join(medium, 'mirror/booty'), { recursive: true, preserveTimestamps: true });
  const med = cli(['medium', '--out', medium, '--repo', repo, '--bundle', tar, '--secrets', secrets], { timeoutMs: 30 * 60_000 });
  assert.equal(med.status, 0, `${med.stdout.slice(-3000)}\n${med.stderr}`);
  assert.match(med.stdout, /hosts booty/);
  rmSync(`${MIRROR_CACHE}.new`, { recursive: true, force: true });
  cpSync(join(medium, 'mirror/booty'), `${MIRROR_CACHE}.new`, { recursive: true, preserveTimestamps: true });
  rmSync(MIRROR_CACHE, { recursive: true, force: true });
  renameSync(`${MIRROR_CACHE}.new`, MIRROR_CACHE);
  for (const f of ['sysmanifest-medium', 'README', 'bundle/live.sh', 'bundle/sysmanifest', 'bundle/node/bin/node', 'repo/hosts/booty/manifest.yaml', 'secrets/booty.secrets.age']) assert.ok(existsSync(join(medium, f)), f);
  const mediumSec = (Date.now() - t0) / 1000;
  // A rerun copies nothing of the bundle again.
  const again = cli(['medium', '--out', medium, '--repo', repo, '--bundle', tar, '--host', 'booty'], { timeoutMs: 10 * 60_000 });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /\(0 file\(s\) copied, \d+ unchanged\)/);
  lab.detach(a); // the machine's disk is gone

  // The live system: minimal Debian, no Node, no npm; /dev, /proc, /sys and the medium bound in.
  live = copyChroot();
  assert.notEqual(spawnSync('chroot', [live, 'sh', '-c', 'command -v node || command -v nodejs || command -v npm']).status, 0, 'the live system has no Node and no npm');
  mkdirSync(join(live, 'medium'));
  sh(['mount', '--bind', '/dev', join(live, 'dev')]);
  sh(['mount', '-t', 'proc', 'proc', join(live, 'proc')]);
  sh(['mount', '-t', 'sysfs', 'sysfs', join(live, 'sys')]);
  sh(['mount', '-t', 'tmpfs', 'tmpfs', join(live, 'run')]);
  sh(['mount', '--bind', medium, join(live, 'medium')]);
  writeFileSync(join(live, 'root/age.key'), readFileSync(key), { mode: 0o600 });
  const disk = lab.disk(3 * 2 ** 30, { name: 'rebuilt' });

  t0 = Date.now();
  // No network at all (a new network namespace), a clean environment, dash.
  const r = spawnSync('unshare', ['--net', 'chroot', live, '/usr/bin/env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LC_ALL=C.UTF-8',
    'dash', '/medium/bundle/live.sh', '--host', 'booty', '--identity', '/root/age.key', '--', '--map', `disk0=${disk.path}`, '--yes'], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 30 * 60_000 });
  const rebuildSec = (Date.now() - t0) / 1000;
  const log = `${r.stdout}\n${r.stderr}`;
  writeFileSync(join(lab.dir, 'live.log'), log);
  assert.equal(r.status, 0, log.slice(-6000));
  for (const s of ['== 1/5 the sysmanifest bundle', '== 2/5 the manifest repository', '== 3/5 the programs this rebuild needs', '== 4/5 the disks', '== 5/5 sysmanifest rebuild']) assert.ok(log.includes(s), s);
  assert.match(log, /live\.sh: offline medium: \/medium/);
  assert.match(log, /MISSING +mmdebstrap/, 'the live system lacked tools');
  assert.match(log, /from the medium's mirror first \(no network needed\)/);
  assert.doesNotMatch(log, /from the live system's own sources/, 'everything came from the medium');
  assert.match(log, new RegExp(`--map disk0=${disk.path}`));
  assert.match(r.stdout, /verify: the disks match the manifest/);
  assert.ok(existsSync(join(medium, 'state/booty/plan.json')), 'the state is kept on the medium');
  for (const m of mountsUnder(join(live, 'mnt/sysmanifest')).reverse()) sh(['umount', m]);
  lab.detach(disk);

  t0 = Date.now();
  const booted = await bootDisk({ image: disk.file, expect: 'booty login:', timeoutSec: 300 });
  assert.equal(booted.exitCode, 0, booted.harness.slice(-3000));
  t.diagnostic(`bundle ${bundleMiB.toFixed(1)} MiB in ${bundleSec.toFixed(0)} s; booty installed and captured in ${install.toFixed(0)} s; medium written in ${mediumSec.toFixed(0)} s; live.sh + rebuild (offline, in a tree with no Node) ${rebuildSec.toFixed(0)} s; booted in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
});
