// The filesystem and swap providers against real filesystems made here with the raw tools on
// loop devices (root only). Every captured value is compared with what we passed to mkfs /
// tune2fs / mkswap, or with another tool's own report of the same filesystem (tune2fs -l,
// blkid, btrfs subvolume list on the mounted filesystem, lsattr, blockdev), never with the
// provider's own parsers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { hostReadOnlyRunner } from '../../src/core/runner/exec.ts';
import { loadSchemaFiles, SCHEMA_BASE } from '../../src/core/manifest/schemas.ts';
import type { Filesystem, Swap } from '../../src/core/manifest/types.gen.ts';
import { gatherInventory, stackAbove } from '../../src/providers/storage/inventory/gather.ts';
import { assignIds } from '../../src/providers/storage/ids.ts';
import type { Inventory } from '../../src/providers/storage/types.ts';
import type { StorageContext, StorageProvider } from '../../src/providers/types.ts';
import { provider as ext } from '../../src/providers/filesystems/ext/index.ts';
import { provider as xfs } from '../../src/providers/filesystems/xfs/index.ts';
import { provider as btrfs } from '../../src/providers/filesystems/btrfs/index.ts';
import { provider as vfat } from '../../src/providers/filesystems/vfat/index.ts';
import { provider as swap } from '../../src/providers/storage/swap/index.ts';
import { integrationUnavailable, LoopLab, sh, type LoopDisk } from '../lib/loop.ts';

const skip = integrationUnavailable();
const MiB = 1024 * 1024;
const EXT4_UUID = '0b7e5c1a-2f1e-4c8e-9d1a-3e5f7a9b1c2d';
const XFS_UUID = '2c4e6f8a-1b3d-4e5f-8a9b-0c1d2e3f4a5b';
const BTRFS_UUID = '7d3c9a2e-4b1f-4e6a-9c8d-2f1e0a9b8c7d';
const SWAP_UUID = '5f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0';
const PROVIDERS: readonly StorageProvider[] = [ext, xfs, btrfs, vfat, swap];

let lab: LoopLab;
type DiskName = 'gpt' | 'ext2' | 'ext3' | 'big' | 'fat32' | 'fat16' | 'swap' | 'btrfs' | 'r1a' | 'r1b';
/** Filled in creation order, which is also the id order (disk0 = gpt …). */
const d = {} as Record<DiskName, LoopDisk>;
/** What the tools said about the btrfs while it was mounted (the kernel's view). */
let btrfsKernel: { list: string; lsattrVm: string; lsattrRoot: string; defaultLine: string; roProp: string };
let ctx: StorageContext;
let fsOut: Filesystem[] = [];
let swapOut: Swap[] = [];
let captureMs = 0;

function partitionGpt(disk: LoopDisk, script: string): void {
  sh(['sfdisk', '--quiet', '--wipe', 'always', disk.path], `label: gpt\n${script}`);
  lab.rescan(disk);
}

/** Other tests may attach or detach loop devices while sysfs is walked: retry a vanished device. */
async function inventory(): Promise<Inventory> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await gatherInventory(hostReadOnlyRunner());
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

async function contextFor(disks: readonly LoopDisk[]): Promise<StorageContext> {
  const inv = await inventory();
  const knames = disks.map((x) => x.kname);
  return { runner: hostReadOnlyRunner(), inventory: inv, ids: assignIds(inv, knames), scope: new Set(knames.flatMap((k) => stackAbove(inv, k))) };
}

async function captureAll(c: StorageContext): Promise<{ fs: Filesystem[]; swap: Swap[] }> {
  const fs: Filesystem[] = [];
  const sw: Swap[] = [];
  for (const p of PROVIDERS) {
    const out = await p.contribute(c);
    fs.push(...(out.storage?.filesystems ?? []));
    sw.push(...(out.storage?.swap ?? []));
  }
  return { fs, swap: sw };
}

const fsOn = (id: string): Filesystem => {
  const f = fsOut.find((x) => x.on === id);
  assert.ok(f, `no filesystem captured on ${id}: ${fsOut.map((x) => x.on).join(', ')}`);
  return f;
};
const idOf = (kname: string): string => ctx.ids[kname]!;
/** "Name:   value" of tune2fs -l, the other e2fsprogs report of the same superblock. */
const tune2fsField = (dev: string, name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(sh(['tune2fs', '-l', dev]))![1]!.trim();
const blkid = (dev: string, tag: string): string => sh(['blkid', '-p', '-s', tag, '-o', 'value', dev]).trim();

before(() => {
  if (skip) return;
  lab = new LoopLab('sysmanifest-fs-it-');
  try {
    // A GPT disk with ext4 (non-default everything) on p1 and xfs (non-default geometry) on p2.
    d.gpt = lab.disk(1024 * MiB, { name: 'gpt' });
    partitionGpt(d.gpt, 'size=80MiB, type=linux\ntype=linux\n');
    const p1 = `${d.gpt.path}p1`;
    const p2 = `${d.gpt.path}p2`;
    sh(['mkfs.ext4', '-q', '-F', '-b', '1024', '-I', '128', '-N', '3000', '-O', '^metadata_csum,^64bit', '-E', 'stride=16,stripe_width=32', '-L', 'lbl', '-U', EXT4_UUID, p1]);
    sh(['tune2fs', '-c', '25', '-i', '2w', '-o', 'acl,user_xattr', '-e', 'remount-ro', p1]);
    sh(['mkfs.xfs', '-q', '-f', '-b', 'size=1024', '-i', 'size=512', '-d', 'agcount=3', '-n', 'size=8192', '-l', 'size=64m', '-m', 'reflink=0,finobt=0,uuid=' + XFS_UUID, '-L', 'xlbl', p2]);

    d.ext2 = lab.disk(32 * MiB, { name: 'ext2' });
    sh(['mkfs.ext2', '-q', '-F', d.ext2.path]);
    d.ext3 = lab.disk(64 * MiB, { name: 'ext3' });
    sh(['mkfs.ext3', '-q', '-F', '-L', 'three', d.ext3.path]);

    // 4096-byte logical sectors: mkfs must follow the device.
    d.big = lab.disk(1024 * MiB, { name: 'big', sectorSize: 4096 });
    partitionGpt(d.big, 'size=128MiB, type=linux\ntype=linux\n');
    sh(['mkfs.ext4', '-q', '-F', `${d.big.path}p1`]);
    sh(['mkfs.xfs', '-q', '-f', `${d.big.path}p2`]);

    d.fat32 = lab.disk(300 * MiB, { name: 'fat32' });
    sh(['mkfs.vfat', '-F', '32', '-i', 'DEADBEEF', '-n', 'LABEL', '-s', '8', d.fat32.path]);
    d.fat16 = lab.disk(64 * MiB, { name: 'fat16' });
    sh(['mkfs.vfat', '-F', '16', '-i', '1234abcd', '-n', 'SIXTEEN', d.fat16.path]);

    d.swap = lab.disk(48 * MiB, { name: 'swap' });
    sh(['mkswap', '-L', 'swlbl', '-U', SWAP_UUID, d.swap.path]);

    // btrfs: nested subvolumes, one inside a plain directory, ro snapshot, rw snapshot, a
    // subvolume made ro by property, nodatacow on a subvolume root, a default subvolume.
    d.btrfs = lab.disk(1024 * MiB, { name: 'btrfs' });
    sh(['mkfs.btrfs', '-q', '-f', '-L', 'blbl', '-U', BTRFS_UUID, '-n', '32768', '-m', 'dup', '-d', 'single', d.btrfs.path]);
    const m = lab.mount(d.btrfs.path);
    sh(['btrfs', 'subvolume', 'create', join(m, '@')]);
    mkdirSync(join(m, '@/etc'));
    writeFileSync(join(m, '@/etc/hostname'), 'it\n');
    sh(['btrfs', 'subvolume', 'create', join(m, '@home')]);
    sh(['btrfs', 'subvolume', 'create', join(m, '@home/alice')]);
    mkdirSync(join(m, '@/var/lib'), { recursive: true });
    sh(['btrfs', 'subvolume', 'create', join(m, '@/var/lib/machines')]);
    sh(['btrfs', 'subvolume', 'create', join(m, '@vm')]);
    sh(['chattr', '+C', join(m, '@vm')]);
    sh(['btrfs', 'subvolume', 'snapshot', '-r', join(m, '@'), join(m, '@snap')]);
    sh(['btrfs', 'subvolume', 'snapshot', join(m, '@home'), join(m, '@home-copy')]);
    sh(['btrfs', 'subvolume', 'create', join(m, 'frozen')]);
    sh(['btrfs', 'property', 'set', '-ts', join(m, 'frozen'), 'ro', 'true']);
    const rootId = /^ID (\d+) .* path @$/m.exec(sh(['btrfs', 'subvolume', 'list', m]))![1]!;
    sh(['btrfs', 'subvolume', 'set-default', rootId, m]);
    btrfsKernel = {
      list: sh(['btrfs', 'subvolume', 'list', '-a', '-p', '-u', '-q', m]),
      lsattrVm: sh(['lsattr', '-d', join(m, '@vm')]),
      lsattrRoot: sh(['lsattr', '-d', join(m, '@')]),
      defaultLine: sh(['btrfs', 'subvolume', 'get-default', m]),
      roProp: sh(['btrfs', 'property', 'get', '-ts', join(m, 'frozen'), 'ro']),
    };
    sh(['sync']);
    lab.umount(m);

    // A two-device raid1 btrfs.
    d.r1a = lab.disk(512 * MiB, { name: 'r1a' });
    d.r1b = lab.disk(512 * MiB, { name: 'r1b' });
    sh(['mkfs.btrfs', '-q', '-f', '-d', 'raid1', '-m', 'raid1', d.r1a.path, d.r1b.path]);
  } catch (e) {
    lab.cleanup();
    throw e;
  }
});

after(() => {
  if (!skip) lab.cleanup();
});

test('capture all filesystems on the loop devices (real inventory, ids, scope)', { skip }, async () => {
  ctx = await contextFor(Object.values(d));
  const t0 = performance.now();
  ({ fs: fsOut, swap: swapOut } = await captureAll(ctx));
  captureMs = performance.now() - t0;
  // One entry per filesystem made above; the raid1 pair is one.
  assert.equal(fsOut.length, 10, JSON.stringify(fsOut.map((f) => [f.on, f.type])));
  assert.equal(swapOut.length, 1);
  // Partitions of the GPT disks carry partition ids.
  assert.equal(fsOn(`${idOf(d.gpt.kname)}p1`).type, 'ext4');
  assert.equal(fsOn(`${idOf(d.gpt.kname)}p2`).type, 'xfs');
  console.log(`captured ${fsOut.length} filesystems + ${swapOut.length} swap in ${captureMs.toFixed(0)} ms`);
});

test('every entry validates against the schemas', { skip }, () => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  for (const { schema } of loadSchemaFiles()) ajv.addSchema(schema);
  const vFs = ajv.getSchema(`${SCHEMA_BASE}storage/filesystems.schema.json`)!;
  const vSwap = ajv.getSchema(`${SCHEMA_BASE}storage/swap.schema.json`)!;
  for (const f of fsOut) assert.ok(vFs(f), `${f.on}: ${JSON.stringify(vFs.errors)}`);
  for (const s of swapOut) assert.ok(vSwap(s), `${s.on}: ${JSON.stringify(vSwap.errors)}`);
});

test('ext4 with non-default mke2fs/tune2fs settings: the arguments and tune2fs -l agree', { skip }, () => {
  const dev = `${d.gpt.path}p1`;
  const f = fsOn(`${idOf(d.gpt.kname)}p1`);
  const e = f.ext!;
  assert.equal(f.uuid, EXT4_UUID);
  assert.equal(f.label, 'lbl');
  assert.equal(e.blockSize, 1024);
  assert.equal(e.inodeSize, 128);
  assert.ok(e.inodeCount >= 3000 && e.inodeCount < 3000 + e.inodesPerGroup, `inodeCount ${e.inodeCount}`);
  assert.ok(!e.features.includes('metadata_csum') && !e.features.includes('64bit'));
  assert.equal(e.raidStride, 16);
  assert.equal(e.raidStripeWidth, 32);
  assert.equal(e.maxMountCount, 25);
  assert.equal(e.checkInterval, 14 * 24 * 3600);
  assert.deepEqual(e.defaultMountOptions, ['acl', 'user_xattr']);
  assert.equal(e.errorBehavior, 'remount-ro');
  assert.equal(e.groupDescriptorSize, undefined);
  // tune2fs -l is a second report of the same superblock.
  assert.deepEqual(e.features, tune2fsField(dev, 'Filesystem features').split(/\s+/).sort());
  assert.equal(e.inodeCount, Number(tune2fsField(dev, 'Inode count')));
  assert.equal(e.blockCount, Number(tune2fsField(dev, 'Block count')));
  assert.equal(e.reservedBlockCount, Number(tune2fsField(dev, 'Reserved block count')));
  assert.equal(e.reservedGdtBlocks, Number(tune2fsField(dev, 'Reserved GDT blocks')));
  assert.equal(e.flexBgSize, Number(tune2fsField(dev, 'Flex block group size')));
  assert.equal(e.hashSeed, tune2fsField(dev, 'Directory Hash Seed'));
  assert.equal(e.hashAlgorithm, tune2fsField(dev, 'Default directory hash'));
  assert.equal(e.inodesPerGroup, Number(tune2fsField(dev, 'Inodes per group')));
  assert.equal(e.blocksPerGroup, Number(tune2fsField(dev, 'Blocks per group')));
  // A 80 MiB partition of 1 KiB blocks: the block count is the partition size.
  assert.equal(e.blockCount, 80 * 1024);
});

test('ext2 and ext3: type from blkid, journal only on ext3, features as tune2fs -l lists them', { skip }, () => {
  const e2 = fsOn(idOf(d.ext2.kname));
  const e3 = fsOn(idOf(d.ext3.kname));
  assert.equal(e2.type, 'ext2');
  assert.equal(e3.type, 'ext3');
  assert.equal(e3.label, 'three');
  assert.equal(e2.uuid, blkid(d.ext2.path, 'UUID'));
  assert.equal(e2.ext!.journalBlocks, undefined);
  assert.ok(e3.ext!.journalBlocks! > 0);
  assert.deepEqual(e2.ext!.features, tune2fsField(d.ext2.path, 'Filesystem features').split(/\s+/).sort());
  assert.deepEqual(e3.ext!.features, tune2fsField(d.ext3.path, 'Filesystem features').split(/\s+/).sort());
});

test('xfs with non-default geometry: the mkfs.xfs arguments come back', { skip }, () => {
  const f = fsOn(`${idOf(d.gpt.kname)}p2`);
  const x = f.xfs!;
  assert.equal(f.uuid, XFS_UUID);
  assert.equal(f.uuid, blkid(`${d.gpt.path}p2`, 'UUID'));
  assert.equal(f.label, 'xlbl');
  assert.equal(x.data.bsize, 1024);
  assert.equal(x.metadata.isize, 512);
  assert.equal(x.metadata.agcount, 3);
  assert.equal(x.metadata.reflink, 0);
  assert.equal(x.metadata.finobt, 0);
  assert.equal(x.naming.bsize, 8192);
  assert.equal(x.log.internal, true);
  assert.equal(x.log.blocks * x.log.bsize, 64 * MiB);
  assert.equal(x.data.blocks * x.data.bsize, Number(sh(['blockdev', '--getsize64', `${d.gpt.path}p2`]).trim()));
  assert.equal(x.realtime.device, 'none');
  assert.equal(f.unsupported, undefined);
});

test('4096-byte-sector disk: ext4 and xfs follow the logical sector size', { skip }, () => {
  assert.equal(sh(['blockdev', '--getss', d.big.path]).trim(), '4096');
  const e = fsOn(`${idOf(d.big.kname)}p1`);
  const x = fsOn(`${idOf(d.big.kname)}p2`);
  assert.equal(e.type, 'ext4');
  assert.equal(e.ext!.blockSize, 4096);
  assert.equal(e.uuid, blkid(`${d.big.path}p1`, 'UUID'));
  assert.equal(x.xfs!.metadata.sectsz, 4096);
  assert.equal(x.xfs!.log.sectsz, 4096);
  assert.equal(x.uuid, blkid(`${d.big.path}p2`, 'UUID'));
});

test('vfat: FAT32 and FAT16 with the mkfs.fat arguments; uuid as blkid shows it', { skip }, () => {
  const f32 = fsOn(idOf(d.fat32.kname));
  assert.equal(f32.vfat!.fatSize, 32);
  assert.equal(f32.vfat!.volumeId, 'DEADBEEF');
  assert.equal(f32.vfat!.sectorsPerCluster, 8);
  assert.equal(f32.vfat!.clusterSize, 8 * 512);
  assert.equal(f32.label, 'LABEL');
  assert.equal(f32.uuid, blkid(d.fat32.path, 'UUID'));
  assert.equal(blkid(d.fat32.path, 'VERSION'), 'FAT32');
  const f16 = fsOn(idOf(d.fat16.kname));
  assert.equal(f16.vfat!.fatSize, 16);
  assert.equal(blkid(d.fat16.path, 'VERSION'), 'FAT16');
  assert.equal(f16.vfat!.volumeId, '1234ABCD');
  assert.equal(f16.label, 'SIXTEEN');
  assert.equal(f16.uuid, '1234-ABCD');
});

test('swap: label, uuid, page size and size from mkswap', { skip }, () => {
  const [s] = swapOut;
  assert.deepEqual(s, {
    on: idOf(d.swap.kname),
    uuid: SWAP_UUID,
    label: 'swlbl',
    version: 1,
    pageSize: Number(sh(['getconf', 'PAGESIZE']).trim()),
    pages: (48 * MiB) / Number(sh(['getconf', 'PAGESIZE']).trim()),
  });
});

test('btrfs (captured unmounted): subvolumes, snapshots, ro, nodatacow and default as the kernel reported them mounted', { skip }, () => {
  const f = fsOn(idOf(d.btrfs.kname));
  const b = f.btrfs!;
  assert.equal(f.uuid, BTRFS_UUID);
  assert.equal(f.label, 'blbl');
  assert.equal(b.nodesize, 32768);
  assert.equal(b.sectorsize, Number(sh(['getconf', 'PAGESIZE']).trim()));
  assert.deepEqual(b.profiles, { data: 'single', metadata: 'dup', system: 'dup' });
  assert.deepEqual(b.devices, [{ on: idOf(d.btrfs.kname), devid: 1, uuid: blkid(d.btrfs.path, 'UUID_SUB') }]);
  // `btrfs subvolume list -a -p -u -q` on the mounted filesystem: id, parent, parent_uuid, uuid, path.
  const kernel = [...btrfsKernel.list.matchAll(/^ID (\d+) gen \d+ parent (\d+) top level \d+ parent_uuid (\S+)\s+uuid (\S+) path (?:<FS_TREE>\/)?(.*)$/gm)].map((m) => ({
    id: Number(m[1]), parentId: Number(m[2]), parentUuid: m[3]!, uuid: m[4]!, path: m[5]!,
  }));
  assert.equal(kernel.length, 8);
  assert.deepEqual(b.subvolumes.map((s) => [s.path, s.id, s.parentId]), kernel.map((k) => [k.path, k.id, k.parentId]).sort((x, y) => (x[0]! < y[0]! ? -1 : 1)));
  for (const s of b.subvolumes) {
    const k = kernel.find((x) => x.id === s.id)!;
    const source = kernel.find((x) => x.uuid === k.parentUuid);
    assert.equal(s.snapshotOf, source?.path, s.path);
  }
  assert.equal(b.subvolumes.find((s) => s.path === '@snap')!.snapshotOf, '@');
  assert.equal(b.subvolumes.find((s) => s.path === '@home-copy')!.snapshotOf, '@home');
  assert.equal(btrfsKernel.roProp.trim(), 'ro=true');
  assert.deepEqual(b.subvolumes.filter((s) => s.readOnly).map((s) => s.path), ['@snap', 'frozen']);
  assert.match(btrfsKernel.lsattrVm, /^\S*C\S* /);
  assert.doesNotMatch(btrfsKernel.lsattrRoot, /^\S*C\S* /);
  assert.deepEqual(b.subvolumes.filter((s) => s.nodatacow).map((s) => s.path), ['@vm']);
  assert.match(btrfsKernel.defaultLine, / path @$/m);
  assert.equal(b.defaultSubvolume, '@');
  assert.ok(b.features.incompat.includes('DEFAULT_SUBVOL'));
});

test('btrfs raid1 on two loop devices: one entry, both members by devid', { skip }, () => {
  const a = idOf(d.r1a.kname);
  const bId = idOf(d.r1b.kname);
  const f = fsOn(a);
  assert.deepEqual(f.devices, [a, bId]);
  assert.deepEqual(f.btrfs!.devices.map((x) => [x.on, x.devid, x.uuid]), [
    [a, 1, blkid(d.r1a.path, 'UUID_SUB')],
    [bId, 2, blkid(d.r1b.path, 'UUID_SUB')],
  ]);
  assert.deepEqual(f.btrfs!.profiles, { data: 'raid1', metadata: 'raid1', system: 'raid1' });
  assert.equal(fsOut.filter((x) => x.uuid === f.uuid).length, 1);
});

test('capturing twice gives the same result (determinism)', { skip }, async () => {
  const again = await captureAll(await contextFor(Object.values(d)));
  assert.deepEqual(again, { fs: fsOut, swap: swapOut });
});

test('btrfs captured while mounted (after sync) equals the unmounted capture', { skip }, async () => {
  const m = lab.mount(d.btrfs.path);
  try {
    sh(['sync']);
    const c = await contextFor(Object.values(d));
    // btrfs mounts show an anonymous st_dev (0:N) in mountinfo, not 7:N: find it by source.
    assert.ok(c.inventory.mounts.some((x) => x.source === d.btrfs.path && x.fstype === 'btrfs'), 'the btrfs is mounted');
    const [mounted] = (await btrfs.contribute(c)).storage!.filesystems!;
    assert.deepEqual(mounted!.btrfs, fsOn(idOf(d.btrfs.kname)).btrfs);
  } finally {
    lab.umount(m);
  }
});
