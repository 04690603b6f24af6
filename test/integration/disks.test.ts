// The disks provider against real partition tables on loop devices: every captured value
// must equal what sfdisk --json and blkid -p (run here, independently) report, and what
// the sfdisk scripts below set. Also: the host's unreadable disk (this sandbox's /dev/vda)
// is kept with its sysfs identity and `unsupported`, and is never opened.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Disk, Partition } from '../../src/core/manifest/types.gen.ts';
import { validateSchema } from '../../src/core/manifest/validate.ts';
import { hostReadOnlyRunner } from '../../src/core/runner/exec.ts';
import type { ReadOnlyRunner } from '../../src/core/runner/types.ts';
import { orderByIdentity, provider, selectDisks } from '../../src/providers/storage/disks/index.ts';
import { assignIds } from '../../src/providers/storage/ids.ts';
import { gatherInventory, stackAbove } from '../../src/providers/storage/inventory/gather.ts';
import { parseBlkidExport } from '../../src/providers/storage/inventory/parse.ts';
import type { Inventory } from '../../src/providers/storage/types.ts';
import { integrationUnavailable, LoopLab, sh, type LoopDisk } from '../lib/loop.ts';

const MiB = 1024 * 1024;
const skip = integrationUnavailable();

const GPT_ID = '3F2504E0-4F89-41D3-9A0C-0305E82C3301';
const gptScript = (dev: string): string => `label: gpt
label-id: ${GPT_ID}

start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, uuid=A1A1A1A1-0000-4000-8000-000000000001, name="grub bios", attrs="RequiredPartition GUID:60,63"
start=4096, size=16384, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=A1A1A1A1-0000-4000-8000-000000000002, name="EFI System Partition", attrs="LegacyBIOSBootable"
start=20480, size=40960, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=A1A1A1A1-0000-4000-8000-000000000003, name="root"
${dev}p5 : start=61440, size=20480, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, uuid=A1A1A1A1-0000-4000-8000-000000000005
`;

const MBR_ID = '0xdeadbeef';
const MBR_SCRIPT = `label: dos
label-id: ${MBR_ID}

start=2048, size=16384, type=83, bootable
start=18432, size=90112, type=f
start=108544, size=8192, type=82
start=20480, size=16384, type=83
start=38912, size=20480, type=8e
start=61440, size=20480, type=fd
`;

const GPT4K_ID = '9B1C1B1E-5A8A-4F5F-9C35-3E5B0E2C4D11';
const GPT4K_SCRIPT = `label: gpt
label-id: ${GPT4K_ID}

start=256, size=2048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=B2B2B2B2-0000-4000-8000-000000000001, name="esp"
start=2304, size=8192, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=B2B2B2B2-0000-4000-8000-000000000002, name="data", attrs="GUID:48"
`;
const EXT4_UUID = '0d6c6e0a-4c1b-4b5e-9d59-6a1f1c2b3d4e';

function partition(lab: LoopLab, disk: LoopDisk, script: string): void {
  sh(['sfdisk', '--no-reread', '--no-tell-kernel', disk.path], script);
  // No udev here, and the host kernel does not scan the table itself: partx adds the
  // partitions. `partx --update` (2.38.1) stops at a gap in the numbering (it counts the
  // partitions and only updates 1..count), so add the ones after a gap one by one.
  lab.rescan(disk);
  const numbers = sh(['partx', '--show', '--noheadings', '--output', 'NR', disk.path]).split('\n').map((l) => l.trim()).filter(Boolean);
  for (const n of numbers) {
    if (!existsSync(`/sys/block/${disk.kname}/${disk.kname}p${n}`)) sh(['partx', '--add', '--nr', n, disk.path]);
  }
  for (const n of numbers) assert.ok(existsSync(`${disk.path}p${n}`), `${disk.path}p${n} exists`);
}

/** gatherInventory over the whole host: other tests' loop devices may vanish under it; try again then. */
async function inventory(runner: ReadOnlyRunner): Promise<Inventory> {
  for (let i = 0; ; i++) {
    try {
      return await gatherInventory(runner);
    } catch (e) {
      if (i >= 2) throw e;
    }
  }
}

interface SfdiskPart { node: string; start: number; size: number; type: string; uuid?: string; name?: string; attrs?: string; bootable?: boolean }
interface SfdiskJson { partitiontable: { label: string; id: string; firstlba?: number; lastlba?: number; sectorsize: number; partitions: SfdiskPart[] } }

/** Every captured value against sfdisk --json and blkid -p of each partition, run here. */
function assertMatchesTools(disk: Disk, loop: LoopDisk): void {
  const sf = (JSON.parse(sh(['sfdisk', '--json', loop.path])) as SfdiskJson).partitiontable;
  const whole = parseBlkidExport(sh(['blkid', '-p', '-o', 'export', loop.path]));
  assert.equal(disk.table!.type, sf.label);
  assert.equal(disk.table!.type, whole.PTTYPE);
  assert.equal(disk.table!.id, sf.id);
  assert.equal(disk.table!.id.toLowerCase().replace(/^0x/, ''), whole.PTUUID);
  assert.equal(disk.table!.firstLba, sf.firstlba);
  assert.equal(disk.table!.lastLba, sf.lastlba);
  assert.equal(disk.logicalSectorSize, sf.sectorsize);
  assert.equal(disk.logicalSectorSize, Number(readFileSync(`/sys/block/${loop.kname}/queue/logical_block_size`, 'utf8')));
  assert.equal(disk.physicalSectorSize, Number(readFileSync(`/sys/block/${loop.kname}/queue/physical_block_size`, 'utf8')));
  assert.equal(disk.match.sizeBytes, Number(sh(['blockdev', '--getsize64', loop.path])));
  assert.deepEqual(disk.partitions!.map((p) => `${loop.path}p${p.number}`), sf.partitions.map((p) => p.node).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));
  for (const p of disk.partitions!) {
    const s = sf.partitions.find((x) => x.node === `${loop.path}p${p.number}`)!;
    assert.deepEqual([p.start, p.size, p.type, p.uuid, p.name, p.attrs], [s.start, s.size, s.type, s.uuid, s.name, s.attrs], p.id);
    const b = parseBlkidExport(sh(['blkid', '-p', '-o', 'export', `${loop.path}p${p.number}`]));
    assert.equal(b.PART_ENTRY_SCHEME, sf.label, p.id);
    assert.equal(Number(b.PART_ENTRY_NUMBER), p.number, p.id);
    // libblkid counts PART_ENTRY_OFFSET / _SIZE in 512-byte units whatever the sector size.
    assert.equal(Number(b.PART_ENTRY_OFFSET) * 512, p.start * disk.logicalSectorSize, p.id);
    assert.equal(Number(b.PART_ENTRY_SIZE) * 512, p.size * disk.logicalSectorSize, p.id);
    // blkid's PART_ENTRY_FLAGS: the GPT attribute bits, or the MBR boot indicator byte.
    const flags = BigInt(b.PART_ENTRY_FLAGS ?? '0');
    if (sf.label === 'gpt') {
      assert.equal(b.PART_ENTRY_TYPE, p.type.toLowerCase(), p.id);
      assert.equal(b.PART_ENTRY_UUID, p.uuid!.toLowerCase(), p.id);
      assert.equal(b.PART_ENTRY_NAME, p.name, p.id);
      assert.equal(flags, (p.attrBits ?? []).reduce((acc, bit) => acc | (1n << BigInt(bit)), 0n), p.id);
    } else {
      assert.equal(b.PART_ENTRY_TYPE, `0x${p.type}`, p.id);
      assert.equal(b.PART_ENTRY_UUID, `${disk.table!.id.slice(2)}-${String(p.number).padStart(2, '0')}`, p.id);
      assert.equal(flags === 0x80n, p.bootable, p.id);
      assert.equal(s.bootable === true, p.bootable, p.id);
    }
  }
}

test('disks: GPT, MBR with logical partitions, 4096-byte sectors and a table-less disk, equal to sfdisk and blkid', { skip }, async () => {
  const lab = new LoopLab('sysmanifest-disks-');
  try {
    const gpt = lab.disk(64 * MiB);
    partition(lab, gpt, gptScript(gpt.path));
    const mbr = lab.disk(64 * MiB);
    partition(lab, mbr, MBR_SCRIPT);
    const k4 = lab.disk(64 * MiB, { sectorSize: 4096 });
    partition(lab, k4, GPT4K_SCRIPT);
    const bare = lab.disk(16 * MiB);
    sh(['mkfs.ext4', '-q', '-U', EXT4_UUID, bare.path]);

    const runner = hostReadOnlyRunner();
    const inv = await inventory(runner);
    const sel = selectDisks(inv, { include: [gpt.path, mbr.kname, k4.kname, bare.kname] });
    assert.deepEqual(sel.disks, [gpt, mbr, k4, bare].map((d) => d.kname).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));
    const ordered = await orderByIdentity(inv, sel.disks, runner);
    assert.deepEqual(ordered, sel.disks, 'loop devices have no WWN or serial: kernel-name order');
    const ids = assignIds(inv, ordered);
    const scope = new Set(ordered.flatMap((k) => stackAbove(inv, k)));
    const contribution = await provider.contribute({ runner, inventory: inv, ids, scope });
    const disks = contribution.storage!.disks!;
    assert.deepEqual(disks.map((d) => d.id), ['disk0', 'disk1', 'disk2', 'disk3']);
    assert.deepEqual(validateSchema({ apiVersion: 'sysmanifest/v1', host: { hostname: 'it' }, storage: { disks } }), []);
    const byLoop = (l: LoopDisk): Disk => disks.find((d) => d.path === l.path)!;

    // (a) GPT: the values the script set.
    const a = byLoop(gpt);
    const aid = ids[gpt.kname]!;
    const gptParts: Partition[] = [
      { id: `${aid}p1`, number: 1, start: 2048, size: 2048, type: '21686148-6449-6E6F-744E-656564454649', uuid: 'A1A1A1A1-0000-4000-8000-000000000001', name: 'grub bios', attrs: 'RequiredPartition GUID:60,63', attrBits: [0, 60, 63] },
      { id: `${aid}p2`, number: 2, start: 4096, size: 16384, type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', uuid: 'A1A1A1A1-0000-4000-8000-000000000002', name: 'EFI System Partition', attrs: 'LegacyBIOSBootable', attrBits: [2] },
      { id: `${aid}p3`, number: 3, start: 20480, size: 40960, type: '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709', uuid: 'A1A1A1A1-0000-4000-8000-000000000003', name: 'root' },
      { id: `${aid}p5`, number: 5, start: 61440, size: 20480, type: '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', uuid: 'A1A1A1A1-0000-4000-8000-000000000005' },
    ];
    assert.deepEqual(a, {
      id: aid,
      path: gpt.path,
      match: { sizeBytes: 64 * MiB },
      logicalSectorSize: 512,
      physicalSectorSize: 512,
      table: { type: 'gpt', id: GPT_ID, firstLba: 2048, lastLba: 131038 },
      partitions: gptParts,
    });
    assertMatchesTools(a, gpt);

    // (b) MBR: primary, extended (type f), primary, three logical.
    const b = byLoop(mbr);
    const bid = ids[mbr.kname]!;
    assert.deepEqual(b.table, { type: 'dos', id: MBR_ID });
    assert.deepEqual(b.partitions, [
      { id: `${bid}p1`, number: 1, start: 2048, size: 16384, type: '83', bootable: true, kind: 'primary' },
      { id: `${bid}p2`, number: 2, start: 18432, size: 90112, type: 'f', bootable: false, kind: 'extended' },
      { id: `${bid}p3`, number: 3, start: 108544, size: 8192, type: '82', bootable: false, kind: 'primary' },
      { id: `${bid}p5`, number: 5, start: 20480, size: 16384, type: '83', bootable: false, kind: 'logical' },
      { id: `${bid}p6`, number: 6, start: 38912, size: 20480, type: '8e', bootable: false, kind: 'logical' },
      { id: `${bid}p7`, number: 7, start: 61440, size: 20480, type: 'fd', bootable: false, kind: 'logical' },
    ]);
    assert.equal(b.unsupported, undefined);
    assertMatchesTools(b, mbr);

    // (c) 4096-byte logical sectors: start and size in 4 KiB sectors.
    const c = byLoop(k4);
    const cid = ids[k4.kname]!;
    assert.equal(c.logicalSectorSize, 4096);
    assert.deepEqual(c.table, { type: 'gpt', id: GPT4K_ID, firstLba: 256, lastLba: 16378 });
    assert.deepEqual(c.partitions, [
      { id: `${cid}p1`, number: 1, start: 256, size: 2048, type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', uuid: 'B2B2B2B2-0000-4000-8000-000000000001', name: 'esp' },
      { id: `${cid}p2`, number: 2, start: 2304, size: 8192, type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4', uuid: 'B2B2B2B2-0000-4000-8000-000000000002', name: 'data', attrs: 'GUID:48', attrBits: [48] },
    ]);
    assertMatchesTools(c, k4);

    // (d) ext4 directly on the disk: no table, no partitions, nothing unsupported.
    assert.equal(parseBlkidExport(sh(['blkid', '-p', '-o', 'export', bare.path])).UUID, EXT4_UUID);
    assert.deepEqual(byLoop(bare), {
      id: ids[bare.kname],
      path: bare.path,
      match: { sizeBytes: 16 * MiB },
      logicalSectorSize: 512,
      physicalSectorSize: 512,
    });
  } finally {
    lab.cleanup();
  }
});

/** A read-only runner that records every command and every byte read it is asked for. */
function recording(inner: ReadOnlyRunner): { runner: ReadOnlyRunner; touched: string[] } {
  const touched: string[] = [];
  const runner: ReadOnlyRunner = {
    mode: inner.mode,
    run: (argv, o) => (touched.push(argv.join(' ')), inner.run(argv, o)),
    readFile: (p) => inner.readFile(p),
    readFileOptional: (p) => inner.readFileOptional(p),
    readDir: (p) => inner.readDir(p),
    readLink: (p) => inner.readLink(p),
    exists: (p) => inner.exists(p),
    readBytes: (p, off, len) => (touched.push(`readBytes ${p}`), inner.readBytes(p, off, len)),
    hasProgram: (p) => inner.hasProgram(p),
  };
  return { runner, touched };
}

test('disks: an unreadable host disk is selected by default, kept with its sysfs identity and unsupported, never opened', { skip }, async (t) => {
  const inv = await inventory(hostReadOnlyRunner());
  const unreadable = Object.values(inv.devices).filter((d) => d.kind === 'disk' && d.unreadable !== undefined);
  if (unreadable.length === 0) {
    t.skip('this host has no disk that cannot be opened (the sandbox /dev/vda case)');
    return;
  }
  const sel = selectDisks(inv);
  for (const d of unreadable) assert.ok(sel.disks.includes(d.kname), `${d.kname} selected`);
  const { runner, touched } = recording(hostReadOnlyRunner());
  const ordered = await orderByIdentity(inv, sel.disks, runner);
  const ids = assignIds(inv, ordered);
  const disks = (await provider.contribute({ runner, inventory: inv, ids, scope: new Set(ordered) })).storage!.disks!;
  for (const dev of unreadable) {
    const disk = disks.find((d) => d.path === dev.path)!;
    const sys = `/sys/block/${dev.kname}`;
    const { match, ...rest } = disk;
    assert.deepEqual(rest, {
      id: ids[dev.kname],
      path: dev.path,
      logicalSectorSize: Number(readFileSync(`${sys}/queue/logical_block_size`, 'utf8')),
      physicalSectorSize: Number(readFileSync(`${sys}/queue/physical_block_size`, 'utf8')),
      unsupported: { reason: `the disk cannot be read: ${dev.unreadable}` },
    });
    assert.equal(match.sizeBytes, Number(readFileSync(`${sys}/size`, 'utf8')) * 512);
    // virtio-blk (the sandbox's vda): the serial attribute, and no vendor (virtio subsystem id).
    if (existsSync(`${sys}/serial`)) assert.equal(match.serial, readFileSync(`${sys}/serial`, 'utf8').trim());
    assert.deepEqual(touched.filter((c) => c.includes(dev.path)), [], `${dev.path} never opened`);
  }
});
