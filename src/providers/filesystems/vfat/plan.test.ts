import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../../../core/runner/fake.ts';
import type { Filesystem } from '../../../core/manifest/types.gen.ts';
import { twoDiskContext } from '../testing.ts';
import { parseBlkidExport } from '../../storage/inventory/parse.ts';
import { captureVfat } from './capture.ts';
import { parseBootSector } from './parse.ts';
import { plan } from './plan.ts';

const captured = (name: string, on: string): Filesystem =>
  captureVfat(on, parseBlkidExport(fixture(import.meta.url, `__fixtures__/${name}.blkid`)), parseBootSector(new Uint8Array(readFileSync(new URL(`__fixtures__/${name}.bin`, import.meta.url)))));

const context = (filesystems: Filesystem[]) => twoDiskContext(filesystems, { disk0: '/dev/sdb', disk1: '/dev/sdc' });

test('FAT16 on a partition: every BPB field mkfs.fat takes, size in KiB', () => {
  const [step] = plan(context([captured('vfat16', 'disk0p1')]));
  assert.deepEqual(step!.argv, [
    'mkfs.fat', '-F', '16', '-S', '512', '-s', '4', '-f', '2', '-R', '4', '-r', '512',
    '-M', '0xf8', '-h', '0', '-g', '8/32', '-D', '0x80', '-i', '1234ABCD', '-n', 'F16',
    // 131072 sectors of 512 bytes.
    '/dev/sdb1', '65536',
  ]);
  assert.deepEqual(step!.after, ['table:disk0']);
  assert.deepEqual(step!.check, { device: '/dev/sdb1', probe: { TYPE: 'vfat', UUID: '1234-ABCD' } });
});

test('FAT32 on a whole disk: -I, no root entry count, backup boot sector', () => {
  const fs = captured('vfat32', 'disk1');
  const [step] = plan(context([fs]));
  const v = fs.vfat!;
  assert.deepEqual(step!.argv, [
    'mkfs.fat', '-I', '-F', '32', '-S', '512', '-s', '8', '-f', '2', '-R', String(v.reservedSectors), '-b', '6',
    '-M', '0xf8', '-h', '0', '-g', `${v.heads}/${v.sectorsPerTrack}`, '-D', '0x80', '-i', 'DEADBEEF', '-n', 'LABEL',
    // 614376 sectors (mkfs.fat took whole 63-sector tracks of the 300 MiB device): 307188 KiB.
    '/dev/sdc', '307188',
  ]);
  assert.equal(v.totalSectors, 614376);
});

test('FAT12 without label: no -n; a size that is not whole tracks is refused', () => {
  const fs = captured('vfat12', 'disk1');
  const [step] = plan(context([fs]));
  assert.ok(!step!.argv.includes('-n'));
  assert.deepEqual(step!.argv.slice(0, 4), ['mkfs.fat', '-I', '-F', '12']);
  assert.deepEqual(step!.argv.slice(-2), ['/dev/sdc', String(fs.vfat!.totalSectors / 2)]);
  const odd: Filesystem = { ...fs, vfat: { ...fs.vfat!, totalSectors: fs.vfat!.totalSectors - 1 } };
  assert.throws(() => plan(context([odd])), /not a whole number of \d+-sector tracks/);
});

test('values mkfs.fat cannot write are refused', () => {
  const fs = captured('vfat32', 'disk1');
  assert.throws(() => plan(context([{ ...fs, vfat: { ...fs.vfat!, bootSectorLabel: 'OTHER' } }])), /storage\.filesystems\[0\]: boot-sector label "OTHER"/);
  assert.throws(() => plan(context([{ ...fs, vfat: { ...fs.vfat!, rootCluster: 3 } }])), /root directory at cluster 3/);
  assert.throws(() => plan(context([{ on: 'disk1', type: 'vfat', unsupported: { reason: 'unreadable' } }])), /storage\.filesystems\[0\] \(on disk1\).*unreadable/);
});

test('FAT32 with few clusters (4096-byte sectors, 100 MiB) is recreated as FAT32: -F 32, its sector and cluster size, no -r', () => {
  const fs = captured('fat32-4k-100m', 'disk1');
  const [step] = plan(context([fs]));
  assert.deepEqual(step!.argv, [
    'mkfs.fat', '-I', '-F', '32', '-S', '4096', '-s', '1', '-f', '2', '-R', '32', '-b', '6',
    '-M', '0xf8', '-h', '0', '-g', '2/32', '-D', '0x80', '-i', fs.vfat!.volumeId, '-n', 'ESP4K',
    // 25600 sectors of 4096 bytes.
    '/dev/sdc', '102400',
  ]);
  assert.equal(fs.uuid, parseBlkidExport(fixture(import.meta.url, '__fixtures__/fat32-4k-100m.blkid')).UUID);
});

test('FAT32 with -s 2 on 64 MiB: -F 32 -s 2 and the captured volume id', () => {
  const [step] = plan(context([captured('fat32-s2-64m', 'disk0p1')]));
  const argv = step!.argv;
  const opt = (o: string): string | undefined => argv[argv.indexOf(o) + 1];
  assert.deepEqual([opt('-F'), opt('-S'), opt('-s'), opt('-i'), opt('-n')], ['32', '512', '2', '1A2B3C4D', 'ESP']);
  assert.ok(!argv.includes('-r'));
  assert.deepEqual(step!.check, { device: '/dev/sdb1', probe: { TYPE: 'vfat', UUID: '1A2B-3C4D' } });
});
