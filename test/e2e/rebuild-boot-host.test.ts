// The whole machine, rebuilt and booted — the layout this host's kernel can hold natively (GPT,
// BIOS boot partition, ext4 root; LUKS/LVM/md need the guest). A Debian 12 system is installed
// on loop disk A (mmdebstrap with a kernel and GRUB), with a serial console, a changed conffile
// and a user with a password; it is captured with --commit and --secrets-out (age); A is
// detached (the machine's disk is gone); plain `sysmanifest rebuild MANIFEST` rebuilds it onto
// blank loop disk B with every stage (storage, base, packages, etc, users, homes, boot, verify);
// then qemu boots B's image with SeaBIOS to a login prompt.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cli } from '../lib/cli.ts';
import { integrationUnavailable, LoopLab, sh } from '../lib/loop.ts';
import { bootDisk, vmUnavailable } from '../lib/vm.ts';

const skip = integrationUnavailable() ?? vmUnavailable();
if (skip) console.error(`!! rebuild-boot-host: SKIPPED: ${skip}`);
const CACHE = '/var/tmp/sysmanifest-apt-cache';
const ROOT_UUID = '0b007000-1111-4222-8333-444455556666';
const lab = new LoopLab('sysmanifest-boot-host-');
after(() => lab.cleanup());

function installOriginal(root: string): void {
  sh(['mmdebstrap', '--mode=root', '--variant=minbase', '--include=linux-image-amd64,grub-pc,initramfs-tools,systemd-sysv,udev', '--skip=check/empty', '--skip=essential/unlink',
    '--setup-hook=mkdir -p "$1"/var/cache/apt/archives', `--setup-hook=sync-in ${CACHE} /var/cache/apt/archives`, `--customize-hook=sync-out /var/cache/apt/archives ${CACHE}`, 'bookworm', root]);
  writeFileSync(join(root, 'etc/fstab'), `UUID=${ROOT_UUID} / ext4 errors=remount-ro 0 1\n`);
  writeFileSync(join(root, 'etc/hostname'), 'booty\n');
  // mmdebstrap installed the set without Recommends: so says this machine's apt configuration,
  // as an administrator who installs that way sets it (otherwise the rebuild's apt would add
  // apparmor, dbus … and verify would rightly name every file they bring).
  writeFileSync(join(root, 'etc/apt/apt.conf.d/90norecommends'), 'APT::Install-Recommends "false";\n');
  const grub = readFileSync(join(root, 'etc/default/grub'), 'utf8')
    .replace(/^GRUB_CMDLINE_LINUX=.*$/m, 'GRUB_CMDLINE_LINUX="console=ttyS0,115200"')
    .replace(/^#?GRUB_TERMINAL=.*$/m, 'GRUB_TERMINAL="serial console"')
    .replace(/^GRUB_TIMEOUT=.*$/m, 'GRUB_TIMEOUT=1');
  writeFileSync(join(root, 'etc/default/grub'), grub);
  writeFileSync(join(root, 'etc/issue'), 'rebuilt by sysmanifest \\n \\l\n');
  // A user with a password, and root's: their hashes go only into the age-encrypted archive.
  sh(['chroot', root, 'useradd', '--create-home', '--uid', '1000', '--shell', '/bin/bash', 'alice']);
  sh(['chroot', root, 'chpasswd'], 'alice:correct horse\nroot:battery staple\n');
}

const shadowLine = (root: string, user: string): string => readFileSync(join(root, 'etc/shadow'), 'utf8').split('\n').find((l) => l.startsWith(`${user}:`))!;

test('rebuild every stage onto a blank disk, then boot it (BIOS, GPT, ext4)', { skip, timeout: 30 * 60_000 }, async (t) => {
  mkdirSync(CACHE, { recursive: true });
  const a = lab.disk(3 * 2 ** 30, { name: 'original' });
  sh(['sfdisk', '-q', a.path], 'label: gpt\nstart=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, name="bios"\nstart=4096, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root"\n');
  lab.rescan(a);
  sh(['mkfs.ext4', '-q', '-U', ROOT_UUID, '-L', 'root', `${a.path}p2`]);
  const rootA = lab.mount(`${a.path}p2`);
  let t0 = Date.now();
  installOriginal(rootA);
  // Bootable, as an installer leaves it: GRUB in the BIOS boot partition and a grub.cfg.
  const binds = ['dev', 'proc', 'sys'].map((d) => join(rootA, d));
  try {
    sh(['mount', '--bind', '/dev', binds[0]!]);
    sh(['mount', '-t', 'proc', 'proc', binds[1]!]);
    sh(['mount', '-t', 'sysfs', 'sysfs', binds[2]!]);
    sh(['chroot', rootA, 'grub-install', '--target=i386-pc', a.path]);
    sh(['chroot', rootA, 'update-grub']);
  } finally {
    for (const b of [...binds].reverse()) spawnSync('umount', [b]);
  }
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
  t.diagnostic(`original installed in ${install.toFixed(0)} s, rebuilt in ${rebuild.toFixed(0)} s, booted to the login prompt in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  assert.equal(booted.exitCode, 0, booted.harness.slice(-3000));
});
