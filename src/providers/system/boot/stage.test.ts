import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../../core/errors.ts';
import { parseManifest } from '../../../core/manifest/load.ts';
import type { Manifest } from '../../../core/manifest/types.gen.ts';
import { buildPlanContext } from '../../../core/plan/context.ts';
import { PROJECT_ROOT } from '../../../core/paths.ts';
import { bootNeeds, planBoot } from './stage.ts';

const example = (f: string): Manifest => parseManifest(readFileSync(join(PROJECT_ROOT, 'manifests', f), 'utf8'), f);
const fstab = (m: Manifest): Manifest => ({
  ...m,
  mounts: {
    crypttab: [],
    fstab: [
      { spec: '/dev/server/root', device: 'server/root', file: '/', vfstype: 'xfs', options: 'defaults', freq: 0, passno: 1 },
      { spec: '/dev/md/boot', device: 'md-boot', file: '/boot', vfstype: 'ext4', options: 'defaults', freq: 0, passno: 2 },
    ],
  },
});
const grub = { firmware: 'bios', firmwareFrom: 'packages', loader: 'grub', grub: { platforms: ['i386-pc'], packages: ['grub-pc'], config: true }, cmdline: {}, initramfs: { tool: 'initramfs-tools' } };

test('boot needs: what reaching / and /boot stands on (xfs on LVM on md RAID1, /boot on md RAID1: the server example)', () => {
  const needs = bootNeeds(fstab(example('server-md-raid1.yaml')));
  assert.deepEqual(needs.programs, ['lvm', 'mdadm']);
  assert.deepEqual(needs.modules, ['xfs']);
  assert.ok(['disk0', 'disk1', 'md-boot', 'md-system', 'server/root'].every((id) => needs.stack.has(id)), [...needs.stack].join(' '));
});

test('boot plan (BIOS, RAID1 over both disks): GRUB on every disk with a BIOS boot partition, the initramfs built once and checked, root=UUID links from the identity map', () => {
  const base = fstab(example('server-md-raid1.yaml'));
  const bios = (d: NonNullable<NonNullable<Manifest['storage']>['disks']>[number]) => ({ ...d, partitions: [{ id: `${d.id}p9`, number: 9, start: 34, size: 2000, type: '21686148-6449-6E6F-744E-656564454649' }, ...d.partitions!] });
  const m = { ...base, storage: { ...base.storage, disks: base.storage!.disks!.map(bios) }, boot: grub } as Manifest;
  const disks = { disk0: '/dev/vdb', disk1: '/dev/vdc' };
  const ctx = buildPlanContext(m, disks, new Set());
  const steps = planBoot({ manifest: m, target: '/t', hostDir: '/r', mirrors: [], cacheDir: '/c', inputs: {} }, ['sm'], { disks, devicePath: (id) => ctx.devicePath(id) });
  assert.deepEqual(steps.map((s) => s.id), ['boot:initramfs', 'boot:grub-config', 'boot:grub-install:disk0', 'boot:grub-install:disk1', 'boot:policy-rc.d']);
  assert.deepEqual(steps[0]!.argv, ['sm', 'internal', 'initramfs-build', '--target', '/t', '--program', 'lvm', '--program', 'mdadm', '--module', 'xfs']);
  assert.deepEqual(steps[2]!.argv, ['chroot', '/t', 'grub-install', '--target=i386-pc', '/dev/vdb']);
  const links = JSON.parse((steps[1]!.input as { text: string }).text).links as Record<string, string>;
  assert.equal(links[m.storage!.filesystems!.find((f) => f.on === 'server/root')!.uuid!], '/dev/mapper/server-root');
  assert.equal(links[m.storage!.filesystems!.find((f) => f.on === 'md-boot')!.uuid!], '/dev/md/boot');
  // Without a BIOS boot partition GRUB cannot embed itself on GPT: refused at plan time.
  assert.throws(() => planBoot({ manifest: { ...base, boot: grub } as Manifest, target: '/t', hostDir: '/r', mirrors: [], cacheDir: '/c', inputs: {} }, ['sm'], { disks, devicePath: (id) => ctx.devicePath(id) }), /GRUB has nowhere to go/);
});

test('boot plan: refusals say what is missing, before any write', () => {
  const m = { ...example('laptop-luks-lvm.yaml'), boot: { ...grub, loader: 'systemd-boot' } } as Manifest;
  const ctx = { manifest: m, target: '/t', hostDir: '/r', mirrors: [], cacheDir: '/c', inputs: {} };
  assert.throws(() => planBoot(ctx, ['sm'], { disks: { disk0: '/dev/vdb' }, devicePath: () => '/dev/x' }), (e: unknown) => e instanceof UserError && /only GRUB/.test(e.message));
  assert.throws(() => planBoot({ ...ctx, manifest: { ...m, boot: grub } as Manifest }, ['sm'], { disks: {}, devicePath: () => '' }), /the manifest records no disks/);
  // GRUB as the loader, but no GRUB package: nothing would bring grub-install (refused at plan time, not after the package install).
  const noPackage = (b: object): Manifest => ({ ...m, boot: { ...grub, ...b } }) as Manifest;
  assert.throws(() => planBoot({ ...ctx, manifest: noPackage({ grub: { ...grub.grub, packages: [] } }) }, ['sm'], { disks: { disk0: '/dev/vdb' }, devicePath: () => '/dev/x' }), (e: unknown) => e instanceof UserError && /^boot\.grub\.packages: empty — /.test(e.message) && /apt-get install grub-pc/.test(e.hint ?? ''));
  assert.throws(() => planBoot({ ...ctx, manifest: noPackage({ firmware: 'uefi', grub: undefined }) }, ['sm'], { disks: { disk0: '/dev/vdb' }, devicePath: () => '/dev/x' }), (e: unknown) => e instanceof UserError && /^boot\.grub\.packages: absent/.test(e.message) && /grub-efi-amd64/.test(e.hint ?? ''));
});

test('boot plan (UEFI): the removable fallback always; GRUB under \\EFI\\debian and one "debian" entry when no entry was captured; --no-nvram leaves NVRAM alone; captured entries on a manifest ESP come back in their order', () => {
  const base = example('laptop-luks-lvm.yaml');
  const uefi = { ...grub, firmware: 'uefi', grub: { platforms: ['x86_64-efi'], packages: ['grub-efi-amd64'], config: true } };
  const m = {
    ...base,
    boot: uefi,
    mounts: {
      crypttab: [],
      fstab: [
        { spec: '/dev/laptop/root', device: 'laptop/root', file: '/', vfstype: 'ext4', options: 'defaults', freq: 0, passno: 1 },
        { spec: 'UUID=800E-0759', device: 'disk0p1', file: '/boot/efi', vfstype: 'vfat', options: 'umask=0077', freq: 0, passno: 1 },
      ],
    },
  } as Manifest;
  const disks = { disk0: '/dev/vdb' };
  const pctx = buildPlanContext(m, disks, new Set());
  const ctx = { manifest: m, target: '/t', hostDir: '/r', mirrors: [], cacheDir: '/c', inputs: {} };
  const steps = planBoot(ctx, ['sm'], { disks, devicePath: (id) => pctx.devicePath(id) });
  assert.deepEqual(steps.map((s) => s.id), ['boot:initramfs', 'boot:grub-config', 'boot:grub-efi', 'boot:grub-efi:debian', 'boot:efi-entries', 'boot:policy-rc.d']);
  assert.deepEqual(steps[2]!.argv, ['chroot', '/t', 'grub-install', '--target=x86_64-efi', '--efi-directory=/boot/efi', '--removable', '--no-nvram']);
  assert.deepEqual(steps[3]!.argv, ['chroot', '/t', 'grub-install', '--target=x86_64-efi', '--efi-directory=/boot/efi', '--bootloader-id=debian', '--no-nvram']);
  assert.deepEqual(steps[4]!.argv, ['sm', 'internal', 'efi-entries']);
  assert.deepEqual(JSON.parse((steps[4]!.input as { text: string }).text), { entries: [{ label: 'debian', file: '\\EFI\\debian\\grubx64.efi', disk: '/dev/vdb', part: 1, partUuid: '43667666-15f4-244c-a699-5d4314f8ecde' }], espDir: '/t/boot/efi' });
  assert.deepEqual(planBoot(ctx, ['sm'], { disks, devicePath: (id) => pctx.devicePath(id), noNvram: true }).map((s) => s.id), ['boot:initramfs', 'boot:grub-config', 'boot:grub-efi', 'boot:grub-efi:debian', 'boot:policy-rc.d']);
  // Captured entries (a live capture): those on the manifest's ESP, in BootOrder; others (UiApp, PXE) are the firmware's.
  const efi = {
    bootOrder: ['0003', '0000', '0001'],
    entries: [
      { number: '0000', label: 'UiApp', active: true },
      { number: '0001', label: 'debian', active: true, partUuid: '43667666-15f4-244c-a699-5d4314f8ecde', file: '\\EFI\\debian\\shimx64.efi' },
      { number: '0003', label: 'Debian (fallback)', active: true, partUuid: '43667666-15f4-244c-a699-5d4314f8ecde', file: '\\EFI\\BOOT\\BOOTX64.EFI' },
      { number: '0004', label: 'other disk', active: true, partUuid: '11111111-15f4-244c-a699-5d4314f8ecde', file: '\\EFI\\x\\y.efi' },
    ],
  };
  const captured = planBoot({ ...ctx, manifest: { ...m, boot: { ...uefi, efi } } as Manifest }, ['sm'], { disks, devicePath: (id) => pctx.devicePath(id) });
  const entries = JSON.parse((captured.find((s) => s.id === 'boot:efi-entries')!.input as { text: string }).text).entries as { label: string; file: string }[];
  assert.deepEqual(entries.map((e) => [e.label, e.file]), [['Debian (fallback)', '\\EFI\\BOOT\\BOOTX64.EFI'], ['debian', '\\EFI\\debian\\shimx64.efi']]);
  assert.deepEqual(captured.filter((s) => s.id.startsWith('boot:grub-efi:')).map((s) => s.id), ['boot:grub-efi:debian']);
});
