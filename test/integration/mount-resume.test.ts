// The target tree's mounts after a crash: a rebuild that "loses power" right after each of
// its mount commands in turn (the mount happened, the journal never heard of it) resumes with
// --resume semantics and ends with every filesystem mounted once, where the fstab says, and
// verify clean. Real commands on loop devices, through the rebuild service with a runner that
// throws after the chosen command (as fs-roundtrip does for btrfs).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { hostMutatingRunner } from '../../src/core/runner/exec.ts';
import type { MutatingRunner } from '../../src/core/runner/types.ts';
import { crashingRunner } from '../lib/crash.ts';
import type { Manifest } from '../../src/core/manifest/types.gen.ts';
import { rebuildStorage, type RebuildIO, type RebuildOptions } from '../../src/services/rebuild/rebuild.ts';
import { cli } from '../lib/cli.ts';
import { integrationUnavailable, LoopLab, sh, type LoopDisk } from '../lib/loop.ts';

const MiB = 1024 * 1024;
const skip = integrationUnavailable();
const MOUNTS = [
  ['/', 'ext4'],
  ['/boot', 'ext2'],
  ['/home', 'xfs'],
] as const;

let lab: LoopLab;
let tmp: string;
let manifestFile: string;
const targets: string[] = [];

/** Mount points under `dir`, as the kernel lists them (one line per mount, stacked ones too). */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)));
}

function unmountAll(dir: string): void {
  for (let i = 0; i < 10 && mountsUnder(dir).length > 0; i++) sh(['umount', '-R', dir]);
}

before(() => {
  if (skip) return;
  lab = new LoopLab('sysmanifest-mount-resume-');
  tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-mount-resume-'));
  const a = lab.disk(768 * MiB, { name: 'orig' });
  sh(['sfdisk', '-q', a.path], 'label: gpt\nsize=64M, type=L, name=boot\nsize=192M, type=L, name=root\ntype=L, name=home\n');
  lab.rescan(a);
  sh(['mkfs.ext2', '-q', '-F', '-L', 'boot', `${a.path}p1`]);
  sh(['mkfs.ext4', '-q', '-F', '-L', 'root', `${a.path}p2`]);
  sh(['mkfs.xfs', '-q', '-f', '-L', 'home', `${a.path}p3`]);
  const cap = cli(['capture', '--disk', a.path, '--only', 'storage', '--stdout']);
  assert.equal(cap.status, 0, cap.stderr);
  // The rebuilds recreate the original's identities: it goes, as each rebuilt disk does after its round.
  lab.detach(a);
  // The host's own fstab is not this disk's: give the manifest the fstab of the machine it
  // would have come from.
  manifestFile = join(tmp, 'manifest.yaml');
  writeFileSync(manifestFile, cap.stdout);
  const m = parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  const fsOn = (type: string): string => m.storage!.filesystems!.find((f) => f.type === type)!.on;
  const uuidOf = (type: string): string => m.storage!.filesystems!.find((f) => f.type === type)!.uuid!;
  (m as { mounts: Manifest['mounts'] }).mounts = {
    fstab: MOUNTS.map(([file, type]) => ({ spec: `UUID=${uuidOf(type)}`, device: fsOn(type), file, vfstype: type, options: 'defaults', freq: 0, passno: file === '/' ? 1 : 2 })),
    crypttab: [],
  };
  writeFileSync(manifestFile, stringify(m));
});

after(() => {
  if (skip) return;
  for (const t of targets) unmountAll(t);
  lab?.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

/** The real commands; cut right after the k-th `mount` ran. */
function crashAfterMount(k: number): MutatingRunner {
  let mounts = 0;
  return crashingRunner((argv) => (argv[0] === 'mount' && ++mounts === k ? 'after' : undefined));
}

const io: RebuildIO = { confirm: async () => true, passphrase: async () => assert.fail('no LUKS here') };

test('rebuild killed right after each mount in turn, then resumed: every filesystem mounted once, verify clean', { skip }, async () => {
  for (let k = 1; k <= MOUNTS.length; k++) {
    const b: LoopDisk = lab.disk(768 * MiB, { name: `blank${k}` });
    const target = join(tmp, `target${k}`);
    targets.push(target);
    const o: RebuildOptions = { maps: [{ src: 'disk0', dev: b.path }], wipe: [], target, stateDir: join(tmp, `state${k}`), resume: false, stages: ['storage'], mirrors: [], cacheDir: '/var/cache/sysmanifest/apt', strict: false };
    await assert.rejects(rebuildStorage(crashAfterMount(k), manifestFile, o, io), /injected crash after mutation \d+: mount /);
    const crashedAt = MOUNTS[k - 1]![0];
    assert.ok(mountsUnder(target).includes(join(target, crashedAt).replace(/\/$/, '')), `mount ${k} happened before the crash`);

    const r = await rebuildStorage(hostMutatingRunner(), manifestFile, { ...o, resume: true }, io);
    assert.deepEqual(r.differences, [], `crash after mount ${k}`);
    const expected = MOUNTS.map(([file]) => join(target, file).replace(/\/$/, '')).sort();
    assert.deepEqual(mountsUnder(target).sort(), expected, `crash after mount ${k}: each mounted once`);
    // The crashed mount was recognised as done (checked, not run again): everything up to and
    // including it skipped, only the steps after it ran.
    const at = r.plan.steps.findIndex((s) => s.id === `mount:${crashedAt}`);
    assert.ok(at >= 0, `mount:${crashedAt} is a step`);
    assert.deepEqual([r.skipped, r.ran], [at + 1, r.plan.steps.length - at - 1], `crash after mount ${k}`);
    unmountAll(target);
    lab.detach(b);
  }
});
