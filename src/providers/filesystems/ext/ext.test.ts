import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import { ParseError } from '../../../core/errors.ts';
import { fakeContext, fakeDevice } from '../testing.ts';
import { parseDumpe2fs } from './parse.ts';
import { provider } from './index.ts';
import { captureExt } from './capture.ts';

const fx = (name: string): string => fixture(import.meta.url, `__fixtures__/${name}`);

test('ext4 made with non-default mke2fs and tune2fs settings: every decided value', () => {
  const sb = parseDumpe2fs(fx('ext4-custom.dumpe2fs'));
  assert.equal(sb.label, 'lbl');
  assert.equal(sb.uuid, '0b7e5c1a-2f1e-4c8e-9d1a-3e5f7a9b1c2d');
  assert.deepEqual(sb.params, {
    revision: 1,
    blockSize: 1024,
    blockCount: 65536,
    inodeSize: 128,
    inodeCount: 3008,
    blocksPerGroup: 8192,
    inodesPerGroup: 376,
    features: ['dir_index', 'dir_nlink', 'ext_attr', 'extent', 'extra_isize', 'filetype', 'flex_bg', 'has_journal', 'huge_file', 'large_file', 'resize_inode', 'sparse_super'],
    flags: ['signed_directory_hash'],
    defaultMountOptions: ['acl', 'user_xattr'],
    errorBehavior: 'remount-ro',
    maxMountCount: 25,
    checkInterval: 1209600,
    reservedBlockCount: 3276,
    reservedBlocksUid: 0,
    reservedBlocksGid: 0,
    reservedGdtBlocks: 255,
    flexBgSize: 16,
    raidStride: 16,
    raidStripeWidth: 32,
    hashAlgorithm: 'half_md4',
    hashSeed: '1b86ae78-8b52-46ac-882c-23a779f4dee9',
    journalBlocks: 4096,
    journalFastCommitBlocks: 0,
    journalFeatures: [],
  });
});

test('ext4 defaults: 64bit descriptor size, metadata_csum, no RAID fields', () => {
  const { params, label } = parseDumpe2fs(fx('ext4-default.dumpe2fs'));
  assert.equal(label, undefined);
  assert.equal(params.groupDescriptorSize, 64);
  assert.equal(params.blockSize, 1024);
  assert.equal(params.inodeSize, 256);
  assert.ok(params.features.includes('metadata_csum') && params.features.includes('64bit'));
  assert.equal(params.raidStride, undefined);
  assert.equal(params.maxMountCount, -1);
  assert.equal(params.checkInterval, 0);
  assert.equal(params.errorBehavior, 'continue');
  assert.deepEqual(params.defaultMountOptions, ['acl', 'user_xattr']);
});

test('ext2 has no journal fields, ext3 has a journal and no extents', () => {
  const ext2 = parseDumpe2fs(fx('ext2-default.dumpe2fs')).params;
  assert.equal(ext2.journalBlocks, undefined);
  assert.ok(!ext2.features.includes('has_journal'));
  const ext3 = parseDumpe2fs(fx('ext3-default.dumpe2fs')).params;
  assert.ok(ext3.features.includes('has_journal') && !ext3.features.includes('extent'));
  assert.equal(ext3.journalBlocks, 4096);
});

test('output without the superblock lines is a ParseError', () => {
  assert.throws(() => parseDumpe2fs('Filesystem volume name:   <none>\n'), ParseError);
});

test('contribute: one entry per ext device in scope; unreadable ones are unsupported, not dropped', async () => {
  const runner = new FakeRunner({ commands: { 'dumpe2fs -h /dev/loop3': fx('ext4-custom.dumpe2fs') } });
  const ctx = fakeContext(runner, [
    fakeDevice('loop3', { TYPE: 'ext4' }),
    fakeDevice('loop4', {}, { unreadable: 'blkid -p /dev/loop4: Operation not permitted' }),
    fakeDevice('loop5', { TYPE: 'xfs' }),
  ], { mounts: [{ majMin: '7:4', root: '/', mountpoint: '/', fstype: 'ext4', source: '/dev/loop4', options: 'rw' }] });
  const out = await provider.contribute(ctx);
  const fs = out.storage!.filesystems!;
  assert.deepEqual(fs.map((f) => [f.on, f.type, f.label, f.unsupported]), [
    ['disk0', 'ext4', 'lbl', undefined],
    ['disk1', 'ext4', undefined, { reason: 'blkid -p /dev/loop4: Operation not permitted' }],
  ]);
  assert.deepEqual(runner.calls, [['dumpe2fs', '-h', '/dev/loop3']]);
});

test('a failing dumpe2fs is an error, never an empty section', async () => {
  const runner = new FakeRunner({ commands: { 'dumpe2fs -h /dev/loop3': { exitCode: 1, stderr: 'dumpe2fs: Bad magic number in super-block' } } });
  await assert.rejects(provider.contribute(fakeContext(runner, [fakeDevice('loop3', { TYPE: 'ext4' })])), /Bad magic number/);
});

test('a mounted ext4: needs_recovery (mount state) is not captured; the journal features the kernel added are', () => {
  const mounted = parseDumpe2fs(fx('ext4-mounted.dumpe2fs'));
  assert.ok(mounted.params.features.includes('needs_recovery'), 'the fixture is of a mounted filesystem');
  const fs = captureExt('disk0', 'ext4', mounted);
  assert.deepEqual(fs.ext!.features, mounted.params.features.filter((f) => f !== 'needs_recovery'));
  assert.deepEqual(fs.ext!.journalFeatures, ['journal_64bit', 'journal_checksum_v3']);
  // The same filesystem unmounted (ext4-default: mkfs.ext4 -q of the same version) has the same features.
  assert.deepEqual(fs.ext!.features, parseDumpe2fs(fx('ext4-default.dumpe2fs')).params.features);
});
