// The whole machine, rebuilt and booted — the layout this host's kernel can hold natively (GPT,
// BIOS boot partition, ext4 root; LUKS/LVM/md need the guest). A Debian 12 system is installed
// on loop disk A (mmdebstrap with a kernel and GRUB), with a serial console, a changed conffile
// and a user with a password; it is captured with --commit and --secrets-out (age); A is
// detached (the machine's disk is gone); plain `sysmanifest rebuild MANIFEST` rebuilds it onto
// blank loop disk B with every stage (storage, base, packages, etc, users, homes, boot, verify);
// then qemu boots B's image with SeaBIOS to a login prompt. Before A goes, a clone is rebuilt
// onto disk C beside it with --new-identities, and boots too.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cli } from '../lib/cli.ts';
import { integrationUnavailable, LoopLab, sh } from '../lib/loop.ts';
import { bootDisk, vmUnavailable } from '../lib/vm.ts';
import { bootyOn, CACHE, ROOT_UUID } from './lib/booty.ts';

const skip = integrationUnavailable() ?? vmUnavailable();
if (skip) console.error(`!! rebuild-boot-host: SKIPPED: ${skip}`);
const lab = new LoopLab('sysmanifest-boot-host-');
after(() => lab.cleanup());
const shadowLine = (root: string, user: string): string => readFileSync(join(root, 'etc/shadow'), 'utf8').split('\n').find((l) => l.startsWith(`${user}:`))!;

test('rebuild every stage onto a blank disk, then boot it (BIOS, GPT, ext4)', { skip, timeout: 30 * 60_000 }, async (t) => {
  mkdirSync(CACHE, { recursive: true });
  let t0 = Date.now();
  const { disk: a, root: rootA } = bootyOn(lab);
  const install = (Date.now() - t0) / 1000;

  const original = { alice: shadowLine(rootA, 'alice'), root: shadowLine(rootA, 'root') };
  const key = join(lab.dir, 'age.key');
  sh(['age-keygen', '-o', key]);
  const recipient = sh(['age-keygen', '-y', key]).trim();
  const secrets = join(lab.dir, 'secrets.age');
  const repo = join(lab.dir, 'repo');
  const cap = cli(['capture', '--commit', '--root', rootA, '--disk', a.path, '--repo', repo, '--host', 'booty', '--secrets-out', secrets, '--secrets-recipient', recipient]);
  assert.equal(cap.status, 0, cap.stderr);
  const manifest = join(repo, 'hosts/booty/manifest.yaml');
  assert.match(readFileSync(manifest, 'utf8'), /loader: grub/);
  lab.umount(rootA);

  // A clone for a second machine, built while the original is still attached (--new-identities):
  // every identity fresh, the original untouched, and the clone boots on its own identities.
  const c = lab.disk(3 * 2 ** 30, { name: 'clone' });
  const aBefore = sh(['blkid', '-p', '-o', 'export', `${a.path}p2`]);
  const cloneTarget = join(lab.dir, 'clone-target');
  const cloneState = join(lab.dir, 'clone-state');
  t0 = Date.now();
  const cl = cli(['rebuild', manifest, '--new-identities', '--map', `disk0=${c.path}`, '--target', cloneTarget, '--state', cloneState, '--cache', CACHE, '--secrets', secrets, '--identity', key, '--yes']);
  const cloned = (Date.now() - t0) / 1000;
  assert.equal(cl.status, 0, `${cl.stdout.slice(-4000)}\n${cl.stderr}`);
  assert.match(cl.stdout, /verify: the disks match the manifest/);
  const map = JSON.parse(readFileSync(join(cloneState, 'identities.json'), 'utf8')) as { changes: { from: string; to: string }[] };
  const newRoot = map.changes.find((x) => x.from === ROOT_UUID)!.to;
  assert.equal(sh(['blkid', '-p', '-s', 'UUID', '-o', 'value', `${c.path}p2`]).trim(), newRoot);
  assert.equal(readFileSync(join(cloneTarget, 'etc/fstab'), 'utf8'), `UUID=${newRoot} / ext4 errors=remount-ro 0 1\n`);
  const cloneCfg = readFileSync(join(cloneTarget, 'boot/grub/grub.cfg'), 'utf8');
  assert.match(cloneCfg, new RegExp(`root=UUID=${newRoot}`));
  assert.ok(!cloneCfg.includes(ROOT_UUID), 'no reference to the original root is left in grub.cfg');
  assert.equal(sh(['blkid', '-p', '-o', 'export', `${a.path}p2`]), aBefore, 'the original is untouched');
  const vc = cli(['verify', manifest, '--root', cloneTarget, '--identity-map', join(cloneState, 'identities.json')]);
  assert.equal(vc.status, 0, vc.stdout + vc.stderr);
  execFileSync('umount', ['-R', cloneTarget]);
  lab.detach(c);
  lab.detach(a); // the machine's disk is gone

  const b = lab.disk(3 * 2 ** 30, { name: 'rebuilt' });
  const target = join(lab.dir, 'target');
  t0 = Date.now();
  // Plain `rebuild MANIFEST`: every stage, in order.
  const r = cli(['rebuild', manifest, '--map', `disk0=${b.path}`, '--target', target, '--state', join(lab.dir, 'state'), '--cache', CACHE, '--secrets', secrets, '--identity', key, '--yes']);
  const rebuild = (Date.now() - t0) / 1000;
  assert.equal(r.status, 0, `${r.stdout.slice(-4000)}\n${r.stderr}`);
  assert.match(r.stdout, /verify: the disks match the manifest/);
  assert.match(readFileSync(join(target, 'boot/grub/grub.cfg'), 'utf8'), new RegExp(`root=UUID=${ROOT_UUID}`), 'root= from the identity map, not the live /dev');
  assert.equal(readFileSync(join(target, 'etc/issue'), 'utf8'), 'rebuilt by sysmanifest \\n \\l\n');
  assert.equal(shadowLine(target, 'alice'), original.alice, 'alice\'s password hash, from the secrets archive');
  assert.equal(shadowLine(target, 'root'), original.root, 'root\'s password hash');
  assert.ok(!readFileSync(manifest, 'utf8').includes(original.alice.split(':')[1]!), 'no hash in the manifest');
  // update-initramfs is back (no diversion left), one initramfs per kernel, built in the boot stage.
  assert.equal(sh(['chroot', target, 'dpkg-divert', '--list', '/usr/sbin/update-initramfs']), '');
  const initrds = sh(['find', join(target, 'boot'), '-maxdepth', '1', '-name', 'initrd.img-*']).trim().split('\n');
  assert.equal(initrds.length, 1, initrds.join(' '));
  execFileSync('umount', ['-R', target]);
  lab.detach(b);

  t0 = Date.now();
  const booted = await bootDisk({ image: b.file, expect: 'booty login:', timeoutSec: 300 });
  const bootB = (Date.now() - t0) / 1000;
  assert.equal(booted.exitCode, 0, booted.harness.slice(-3000));
  t0 = Date.now();
  const bootedClone = await bootDisk({ image: c.file, expect: 'booty login:', timeoutSec: 300 });
  assert.equal(bootedClone.exitCode, 0, `the clone did not boot:\n${bootedClone.harness.slice(-3000)}`);
  t.diagnostic(`original installed in ${install.toFixed(0)} s, rebuilt in ${rebuild.toFixed(0)} s, booted to the login prompt in ${bootB.toFixed(0)} s; clone (--new-identities, original attached) rebuilt in ${cloned.toFixed(0)} s, booted in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
});
