import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import { ParseError } from '../../../core/errors.ts';
import { parseBlkidExport } from '../../storage/inventory/parse.ts';
import { fakeContext, fakeDevice } from '../testing.ts';
import { parseBootSector } from './parse.ts';
import { provider } from './index.ts';

const bin = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`__fixtures__/${name}`, import.meta.url)));

// Expected values cross-checked with file(1) on the same bytes: "sectors/track 63, heads 16,
// sectors 614376, sectors/FAT 600, serial number 0xdeadbeef" (mkfs.fat trims the size to whole clusters).
test('FAT32 from mkfs.vfat -F 32 -i DEADBEEF -n LABEL -s 8', () => {
  assert.deepEqual(parseBootSector(bin('vfat32.bin')), {
    label: 'LABEL',
    params: {
      fatSize: 32,
      logicalSectorSize: 512,
      sectorsPerCluster: 8,
      clusterSize: 4096,
      numberOfFats: 2,
      reservedSectors: 32,
      rootDirEntries: 0,
      media: '0xf8',
      hiddenSectors: 0,
      sectorsPerTrack: 63,
      heads: 16,
      driveNumber: 0x80,
      totalSectors: 614376,
      sectorsPerFat: 600,
      rootCluster: 2,
      fsInfoSector: 1,
      backupBootSector: 6,
      volumeId: 'DEADBEEF',
    },
  });
});

test('FAT16 and FAT12 are told apart by cluster count', () => {
  const f16 = parseBootSector(bin('vfat16.bin'));
  assert.equal(f16.params.fatSize, 16);
  assert.equal(f16.params.volumeId, '1234ABCD');
  assert.equal(f16.params.rootDirEntries, 512);
  assert.equal(f16.params.sectorsPerFat, 128);
  assert.equal(f16.params.sectorsPerCluster, 4);
  assert.equal(f16.params.reservedSectors, 4);
  assert.equal(f16.label, 'F16');
  assert.equal(f16.params.rootCluster, undefined);
  const f12 = parseBootSector(bin('vfat12.bin'));
  assert.equal(f12.params.fatSize, 12);
  assert.equal(f12.label, undefined);
  // blkid's own reading of the same filesystem: UUID is the volume id.
  assert.equal(parseBlkidExport(fixture(import.meta.url, '__fixtures__/vfat12.blkid')).UUID!.replace('-', ''), f12.params.volumeId);
});

test('a sector without the 0x55AA signature is a ParseError', () => {
  assert.throws(() => parseBootSector(new Uint8Array(512)), ParseError);
});

test('contribute: reads 512 bytes of the kernel node; uuid in blkid form, root-dir label', async () => {
  const runner = new FakeRunner({ files: { '/dev/loop6': bin('vfat32.bin') } });
  const probe = parseBlkidExport(fixture(import.meta.url, '__fixtures__/vfat32.blkid'));
  const out = await provider.contribute(fakeContext(runner, [fakeDevice('loop6', probe)]));
  const [fs] = out.storage!.filesystems!;
  assert.equal(fs!.uuid, probe.UUID);
  assert.equal(fs!.uuid, 'DEAD-BEEF');
  assert.equal(fs!.label, 'LABEL');
  assert.equal(fs!.vfat!.bootSectorLabel, undefined);
  assert.equal(runner.calls.length, 0);
});
