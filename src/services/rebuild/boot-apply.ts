// Internal steps of the boot stage (the decisions that depend on what the target holds when
// they run):
// - `internal initramfs-build`: the diversion of update-initramfs that the packages stage put
//   in place is undone, every initramfs is built ONCE (`update-initramfs -c -k all`: the
//   kernels the target has, never `uname -r` of the live system), then checked with
//   lsinitramfs for what reaching root needs (cryptsetup for LUKS, lvm for LVM, mdadm for md,
//   the root filesystem's module): the stage fails and says what is missing.
// - `internal grub-config`: update-grub in the target. Without udev (a live system or this
//   host may have none) grub-mkconfig's 10_linux writes root=/dev/… instead of root=UUID=…,
//   because it tests /dev/disk/by-uuid/UUID: the links for the target's filesystems come from
//   the manifest's identity map, on a private tmpfs over the target's /dev/disk, removed after.
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { UserError } from '../../core/errors.ts';
import { joinInside, RootFs } from '../../core/confine/index.ts';
import type { MutatingRunner } from '../../core/runner/types.ts';
import { initramfsMissing, type InitramfsNeeds } from '../../providers/system/boot/initramfs.ts';

const DIVERTED = '/usr/sbin/update-initramfs.sysmanifest';

export type { InitramfsNeeds };

export async function initramfsBuild(runner: MutatingRunner, target: string, needs: InitramfsNeeds, onLine?: (line: string) => void): Promise<{ images: string[] }> {
  const inTarget = (...argv: string[]): string[] => ['chroot', target, 'env', 'LC_ALL=C', ...argv];
  const fs = new RootFs(target);
  const diverted = (await runner.mutate(inTarget('dpkg-divert', '--list', '/usr/sbin/update-initramfs'))).stdout.includes(DIVERTED);
  if (diverted) {
    // The stub goes through the runner (rm, the path resolved inside the target, its last
    // component not followed): --log-commands shows it like every other change.
    const stub = await fs.resolve('/usr/sbin/update-initramfs', false);
    if (stub) await runner.mutate(['rm', '-f', '--', stub.path]);
    await runner.mutate(inTarget('dpkg-divert', '--local', '--rename', '--remove', '/usr/sbin/update-initramfs'));
  }
  const boot = await fs.resolve('/boot');
  if (!boot) throw new UserError('REFUSED', `${target}/boot is missing: is a kernel installed (the manifest's package set)?`);
  const kernels = (await runner.mutate(['find', boot.path, '-maxdepth', '1', '-name', 'vmlinuz-*', '-printf', '%f\\n'])).stdout.split('\n').filter(Boolean).map((f) => f.slice('vmlinuz-'.length));
  if (kernels.length === 0) throw new UserError('REFUSED', 'the target has no kernel (/boot/vmlinuz-*): add a linux-image package to the manifest\'s packages.manual');
  // Built once: what an earlier, interrupted attempt left is removed first.
  await runner.mutate(['find', boot.path, '-maxdepth', '1', '-name', 'initrd.img-*', '-delete']);
  await runner.mutate(inTarget('update-initramfs', '-c', '-k', 'all'), onLine ? { onLine } : {});
  const images: string[] = [];
  for (const k of kernels) {
    const image = `/boot/initrd.img-${k}`;
    const listing = (await runner.mutate(inTarget('lsinitramfs', image))).stdout.split('\n');
    const builtin = (await runner.mutate(['cat', joinInside(target, `/lib/modules/${k}/modules.builtin`)], { okExitCodes: [1] })).stdout;
    const missing = initramfsMissing(listing, builtin, needs);
    if (missing.length) {
      throw new UserError('REFUSED', `the initramfs ${image} lacks what reaching root needs: ${missing.join(', ')}`, {
        hint: 'install the package that provides it in the target (cryptsetup-initramfs, lvm2, mdadm) — add it to packages.manual — and run the boot stage again',
      });
    }
    images.push(image);
  }
  return { images };
}

export interface GrubConfigSpec {
  /** Filesystem UUID → the target's device path (the identity map). */
  readonly links: Readonly<Record<string, string>>;
}

export async function grubConfig(runner: MutatingRunner, target: string, spec: GrubConfigSpec): Promise<void> {
  const disk = joinInside(target, '/dev/disk');
  if (spec === null || typeof spec !== 'object' || spec.links === null || typeof spec.links !== 'object') throw new UserError('USAGE', 'internal grub-config: stdin is not the JSON the boot stage writes');
  for (const [uuid, dev] of Object.entries(spec.links)) {
    if (!/^[0-9A-Fa-f-]{9,36}$/.test(uuid) || !/^\/dev\/[A-Za-z0-9/_.+:-]+$/.test(dev) || dev.includes('..')) throw new UserError('USAGE', `internal grub-config: ${uuid} → ${dev} is not a filesystem UUID and a device`);
  }
  // The target's /dev is the live /dev (bound): a tmpfs over its disk/ keeps the links private.
  const created = !existsSync(disk);
  if (created) await mkdir(disk);
  await runner.mutate(['mount', '-t', 'tmpfs', '-o', 'mode=0755,size=1m', 'sysmanifest-dev-disk', disk]);
  try {
    await mkdir(`${disk}/by-uuid`);
    for (const [uuid, dev] of Object.entries(spec.links)) await symlink(dev, `${disk}/by-uuid/${uuid}`);
    await runner.mutate(['chroot', target, 'env', 'LC_ALL=C', 'update-grub']);
  } finally {
    await runner.mutate(['umount', disk]);
    if (created) await rm(disk, { recursive: true, force: true });
  }
}
