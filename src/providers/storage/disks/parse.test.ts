import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fixture } from '../../../core/runner/fake.ts';
import { gptAttrBits, isExtendedType, isNoTableError, normalizeIdString, parseSfdiskJson, parseVpdPg80, partitionNumber } from './parse.ts';

const bytes = (rel: string): Uint8Array => new Uint8Array(readFileSync(new URL(rel, import.meta.url)));

test('parseVpdPg80: virtio-scsi page from the guest (7-byte serial, no padding)', () => {
  const page = bytes('__fixtures__/sysfs-guest/sys/block/sda/device/vpd_pg80');
  assert.equal(page.length, 11);
  assert.equal(parseVpdPg80(page), 'SERSCSI');
});

test('parseVpdPg80: sata page from the guest (20-byte ATA serial, space padded)', () => {
  const page = bytes('__fixtures__/sysfs-guest/sys/block/sdb/device/vpd_pg80');
  assert.equal(page.length, 24);
  assert.equal(parseVpdPg80(page), 'SERSATA');
});

test('parseVpdPg80: rejects a page that is not 0x80 (the guest vpd_pg83) and a truncated page', () => {
  assert.throws(() => parseVpdPg80(bytes('__fixtures__/sysfs-guest/sys/block/sda/device/vpd_pg83')), /page code 0x83/);
  assert.throws(() => parseVpdPg80(bytes('__fixtures__/sysfs-guest/sys/block/sdb/device/vpd_pg80').subarray(0, 10)), /runs past/);
  assert.throws(() => parseVpdPg80(new Uint8Array([0, 0x80])), /header/);
});

test('normalizeIdString: nvme serial padded to 20, t10 wwid with blank runs', () => {
  assert.equal(normalizeIdString(fixture(import.meta.url, '__fixtures__/sysfs-guest/sys/block/nvme0n1/device/serial')), 'SERNVME');
  assert.equal(
    normalizeIdString(fixture(import.meta.url, '__fixtures__/sysfs-guest/sys/block/sdb/device/wwid')),
    't10.ATA QEMU HARDDISK SERSATA',
  );
  assert.equal(normalizeIdString(' \n'), undefined);
  assert.equal(normalizeIdString(undefined), undefined);
});

test('parseSfdiskJson: a GPT with room for 32 entries says so (table-length, a string); 128 is not printed', () => {
  const t = parseSfdiskJson(fixture(import.meta.url, '__fixtures__/sfdisk-gpt-table32.json'));
  assert.equal(t.tableLength, 32);
  assert.equal(t.lastlba, 131062, '64 MiB: 131072 − 1 − (1 header + 8 sectors of entries)');
  assert.equal(parseSfdiskJson(fixture(import.meta.url, '__fixtures__/sfdisk-gpt.json')).tableLength, undefined);
  assert.throws(() => parseSfdiskJson(JSON.stringify({ partitiontable: { label: 'gpt', id: 'X', device: '/dev/x', unit: 'sectors', 'table-length': 'many' } })), /"table-length" is "many", expected a positive integer/);
});

test('parseSfdiskJson: GPT with names and attributes (loop device, sfdisk 2.38.1)', () => {
  const t = parseSfdiskJson(fixture(import.meta.url, '__fixtures__/sfdisk-gpt.json'));
  assert.equal(t.label, 'gpt');
  assert.equal(t.id, '6B0A9C1E-2D3F-4A5B-8C7D-9E0F1A2B3C4D');
  assert.equal(t.device, '/dev/loop0');
  assert.equal(t.unit, 'sectors');
  assert.equal(t.firstlba, 2048);
  assert.equal(t.lastlba, 131038);
  assert.equal(t.sectorsize, 512);
  assert.equal(t.partitions.length, 4);
  assert.deepEqual(t.partitions[0], {
    node: '/dev/loop0p1',
    start: 2048,
    size: 2048,
    type: '21686148-6449-6E6F-744E-656564454649',
    uuid: '11111111-2222-4333-8444-555555555501',
    name: 'bios boot',
    attrs: 'RequiredPartition LegacyBIOSBootable',
  });
  assert.deepEqual(t.partitions[3], {
    node: '/dev/loop0p4',
    start: 69632,
    size: 20480,
    type: '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F',
    uuid: '11111111-2222-4333-8444-555555555504',
  });
});

test('parseSfdiskJson: MBR with an extended and logical partitions', () => {
  const t = parseSfdiskJson(fixture(import.meta.url, '__fixtures__/sfdisk-dos-logical.json'));
  assert.equal(t.label, 'dos');
  assert.equal(t.id, '0x5eed1234');
  assert.equal(t.firstlba, undefined);
  assert.deepEqual(
    t.partitions.map((p) => [p.node, p.start, p.size, p.type, p.bootable]),
    [
      ['/dev/loop1p1', 2048, 20480, '83', true],
      ['/dev/loop1p2', 22528, 81920, '5', undefined],
      ['/dev/loop1p3', 104448, 8192, '82', undefined],
      ['/dev/loop1p5', 24576, 16384, '83', undefined],
      ['/dev/loop1p6', 43008, 16384, '8e', undefined],
      ['/dev/loop1p7', 61440, 20480, 'fd', undefined],
    ],
  );
});

test('parseSfdiskJson: ParseError on output it does not understand', () => {
  assert.throws(() => parseSfdiskJson(''), { code: 'PARSE' });
  assert.throws(() => parseSfdiskJson('{"x":1}'), /no "partitiontable"/);
  assert.throws(() => parseSfdiskJson('{"partitiontable":{"label":"gpt","id":"x","device":"/dev/a","unit":"sectors","partitions":[{"node":"/dev/a1","start":"1","size":2,"type":"x"}]}}'), /"start" is string/);
});

test('partitionNumber: kernel node suffixes', () => {
  assert.equal(partitionNumber('/dev/sda', '/dev/sda12'), 12);
  assert.equal(partitionNumber('/dev/nvme0n1', '/dev/nvme0n1p3'), 3);
  assert.equal(partitionNumber('/dev/loop0', '/dev/loop0p5'), 5);
  assert.throws(() => partitionNumber('/dev/sda', '/dev/sdb1'), { code: 'PARSE' });
});

test('gptAttrBits: names and GUID bits as libfdisk prints them', () => {
  assert.deepEqual(gptAttrBits('RequiredPartition LegacyBIOSBootable'), [0, 2]);
  assert.deepEqual(gptAttrBits('GUID:60,63'), [60, 63]);
  assert.deepEqual(gptAttrBits('RequiredPartition NoBlockIOProtocol GUID:48,60,62,63'), [0, 1, 48, 60, 62, 63]);
  assert.throws(() => gptAttrBits('Hidden'), /unknown GPT attribute/);
  assert.throws(() => gptAttrBits('GUID:47'), /outside 48–63/);
});

test('isExtendedType / isNoTableError', () => {
  assert.deepEqual(['5', 'f', '85', '83', '8e'].map(isExtendedType), [true, true, true, false, false]);
  assert.equal(isNoTableError(fixture(import.meta.url, '__fixtures__/sfdisk-notable.stderr')), true);
  assert.equal(isNoTableError('sfdisk: cannot open /dev/sdz: No such file or directory'), false);
});
