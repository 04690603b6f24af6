import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../../../core/runner/fake.ts';
import type { BlockDevice } from '../types.ts';
import { captureDisk } from './capture.ts';
import type { DiskIdentity } from './gather.ts';

const json = (name: string): string => fixture(import.meta.url, `__fixtures__/sfdisk-${name}.json`);

function dev(kname: string, over: Partial<BlockDevice> = {}): BlockDevice {
  return {
    kname,
    path: `/dev/${kname}`,
    kind: 'loop',
    majMin: '7:0',
    sizeBytes: 67108864,
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

function ident(kname: string, over: Partial<DiskIdentity> = {}): DiskIdentity {
  return { kname, path: `/dev/${kname}`, sizeBytes: 67108864, logicalSectorSize: 512, physicalSectorSize: 512, ...over };
}

test('captureDisk: GPT header and partitions, names, attrs as string and bits', () => {
  const disk = captureDisk('disk0', ident('loop0', { serial: 'S1' }), dev('loop0'), { kind: 'table', sfdiskJson: json('gpt') });
  assert.deepEqual(disk, {
    id: 'disk0',
    path: '/dev/loop0',
    match: { serial: 'S1', sizeBytes: 67108864 },
    logicalSectorSize: 512,
    physicalSectorSize: 512,
    table: { type: 'gpt', id: '6B0A9C1E-2D3F-4A5B-8C7D-9E0F1A2B3C4D', firstLba: 2048, lastLba: 131038 },
    partitions: [
      {
        id: 'disk0p1', number: 1, start: 2048, size: 2048, type: '21686148-6449-6E6F-744E-656564454649',
        uuid: '11111111-2222-4333-8444-555555555501', name: 'bios boot', attrs: 'RequiredPartition LegacyBIOSBootable', attrBits: [0, 2],
      },
      {
        id: 'disk0p2', number: 2, start: 4096, size: 20480, type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
        uuid: '11111111-2222-4333-8444-555555555502', name: 'EFI System', attrs: 'GUID:60,63', attrBits: [60, 63],
      },
      {
        id: 'disk0p3', number: 3, start: 24576, size: 40960, type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
        uuid: '11111111-2222-4333-8444-555555555503', name: 'root fs', attrs: 'RequiredPartition NoBlockIOProtocol GUID:48,60,62,63', attrBits: [0, 1, 48, 60, 62, 63],
      },
      { id: 'disk0p4', number: 4, start: 69632, size: 20480, type: '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', uuid: '11111111-2222-4333-8444-555555555504' },
    ],
  });
});

test('captureDisk: MBR primary / extended / logical, bootable flag, disk id', () => {
  const disk = captureDisk('disk1', ident('loop1'), dev('loop1'), { kind: 'table', sfdiskJson: json('dos-logical') });
  assert.deepEqual(disk.table, { type: 'dos', id: '0x5eed1234' });
  assert.deepEqual(disk.partitions, [
    { id: 'disk1p1', number: 1, start: 2048, size: 20480, type: '83', bootable: true, kind: 'primary' },
    { id: 'disk1p2', number: 2, start: 22528, size: 81920, type: '5', bootable: false, kind: 'extended' },
    { id: 'disk1p3', number: 3, start: 104448, size: 8192, type: '82', bootable: false, kind: 'primary' },
    { id: 'disk1p5', number: 5, start: 24576, size: 16384, type: '83', bootable: false, kind: 'logical' },
    { id: 'disk1p6', number: 6, start: 43008, size: 16384, type: '8e', bootable: false, kind: 'logical' },
    { id: 'disk1p7', number: 7, start: 61440, size: 20480, type: 'fd', bootable: false, kind: 'logical' },
  ]);
});

test('captureDisk: 4096-byte sectors; a sector size sfdisk and the kernel disagree on is a ParseError', () => {
  const k4 = ident('loop2', { logicalSectorSize: 4096, physicalSectorSize: 4096 });
  const disk = captureDisk('disk2', k4, dev('loop2'), { kind: 'table', sfdiskJson: json('gpt-4k') });
  assert.equal(disk.logicalSectorSize, 4096);
  assert.deepEqual(disk.table, { type: 'gpt', id: '0D1E2F30-4152-4637-8899-AABBCCDDEEFF', firstLba: 256, lastLba: 16378 });
  assert.deepEqual(
    disk.partitions?.map((p) => [p.id, p.start, p.size, p.name]),
    [['disk2p1', 256, 2560, 'esp4k'], ['disk2p2', 2816, 4096, 'data4k']],
  );
  assert.throws(() => captureDisk('disk2', ident('loop2'), dev('loop2'), { kind: 'table', sfdiskJson: json('gpt-4k') }), /sector size 4096 differs/);
});

test('captureDisk: no table → no table and no partitions; a table only blkid knows → unsupported', () => {
  const stderr = fixture(import.meta.url, '__fixtures__/sfdisk-notable.stderr').trim();
  const blank = captureDisk('disk3', ident('loop3'), dev('loop3'), { kind: 'none', sfdiskStderr: stderr });
  assert.deepEqual(blank, { id: 'disk3', path: '/dev/loop3', match: { sizeBytes: 67108864 }, logicalSectorSize: 512, physicalSectorSize: 512 });
  const mac = captureDisk('disk3', ident('loop3'), dev('loop3', { probe: { PTTYPE: 'mac' } }), { kind: 'none', sfdiskStderr: stderr });
  assert.deepEqual(mac.unsupported, { reason: `blkid finds a "mac" partition table that sfdisk cannot read (${stderr})` });
  assert.equal(mac.table, undefined);
});

test('captureDisk: an unreadable disk keeps its identity, gets unsupported and is never parsed', () => {
  const reason = 'blkid -p /dev/vda: /dev/vda: Operation not permitted';
  const disk = captureDisk('disk0', ident('vda', { serial: 'X1' }), dev('vda', { kind: 'disk', unreadable: reason }), undefined);
  assert.deepEqual(disk, {
    id: 'disk0',
    path: '/dev/vda',
    match: { serial: 'X1', sizeBytes: 67108864 },
    logicalSectorSize: 512,
    physicalSectorSize: 512,
    unsupported: { reason: `the disk cannot be read: ${reason}` },
  });
});
