import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import type { BtrfsSubvolume, Filesystem, Manifest } from '../../../core/manifest/types.gen.ts';
import { buildPlanContext } from '../../../core/plan/context.ts';
import { orderSteps } from '../../../core/plan/order.ts';
import { fakeContext, fakeDevice } from '../testing.ts';
import { provider } from './index.ts';
import { plan } from './plan.ts';

const fx = (name: string): string => fixture(import.meta.url, `__fixtures__/${name}`);
const UUID = '7d3c9a2e-4b1f-4e6a-9c8d-2f1e0a9b8c7d';
const MNT = `/run/sysmanifest/mnt-${UUID}`;

/** The single-device fixture filesystem, captured by the provider from the recorded dump-tree output. */
async function capturedSingle(): Promise<Filesystem> {
  const commands: Record<string, string> = {
    'btrfs inspect-internal dump-super -f /dev/loop0': fx('dump-super'),
    'btrfs inspect-internal dump-tree -t root /dev/loop0': fx('dump-tree-root'),
    'btrfs inspect-internal dump-tree -t chunk /dev/loop0': fx('dump-tree-chunk'),
  };
  for (const b of readdirSync(new URL('__fixtures__/blocks/', import.meta.url))) commands[`btrfs inspect-internal dump-tree -b ${b} /dev/loop0`] = fx(`blocks/${b}`);
  const out = await provider.contribute(fakeContext(new FakeRunner({ commands }), [fakeDevice('loop0', { TYPE: 'btrfs', UUID })]));
  return out.storage!.filesystems![0]!;
}

function context(filesystems: Filesystem[]) {
  const manifest = {
    apiVersion: 'sysmanifest/v1',
    host: { hostname: 'h' },
    storage: {
      disks: [
        { id: 'disk0', match: {}, logicalSectorSize: 512, physicalSectorSize: 512 },
        { id: 'disk1', match: {}, logicalSectorSize: 512, physicalSectorSize: 512, partitions: [{ id: 'disk1p1', number: 1 }] },
        { id: 'disk2', match: {}, logicalSectorSize: 512, physicalSectorSize: 512, partitions: [{ id: 'disk2p1', number: 1 }] },
      ],
      filesystems,
    },
  } as unknown as Manifest;
  return buildPlanContext(manifest, { disk0: '/dev/vdb', disk1: '/dev/vdc', disk2: '/dev/vdd' }, new Set());
}

test('single-device btrfs: mkfs, then subvolumes in id order, snapshot, nodatacow, ro, default, umount', async () => {
  const fs = await capturedSingle();
  const steps = orderSteps(plan(context([fs])));
  assert.deepEqual(steps.map((s) => [s.id, s.argv.join(' ')]), [
    ['mkfs:disk0', `mkfs.btrfs -f -U ${UUID} -L blbl --nodesize 16384 --sectorsize 4096 --csum crc32c -d single -m dup -O extref,skinny-metadata,no-holes -R free-space-tree /dev/vdb`],
    ['btrfs-mnt:disk0', `mkdir -p ${MNT}/.sysmanifest-unmounted`],
    ['btrfs-mount:disk0', `mount -t btrfs -o subvolid=5 /dev/vdb ${MNT}`],
    ['subvol:disk0:@', `btrfs subvolume create ${MNT}/@`],
    ['subvol:disk0:@home', `btrfs subvolume create ${MNT}/@home`],
    ['subvol:disk0:@home/nested', `btrfs subvolume create ${MNT}/@home/nested`],
    ['btrfs-dir:disk0:@/var/lib', `mkdir -p ${MNT}/@/var/lib`],
    ['subvol:disk0:@/var/lib/machines', `btrfs subvolume create ${MNT}/@/var/lib/machines`],
    ['subvol:disk0:@vm', `btrfs subvolume create ${MNT}/@vm`],
    ['nodatacow:disk0:@vm', `chattr +C ${MNT}/@vm`],
    ['subvol:disk0:@snap-ro', `btrfs subvolume snapshot -r ${MNT}/@ ${MNT}/@snap-ro`],
    ['subvol:disk0:@home-snap', `btrfs subvolume snapshot ${MNT}/@home ${MNT}/@home-snap`],
    ['subvol:disk0:ro', `btrfs subvolume create ${MNT}/ro`],
    ['ro:disk0:ro', `btrfs property set -ts ${MNT}/ro ro true`],
    ['default:disk0', `btrfs subvolume set-default ${MNT}/@`],
    ['btrfs-umount:disk0', `umount ${MNT}`],
  ]);
  // Every step waits for the one before; the mkfs for nothing (a whole disk is there already).
  assert.deepEqual(steps[0]!.after, []);
  steps.slice(1).forEach((s, i) => assert.deepEqual(s.after, [steps[i]!.id]));
  assert.ok(steps.every((s) => s.risk === 'create'));
  assert.deepEqual(steps[0]!.check, { device: '/dev/vdb', probe: { TYPE: 'btrfs', UUID } });
  assert.deepEqual(steps[2]!.check, { device: `/sys/fs/btrfs/${UUID}`, probe: {} });
  assert.deepEqual(steps.find((s) => s.id === 'subvol:disk0:@snap-ro')!.check, { device: `${MNT}/@snap-ro`, probe: {} });
  assert.deepEqual(steps.at(-1)!.check, { device: `${MNT}/.sysmanifest-unmounted`, probe: {} });
});

test('multi-device raid1 on partitions: one mkfs over all members after both tables', () => {
  const fs: Filesystem = {
    on: 'disk1p1', devices: ['disk1p1', 'disk2p1'], type: 'btrfs', uuid: UUID,
    btrfs: {
      nodesize: 16384, sectorsize: 4096, csumType: 'xxhash',
      features: { compat: [], compatRo: [], incompat: ['BIG_METADATA', 'EXTENDED_IREF', 'MIXED_BACKREF', 'SKINNY_METADATA'] },
      profiles: { data: 'raid1', metadata: 'raid1', system: 'raid1' },
      devices: [{ on: 'disk1p1', devid: 1, uuid: 'a' }, { on: 'disk2p1', devid: 2, uuid: 'b' }],
      subvolumes: [], defaultSubvolume: '',
    },
  };
  const steps = plan(context([fs]));
  assert.equal(steps.length, 1);
  assert.deepEqual(steps[0]!.after, ['table:disk1', 'table:disk2']);
  assert.deepEqual(steps[0]!.argv, [
    'mkfs.btrfs', '-f', '-U', UUID, '--nodesize', '16384', '--sectorsize', '4096', '--csum', 'xxhash', '-d', 'raid1', '-m', 'raid1',
    '-O', 'extref,skinny-metadata,^no-holes', '-R', '^free-space-tree', '/dev/vdc1', '/dev/vdd1',
  ]);
});

test('id gaps are filled with placeholders that are removed again; compression flags by remount; top-level default', () => {
  const sub = (path: string, id: number, extra: Partial<BtrfsSubvolume> = {}): BtrfsSubvolume => ({ path, id, parentId: 5, readOnly: false, nodatacow: false, ...extra });
  const fs: Filesystem = {
    on: 'disk0', type: 'btrfs', uuid: UUID,
    btrfs: {
      nodesize: 16384, sectorsize: 4096, csumType: 'crc32c',
      features: { compat: [], compatRo: ['FREE_SPACE_TREE', 'FREE_SPACE_TREE_VALID'], incompat: ['COMPRESS_ZSTD', 'DEFAULT_SUBVOL', 'EXTENDED_IREF', 'NO_HOLES', 'SKINNY_METADATA'] },
      profiles: { data: 'single', metadata: 'dup', system: 'dup' },
      devices: [{ on: 'disk0', devid: 1, uuid: 'a' }],
      // 256 was deleted; the snapshot of a nodatacow subvolume was made datacow, and is read-only.
      subvolumes: [sub('a', 257, { nodatacow: true }), sub('b', 259, { snapshotOf: 'a', readOnly: true })],
      defaultSubvolume: '',
    },
  };
  const steps = orderSteps(plan(context([fs])));
  assert.deepEqual(steps.slice(2).map((s) => s.argv.join(' ')), [
    `mount -t btrfs -o subvolid=5 /dev/vdb ${MNT}`,
    `mount -o remount,compress=zstd ${MNT}`,
    `mkdir -p ${MNT}/.sysmanifest-gaps`,
    `btrfs subvolume create ${MNT}/.sysmanifest-gaps/256`,
    `btrfs subvolume create ${MNT}/a`,
    `chattr +C ${MNT}/a`,
    `btrfs subvolume create ${MNT}/.sysmanifest-gaps/258`,
    `btrfs subvolume snapshot ${MNT}/a ${MNT}/b`,
    `chattr -C ${MNT}/b`,
    `btrfs property set -ts ${MNT}/b ro true`,
    `btrfs subvolume set-default 5 ${MNT}`,
    `rm -rf ${MNT}/.sysmanifest-gaps`,
    `btrfs filesystem sync ${MNT}`,
    `btrfs subvolume sync ${MNT}`,
    `umount ${MNT}`,
  ]);
});

test('what mkfs.btrfs and id order cannot produce is refused with the manifest path', async () => {
  const fs = await capturedSingle();
  const b = fs.btrfs!;
  assert.throws(() => plan(context([{ ...fs, btrfs: { ...b, metadataUuid: '11111111-2222-3333-4444-555555555555' } }])), /storage\.filesystems\[0\]: metadata_uuid/);
  assert.throws(() => plan(context([{ ...fs, btrfs: { ...b, profiles: { data: 'single', metadata: 'dup', system: 'single' } } }])), /system profile single differs/);
  // @home/nested (258) moved into a newer subvolume: id order cannot place it.
  const moved = b.subvolumes.map((s) => (s.path === '@home/nested' ? { ...s, path: 'ro/nested', parentId: 263 } : s));
  assert.throws(() => plan(context([{ ...fs, btrfs: { ...b, subvolumes: moved } }])), /subvolumes\[\d+\]: ro\/nested \(id 258\) was moved into ro \(id 263\)/);
  assert.throws(() => plan(context([{ on: 'disk0', type: 'btrfs', unsupported: { reason: 'only 1 of 2 devices are being captured' } }])), /storage\.filesystems\[0\] \(on disk0\).*only 1 of 2/);
});
