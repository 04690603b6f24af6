import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import { ParseError } from '../../../core/errors.ts';
import { fakeContext, fakeDevice } from '../testing.ts';
import { parseChunkProfiles, parseDumpSuper, parseRootTree } from './parse.ts';
import { compareKeys, numKey } from './tree.ts';
import { provider } from './index.ts';

const fx = (name: string): string => fixture(import.meta.url, `__fixtures__/${name}`);
const DEV = '/dev/loop0';

function singleDeviceRunner(): FakeRunner {
  const commands: Record<string, string> = {
    [`btrfs inspect-internal dump-super -f ${DEV}`]: fx('dump-super'),
    [`btrfs inspect-internal dump-tree -t root ${DEV}`]: fx('dump-tree-root'),
    [`btrfs inspect-internal dump-tree -t chunk ${DEV}`]: fx('dump-tree-chunk'),
  };
  for (const b of readdirSync(new URL('__fixtures__/blocks/', import.meta.url))) {
    commands[`btrfs inspect-internal dump-tree -b ${b} ${DEV}`] = fx(`blocks/${b}`);
  }
  return new FakeRunner({ commands });
}

test('dump-super: geometry, label, features by name, this device', () => {
  assert.deepEqual(parseDumpSuper(fx('dump-super')), {
    fsid: '7d3c9a2e-4b1f-4e6a-9c8d-2f1e0a9b8c7d',
    metadataUuid: '7d3c9a2e-4b1f-4e6a-9c8d-2f1e0a9b8c7d',
    label: 'blbl',
    nodesize: 16384,
    sectorsize: 4096,
    csumType: 'crc32c',
    numDevices: 1,
    compat: [],
    compatRo: ['FREE_SPACE_TREE', 'FREE_SPACE_TREE_VALID'],
    incompat: ['BIG_METADATA', 'DEFAULT_SUBVOL', 'EXTENDED_IREF', 'MIXED_BACKREF', 'NO_HOLES', 'SKINNY_METADATA'],
    devid: 1,
    devUuid: '26e8dd19-15b2-4cba-8be7-5d3d4feec07b',
  });
});

test('chunk tree: -m dup -d single, and a two-device raid1', () => {
  assert.deepEqual(parseChunkProfiles(fx('dump-tree-chunk')), { data: ['single'], metadata: ['dup'], system: ['dup'] });
  assert.deepEqual(parseChunkProfiles(fx('btrfs-raid1.dump-tree-chunk')), { data: ['raid1'], metadata: ['raid1'], system: ['raid1'] });
});

test('root tree: back references, read-only flags, parent uuids and the default subvolume', () => {
  const { roots, defaultId } = parseRootTree(fx('dump-tree-root'));
  assert.equal(defaultId, 256);
  assert.deepEqual([...roots.keys()].sort((a, b) => a - b), [5, 256, 257, 258, 259, 260, 261, 262, 263]);
  assert.deepEqual(roots.get(259), {
    id: 259, bytenr: roots.get(259)!.bytenr, level: 0, readOnly: false, uuid: '91c7a501-12db-6f46-9ca7-a341952495bd',
    parentId: 256, dirid: 659, name: 'machines',
  });
  assert.equal(roots.get(261)!.readOnly, true);
  assert.equal(roots.get(261)!.parentUuid, roots.get(256)!.uuid);
  assert.equal(roots.get(263)!.readOnly, true);
});

test('keys compare as btrfs orders them (objectid, type number, offset)', () => {
  const k = (o: string, t: string, off: string) => numKey({ objectid: o, type: t, offset: off });
  assert.ok(compareKeys(k('257', 'DIR_ITEM', '999695269'), k('257', 'DIR_INDEX', '2')) < 0);
  assert.ok(compareKeys(k('ORPHAN', 'ORPHAN_ITEM', '5'), k('99999', 'INODE_ITEM', '0')) > 0);
  assert.throws(() => k('257', 'NOT_A_TYPE', '0'), ParseError);
});

// The expected subvolumes are the kernel's own view, `btrfs subvolume list -a -p -u -q -R`
// and `lsattr -d`, captured on the mounted filesystem just before it was dumped.
test('contribute: subvolumes with paths through plain directories, snapshots, ro, nodatacow, default', async () => {
  const runner = singleDeviceRunner();
  const out = await provider.contribute(fakeContext(runner, [fakeDevice('loop0', { TYPE: 'btrfs', UUID: '7d3c9a2e-4b1f-4e6a-9c8d-2f1e0a9b8c7d' })]));
  const [fs] = out.storage!.filesystems!;
  assert.deepEqual(fs, {
    on: 'disk0',
    devices: ['disk0'],
    type: 'btrfs',
    uuid: '7d3c9a2e-4b1f-4e6a-9c8d-2f1e0a9b8c7d',
    label: 'blbl',
    btrfs: {
      nodesize: 16384,
      sectorsize: 4096,
      csumType: 'crc32c',
      features: {
        compat: [],
        compatRo: ['FREE_SPACE_TREE', 'FREE_SPACE_TREE_VALID'],
        incompat: ['BIG_METADATA', 'DEFAULT_SUBVOL', 'EXTENDED_IREF', 'MIXED_BACKREF', 'NO_HOLES', 'SKINNY_METADATA'],
      },
      profiles: { data: 'single', metadata: 'dup', system: 'dup' },
      devices: [{ on: 'disk0', devid: 1, uuid: '26e8dd19-15b2-4cba-8be7-5d3d4feec07b' }],
      subvolumes: [
        { path: '@', id: 256, parentId: 5, readOnly: false, nodatacow: false },
        { path: '@/var/lib/machines', id: 259, parentId: 256, readOnly: false, nodatacow: false },
        { path: '@home', id: 257, parentId: 5, readOnly: false, nodatacow: false },
        { path: '@home-snap', id: 262, parentId: 5, readOnly: false, nodatacow: false, snapshotOf: '@home' },
        { path: '@home/nested', id: 258, parentId: 257, readOnly: false, nodatacow: false },
        { path: '@snap-ro', id: 261, parentId: 5, readOnly: true, nodatacow: false, snapshotOf: '@' },
        { path: '@vm', id: 260, parentId: 5, readOnly: false, nodatacow: true },
        { path: 'ro', id: 263, parentId: 5, readOnly: true, nodatacow: false },
      ],
      defaultSubvolume: '@',
    },
  });
  const list = fx('subvolume-list');
  for (const s of fs!.btrfs!.subvolumes) assert.match(list, new RegExp(`^ID ${s.id} gen \\d+ parent ${s.parentId} .* path (<FS_TREE>/)?${s.path.replace(/[@/]/g, '\\$&')}$`, 'm'));
  assert.match(fx('lsattr'), /^-+C-+ \S+\/@vm$/m);
  // The path of @/var/lib/machines was found by a B-tree walk, not by dumping all of tree 256.
  const blockReads = runner.calls.filter((c) => c[3] === '-b').length;
  assert.ok(blockReads < 25, `read ${blockReads} blocks`);
});

test('two-device raid1: one entry, members in devid order', async () => {
  const fsid = parseDumpSuper(fx('btrfs-raid1-a.dump-super')).fsid;
  const runner = new FakeRunner({
    commands: {
      'btrfs inspect-internal dump-super -f /dev/loop14': fx('btrfs-raid1-a.dump-super'),
      'btrfs inspect-internal dump-super -f /dev/loop15': fx('btrfs-raid1-b.dump-super'),
      'btrfs inspect-internal dump-tree -t root /dev/loop14': fx('btrfs-raid1.dump-tree-root'),
      'btrfs inspect-internal dump-tree -t chunk /dev/loop14': fx('btrfs-raid1.dump-tree-chunk'),
    },
  });
  // Scope order puts devid 2 first: the entry must still sit on devid 1.
  const ctx = fakeContext(runner, [fakeDevice('loop15', { TYPE: 'btrfs', UUID: fsid }), fakeDevice('loop14', { TYPE: 'btrfs', UUID: fsid })]);
  const [fs] = (await provider.contribute(ctx)).storage!.filesystems!;
  assert.equal(fs!.on, 'disk1');
  assert.deepEqual(fs!.devices, ['disk1', 'disk0']);
  assert.deepEqual(fs!.btrfs!.devices.map((d) => [d.on, d.devid]), [['disk1', 1], ['disk0', 2]]);
  assert.deepEqual(fs!.btrfs!.profiles, { data: 'raid1', metadata: 'raid1', system: 'raid1' });
  assert.deepEqual(fs!.btrfs!.subvolumes, []);
  assert.equal(fs!.btrfs!.defaultSubvolume, '');
  assert.equal(fs!.unsupported, undefined);
});

test('an unreadable device mounted as btrfs (anonymous 0:N in mountinfo) is recorded as unsupported', async () => {
  const runner = new FakeRunner({});
  const dev = fakeDevice('loop7', {}, { unreadable: 'blkid -p /dev/loop7: Operation not permitted' });
  const ctx = fakeContext(runner, [dev], { mounts: [{ majMin: '0:45', root: '/@', mountpoint: '/', fstype: 'btrfs', source: '/dev/loop7', options: 'rw' }] });
  assert.deepEqual((await provider.contribute(ctx)).storage!.filesystems, [
    { on: 'disk0', type: 'btrfs', unsupported: { reason: 'blkid -p /dev/loop7: Operation not permitted' } },
  ]);
  assert.equal(runner.calls.length, 0);
});
