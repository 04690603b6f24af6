import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../../../core/runner/fake.ts';
import { UserError } from '../../../core/errors.ts';
import type { Filesystem } from '../../../core/manifest/types.gen.ts';
import { twoDiskContext } from '../testing.ts';
import { parseDumpe2fs } from './parse.ts';
import { captureExt } from './capture.ts';
import { plan } from './plan.ts';

const fx = (name: string): string => fixture(import.meta.url, `__fixtures__/${name}`);

/** disk0 with partition 1 (→ /dev/vdb1 after table:disk0), disk1 bare (→ /dev/vdc). */
const context = (filesystems: Filesystem[]) => twoDiskContext(filesystems, { disk0: '/dev/vdb', disk1: '/dev/vdc' });

test('ext4 with non-default mke2fs/tune2fs settings: exact mke2fs, tune2fs and debugfs argv', () => {
  const fs = captureExt('disk0p1', 'ext4', parseDumpe2fs(fx('ext4-custom.dumpe2fs')));
  const steps = plan(context([fs]));
  assert.deepEqual(steps.map((s) => [s.id, s.after, s.risk]), [
    ['mkfs:disk0p1', ['table:disk0'], 'create'],
    ['tune2fs:disk0p1', ['mkfs:disk0p1'], 'create'],
    ['ext-flags:disk0p1', ['tune2fs:disk0p1'], 'create'],
  ]);
  assert.deepEqual(steps[0]!.argv, [
    'mke2fs', '-F', '-t', 'ext4', '-r', '1', '-b', '1024', '-I', '128', '-N', '3008', '-g', '8192', '-G', '16',
    '-O', 'none,dir_index,dir_nlink,ext_attr,extent,extra_isize,filetype,flex_bg,has_journal,huge_file,large_file,resize_inode,sparse_super',
    // 8 groups, 32 descriptors per 1 KiB block: 1 descriptor block; (255 + 1) × 32 × 8192.
    '-E', 'resize=67108864,stride=16,stripe_width=32,hash_seed=1b86ae78-8b52-46ac-882c-23a779f4dee9',
    '-J', 'size=4',
    '-e', 'remount-ro',
    '-L', 'lbl',
    '-U', '0b7e5c1a-2f1e-4c8e-9d1a-3e5f7a9b1c2d',
    '/dev/vdb1', '65536',
  ]);
  assert.deepEqual(steps[0]!.check, { device: '/dev/vdb1', probe: { TYPE: 'ext4', UUID: '0b7e5c1a-2f1e-4c8e-9d1a-3e5f7a9b1c2d' } });
  assert.equal(steps[0]!.creates, 'disk0p1');
  assert.deepEqual(steps[1]!.argv, [
    'tune2fs', '-c', '25', '-i', '1209600s', '-r', '3276', '-u', '0', '-g', '0',
    '-o', '^debug,^bsdgroups,^uid16,^nobarrier,^block_validity,^discard,^nodelalloc,^journal_data_writeback,acl,user_xattr',
    '-E', 'hash_alg=half_md4',
    '/dev/vdb1',
  ]);
  assert.deepEqual(steps[2]!.argv, ['debugfs', '-w', '-R', 'ssv flags 1', '/dev/vdb1']);
});

test('ext4 defaults (64bit): desc_size and a resize value for 64-byte descriptors', () => {
  const fs = captureExt('disk1', 'ext4', parseDumpe2fs(fx('ext4-default.dumpe2fs')));
  const [mkfs] = plan(context([fs]));
  assert.deepEqual(mkfs!.after, []);
  const argv = mkfs!.argv;
  assert.equal(argv[argv.indexOf('-O') + 1], 'none,64bit,dir_index,dir_nlink,ext_attr,extent,extra_isize,filetype,flex_bg,has_journal,huge_file,large_file,metadata_csum,resize_inode,sparse_super');
  // 32 groups, 16 descriptors per block: 2 descriptor blocks; (256 + 2) × 16 × 8192.
  assert.equal(argv[argv.indexOf('-E') + 1], 'desc_size=64,resize=33816576,hash_seed=fb76f110-f3a8-4e54-93d0-6f107f0b9486');
  assert.equal(argv[argv.indexOf('-J') + 1], 'size=8');
  assert.deepEqual(argv.slice(-6), ['-e', 'continue', '-U', '367eb790-cd86-4d45-ac69-14308fc62b15', '/dev/vdc', '262144']);
  assert.ok(!argv.includes('-L'));
});

test('ext2: no journal option, type ext2', () => {
  const fs = captureExt('disk1', 'ext2', parseDumpe2fs(fx('ext2-default.dumpe2fs')));
  const [mkfs] = plan(context([fs]));
  assert.deepEqual(mkfs!.argv.slice(0, 4), ['mke2fs', '-F', '-t', 'ext2']);
  assert.ok(!mkfs!.argv.includes('-J'));
  assert.equal(mkfs!.argv[mkfs!.argv.indexOf('-O') + 1], 'none,dir_index,ext_attr,filetype,large_file,resize_inode,sparse_super');
});

test('runtime features are not passed to mke2fs; unsigned hash is set with debugfs', () => {
  const base = captureExt('disk1', 'ext4', parseDumpe2fs(fx('ext4-custom.dumpe2fs')));
  const fs: Filesystem = { ...base, ext: { ...base.ext!, features: [...base.ext!.features, 'needs_recovery'].sort(), flags: ['unsigned_directory_hash'] } };
  const steps = plan(context([fs]));
  assert.ok(!steps[0]!.argv[steps[0]!.argv.indexOf('-O') + 1]!.includes('needs_recovery'));
  assert.deepEqual(steps[2]!.argv, ['debugfs', '-w', '-R', 'ssv flags 2', '/dev/vdc']);
});

test('an unsupported entry or an unreproducible value makes plan() throw with the manifest path', () => {
  const ok = captureExt('disk1', 'ext4', parseDumpe2fs(fx('ext4-custom.dumpe2fs')));
  const unsupported: Filesystem = { on: 'disk0p1', type: 'ext4', unsupported: { reason: 'blkid -p /dev/sda1: Operation not permitted' } };
  assert.throws(() => plan(context([ok, unsupported])), (e: unknown) => e instanceof UserError && /storage\.filesystems\[1\] \(on disk0p1\).*Operation not permitted/.test(e.message));
  const bigalloc: Filesystem = { ...ok, ext: { ...ok.ext!, features: [...ok.ext!.features, 'bigalloc'] } };
  assert.throws(() => plan(context([bigalloc])), /storage\.filesystems\[0\]: bigalloc/);
  const oddJournal: Filesystem = { ...ok, ext: { ...ok.ext!, journalBlocks: 1500 } };
  assert.throws(() => plan(context([oddJournal])), /not a whole number of MiB/);
});
