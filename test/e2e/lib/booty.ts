// "booty": the whole machine this host's kernel can hold natively (GPT, BIOS boot partition,
// ext4 root), installed on a loop disk by the host e2e tests (rebuild-boot-host, live-medium):
// Debian 12 minbase with a kernel, GRUB and a serial console, a changed conffile, a user and
// root with passwords; bootable as an installer leaves it.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoopLab, sh, type LoopDisk } from '../../lib/loop.ts';

export const CACHE = '/var/tmp/sysmanifest-apt-cache';
export const ROOT_UUID = '0b007000-1111-4222-8333-444455556666';

export function installOriginal(root: string): void {
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
  // The drivers this (virtual) machine needs, as a VM's admin sets it up (as the guest machines
  // do): MODULES=most copies ~1,000 modules, a fork each — about 5 minutes of the rebuild's boot
  // stage when it runs in a rescue guest under TCG (rehearse), a few seconds on this host.
  writeFileSync(join(root, 'etc/initramfs-tools/initramfs.conf'), readFileSync(join(root, 'etc/initramfs-tools/initramfs.conf'), 'utf8').replace(/^MODULES=.*$/m, 'MODULES=list'));
  writeFileSync(join(root, 'etc/initramfs-tools/modules'), ['virtio_pci', 'virtio_blk', 'ext4', ''].join('\n'));
  // A user with a password, and root's: their hashes go only into the age-encrypted archive.
  sh(['chroot', root, 'useradd', '--create-home', '--uid', '1000', '--shell', '/bin/bash', 'alice']);
  sh(['chroot', root, 'chpasswd'], 'alice:correct horse\nroot:battery staple\n');
}

/** booty on a fresh loop disk of the lab: partitioned, formatted, installed, GRUB in its BIOS boot partition; mounted at the returned root. */
export function bootyOn(lab: LoopLab): { disk: LoopDisk; root: string } {
  const a = lab.disk(3 * 2 ** 30, { name: 'original' });
  sh(['sfdisk', '-q', a.path], 'label: gpt\nstart=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, name="bios"\nstart=4096, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root"\n');
  lab.rescan(a);
  sh(['mkfs.ext4', '-q', '-U', ROOT_UUID, '-L', 'root', `${a.path}p2`]);
  const root = lab.mount(`${a.path}p2`);
  installOriginal(root);
  const binds = ['dev', 'proc', 'sys'].map((d) => join(root, d));
  try {
    sh(['mount', '--bind', '/dev', binds[0]!]);
    sh(['mount', '-t', 'proc', 'proc', binds[1]!]);
    sh(['mount', '-t', 'sysfs', 'sysfs', binds[2]!]);
    sh(['chroot', root, 'grub-install', '--target=i386-pc', a.path]);
    sh(['chroot', root, 'update-grub']);
  } finally {
    for (const b of [...binds].reverse()) spawnSync('umount', [b]);
  }
  return { disk: a, root };
}
