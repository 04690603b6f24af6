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

// Every fixture made by make-vfat-fixtures.sh (see its NAME.cmd): the FAT type, cluster size
// and label follow from the mkfs command; blkid's own reading of the same volume (NAME.blkid,
// libblkid decides the type as the kernel does) must agree on type, volume id and label.
const SURVEY: readonly { name: string; fatSize: 12 | 16 | 32; sectorSize: number; clusterSize: number; label?: string; volumeId?: string }[] = [
  // FAT32 with fewer than 65,525 clusters: the cluster-count rule would call all of these FAT16.
  { name: 'fat32-4k-100m', fatSize: 32, sectorSize: 4096, clusterSize: 4096, label: 'ESP4K' },
  { name: 'fat32-4k-200m', fatSize: 32, sectorSize: 4096, clusterSize: 4096, volumeId: '0BADCAFE' },
  { name: 'fat32-s2-64m', fatSize: 32, sectorSize: 512, clusterSize: 1024, label: 'ESP', volumeId: '1A2B3C4D' },
  { name: 'fat32-s4-64m', fatSize: 32, sectorSize: 512, clusterSize: 2048 },
  { name: 'fat32-s2-100m', fatSize: 32, sectorSize: 512, clusterSize: 1024, label: 'EFI SYSTEM' },
  { name: 'fat32-s4-100m', fatSize: 32, sectorSize: 512, clusterSize: 2048, volumeId: 'C0FFEE00' },
  // mkfs.vfat's own choices.
  { name: 'default-33m', fatSize: 16, sectorSize: 512, clusterSize: 2048 },
  { name: 'default-100m', fatSize: 16, sectorSize: 512, clusterSize: 2048 },
  { name: 'default-512m', fatSize: 32, sectorSize: 512, clusterSize: 4096, label: 'BIGESP' },
  { name: 'default-4m', fatSize: 12, sectorSize: 512, clusterSize: 2048, label: 'TINY' },
  { name: 'fat12-4k-16m', fatSize: 12, sectorSize: 4096, clusterSize: 16384, label: 'F12ON4K' },
  { name: 'fat16-4k-200m', fatSize: 16, sectorSize: 4096, clusterSize: 16384, volumeId: '00C0FFEE' },
];

for (const c of SURVEY) {
  test(`${c.name}: FAT${c.fatSize}, ${c.clusterSize}-byte clusters, volume id and label where the type puts them`, () => {
    const bs = parseBootSector(bin(`${c.name}.bin`));
    const blkid = parseBlkidExport(fixture(import.meta.url, `__fixtures__/${c.name}.blkid`));
    assert.equal(bs.params.fatSize, c.fatSize);
    assert.equal(blkid.VERSION, `FAT${c.fatSize}`);
    assert.equal(bs.params.logicalSectorSize, c.sectorSize);
    assert.equal(bs.params.clusterSize, c.clusterSize);
    assert.equal(bs.label, c.label);
    assert.equal(blkid.LABEL_FATBOOT, c.label);
    assert.equal(`${bs.params.volumeId.slice(0, 4)}-${bs.params.volumeId.slice(4)}`, blkid.UUID);
    if (c.volumeId) assert.equal(bs.params.volumeId, c.volumeId);
    // FAT32 only: root directory cluster, FSInfo and backup boot sector, no fixed root directory.
    assert.equal(bs.params.rootDirEntries === 0, c.fatSize === 32);
    assert.deepEqual([bs.params.rootCluster, bs.params.fsInfoSector, bs.params.backupBootSector], c.fatSize === 32 ? [2, 1, 6] : [undefined, undefined, undefined]);
  });
}

test('a BPB with neither a 16-bit nor a 32-bit FAT size is a ParseError, not a guess', () => {
  const b = bin('fat32-4k-100m.bin').slice();
  b.fill(0, 36, 40);
  assert.throws(() => parseBootSector(b), /implausible BPB/);
});
