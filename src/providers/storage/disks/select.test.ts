import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BlockDevice, Inventory, MountInfo } from '../types.ts';
import type { DiskIdentity } from './gather.ts';
import { orderDisks, selectDisks } from './select.ts';

function dev(kname: string, over: Partial<BlockDevice> = {}): BlockDevice {
  return {
    kname,
    path: `/dev/${kname}`,
    kind: kname.startsWith('loop') ? 'loop' : 'disk',
    majMin: `0:${kname.length}`,
    sizeBytes: 1 << 30,
    logicalSectorSize: 512,
    physicalSectorSize: 512,
    slaves: [],
    holders: [],
    removable: false,
    readOnly: false,
    probe: {},
    ...over,
  };
}

function inventory(devices: BlockDevice[], mounts: MountInfo[] = []): Inventory {
  return { devices: Object.fromEntries(devices.map((d) => [d.kname, d])), mounts, swaps: [] };
}

const base = [
  dev('sdb'),
  dev('sda'),
  dev('sda1', { kind: 'part', parent: 'sda', partitionNumber: 1, majMin: '8:1' }),
  dev('nvme0n1'),
  dev('loop0'),
  dev('dm-0', { kind: 'dm', dm: { name: 'x', uuid: '' } }),
  dev('vda', { unreadable: 'blkid -p /dev/vda: Operation not permitted' }),
];

test('selectDisks: every whole disk (unreadable ones too), no loops, no partitions, in kernel-name order', () => {
  assert.deepEqual(selectDisks(inventory(base)), { disks: ['nvme0n1', 'sda', 'sdb', 'vda'], skipped: [] });
});

test('selectDisks: drops the live medium (by mount and by iso9660), empty readers and read-only disks, with reasons', () => {
  const inv = inventory(
    [
      ...base,
      dev('sdc', { removable: true }),
      dev('sdc1', { kind: 'part', parent: 'sdc', partitionNumber: 1, majMin: '8:33', probe: { TYPE: 'vfat' } }),
      dev('sdd', { removable: true, probe: { TYPE: 'iso9660', PTTYPE: 'dos' } }),
      dev('sde', { sizeBytes: 0, removable: true }),
      dev('mmcblk0boot0', { readOnly: true }),
    ],
    [{ majMin: '8:33', root: '/', mountpoint: '/run/live/medium', fstype: 'vfat', source: '/dev/sdc1', options: 'ro' }],
  );
  assert.deepEqual(selectDisks(inv), {
    disks: ['nvme0n1', 'sda', 'sdb', 'vda'],
    skipped: [
      { kname: 'mmcblk0boot0', reason: 'read-only (sysfs ro=1)' },
      { kname: 'sdc', reason: 'holds the live medium mounted on /run/live/medium' },
      { kname: 'sdd', reason: 'carries an iso9660 image (/dev/sdd): a live or installer medium' },
      { kname: 'sde', reason: 'no medium (size 0)' },
    ],
  });
});

test('selectDisks: include names exactly the disks (loops allowed, /dev/ prefix accepted); exclude removes', () => {
  const inv = inventory(base);
  assert.deepEqual(selectDisks(inv, { include: ['/dev/loop0', 'sdb'] }), { disks: ['loop0', 'sdb'], skipped: [] });
  assert.deepEqual(selectDisks(inv, { exclude: ['/dev/sda', 'sdz'] }), {
    disks: ['nvme0n1', 'sdb', 'vda'],
    skipped: [{ kname: 'sda', reason: 'excluded by the user' }],
  });
  assert.throws(() => selectDisks(inv, { include: ['sdz'] }), { code: 'USAGE', message: 'no block device named sdz' });
  assert.throws(() => selectDisks(inv, { include: ['sda1'] }), { code: 'USAGE', message: 'sda1 is not a whole disk (it is a part)', hint: 'name its disk instead: sda' });
  assert.throws(() => selectDisks(inv, { include: ['dm-0'] }), { code: 'USAGE' });
});

const id = (kname: string, over: Partial<DiskIdentity> = {}): DiskIdentity => ({
  kname, path: `/dev/${kname}`, sizeBytes: 1, logicalSectorSize: 512, physicalSectorSize: 512, ...over,
});

test('orderDisks: WWN first, then serial, then kernel name (numeric); ties fall through', () => {
  const disks = [
    id('loop10'),
    id('loop2'),
    id('vda', { serial: 'B' }),
    id('sdb', { wwn: 'naa.5000c500a0000002', serial: 'Z' }),
    id('vdb', { serial: 'A' }),
    id('sda', { wwn: 'naa.5000c500a0000001', serial: 'Y' }),
    id('sdd', { wwn: 'naa.5000c500a0000001', serial: 'X' }),
  ];
  assert.deepEqual(orderDisks(disks).map((d) => d.kname), ['sdd', 'sda', 'sdb', 'vdb', 'vda', 'loop2', 'loop10']);
  assert.equal(disks[0]!.kname, 'loop10', 'input not mutated');
});
