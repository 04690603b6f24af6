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
});
