import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Disk, Manifest } from '../../core/manifest/types.gen.ts';
import { guestManifest, guestStorage } from '../../providers/storage/guest-fixture.testutil.ts';
import { fakeDevice } from '../../providers/storage/testing.ts';
import type { BlockDevice, Inventory } from '../../providers/storage/types.ts';
import { identityClashes, normalizeIdentity, plannedIdentities } from './identities.ts';
import { disksUnder, preflightProblems } from './preflight.ts';

// The guest of the storage fixtures (LUKS2/LUKS1, LVM with thin and raid LVs, md RAID1 and
// RAID5): its real inventory (sysfs + blkid -p of every device, dm uuids) and the manifest the
// providers capture from it. Rebuilding that manifest while those disks are still attached
// must find every identity on them.
const guestInventory = (): Inventory => JSON.parse(readFileSync(new URL('../../providers/storage/lvm/__fixtures__/inventory.json', import.meta.url), 'utf8')) as Inventory;
const blankDisk = (kname: string): BlockDevice => fakeDevice(kname, {}, { kind: 'disk', majMin: '8:240', sizeBytes: 8 * 2 ** 30 });
const under = (inv: Inventory) => (k: string) => disksUnder(inv, k);

test('normalizeIdentity: blkid and manifest spellings of one id compare equal', () => {
  assert.equal(normalizeIdentity('8d8b9cee:1eb3f3dd:ecd984a7:8b489f58'), normalizeIdentity('8d8b9cee-1eb3-f3dd-ecd9-84a78b489f58'));
  assert.equal(normalizeIdentity('0x5EED1234'), normalizeIdentity('5eed1234'));
  assert.equal(normalizeIdentity('DEAD-BEEF'), 'deadbeef');
  assert.equal(normalizeIdentity('6B0A9C1E-2D3F-4A5B-8C7D-9E0F1A2B3C4D'), normalizeIdentity('6b0a9c1e-2d3f-4a5b-8c7d-9e0f1a2b3c4d'));
});

test('the guest still attached: every LUKS, PV, md, VG and LV identity of its manifest is found on it', async () => {
  const inv = guestInventory();
  const manifest = guestManifest(await guestStorage());
  const planned = plannedIdentities(manifest);
  const target = 'sdz';
  const withTarget: Inventory = { ...inv, devices: { ...inv.devices, [target]: blankDisk(target) } };
  const clashes = identityClashes(withTarget, [target], planned, under(withTarget));
  const found = new Set(clashes.map((c) => c.identity));
  // The disks section of the fixture manifest is synthetic (table ids 0000000N-…), everything else was captured there.
  // The thin pool's spare metadata LV (lvol0_pmspare) is never activated: it has no dm device, so its LV UUID is not visible.
  const real = planned.filter((i) => i.kind !== 'PTUUID');
  assert.deepEqual(real.filter((i) => !found.has(i)).map((i) => i.what), ['LVM LV UUID (vg0/lvol0_pmspare)']);
  assert.equal(real.length, 20);
  const kinds = (what: RegExp): number => clashes.filter((c) => what.test(c.identity.what)).length;
  assert.equal(kinds(/^LUKS UUID/), manifest.storage!.luks!.length);
  assert.equal(kinds(/^md array UUID/) >= manifest.storage!.mdraid!.length, true, 'each md UUID is on every member');
  assert.ok(kinds(/^LVM PV UUID/) > 0 && kinds(/^LVM VG UUID/) > 0 && kinds(/^LVM LV UUID/) > 0);
  // An md UUID is found on a member partition in blkid's spelling, and the disk to detach is named.
  const md = clashes.find((c) => c.identity.what === 'md array UUID')!;
  assert.equal(md.existing.probe.TYPE, 'linux_raid_member');
  assert.match(md.disks.join(), /^\/dev\/vd[a-e]/);
  // A PV on an open LUKS mapping: the disk under it is what to detach.
  const pv = clashes.find((c) => c.identity.what.startsWith('LVM PV UUID') && c.existing.kind === 'dm')!;
  assert.match(pv.existing.path, /^\/dev\/mapper\//);
  assert.ok(pv.disks.every((d) => /^\/dev\/vd[a-e]$/.test(d)), pv.disks.join());
});

test('the guest disks handed over as the targets themselves: nothing clashes', async () => {
  const inv = guestInventory();
  const planned = plannedIdentities(guestManifest(await guestStorage()));
  assert.deepEqual(identityClashes(inv, ['vda', 'vdb', 'vdc', 'vdd', 'vde'], planned, under(inv)), []);
});

// A small migration: disk0 (sda: GPT, ESP, ext4 root) rebuilt onto sdb while sda is attached.
const disk0: Disk = {
  id: 'disk0',
  match: { sizeBytes: 1 << 30 },
  logicalSectorSize: 512,
  physicalSectorSize: 512,
  table: { type: 'gpt', id: '6B0A9C1E-2D3F-4A5B-8C7D-9E0F1A2B3C4D', firstLba: 2048, lastLba: 2097118 },
  partitions: [
    { id: 'disk0p1', number: 1, start: 2048, size: 204800, type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', uuid: '11111111-2222-4333-8444-555555555501' },
    { id: 'disk0p2', number: 2, start: 206848, size: 1048576, type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4', uuid: '11111111-2222-4333-8444-555555555502' },
  ],
};
const manifest = {
  apiVersion: 'sysmanifest/v1',
  host: { hostname: 'h' },
  storage: {
    disks: [disk0],
    filesystems: [
      { on: 'disk0p1', type: 'vfat', uuid: 'DEAD-BEEF' },
      { on: 'disk0p2', type: 'ext4', uuid: '0b7e5c1a-2f1e-4c8e-9d1a-3e5f7a9b1c2d' },
    ],
  },
} as unknown as Manifest;

const part = (kname: string, parent: string, n: number, probe: Record<string, string>): BlockDevice =>
  fakeDevice(kname, probe, { kind: 'part', parent, partitionNumber: n, majMin: `8:${kname.length * 10 + n}`, sizeBytes: 1 << 28 });

function migration(old: Record<string, string>[]): Inventory {
  return {
    devices: {
      sda: fakeDevice('sda', { PTTYPE: 'gpt', PTUUID: '6b0a9c1e-2d3f-4a5b-8c7d-9e0f1a2b3c4d' }, { kind: 'disk', majMin: '8:0', sizeBytes: 1 << 30 }),
      sda1: part('sda1', 'sda', 1, old[0]!),
      sda2: part('sda2', 'sda', 2, old[1]!),
      sdb: blankDisk('sdb'),
    },
    mounts: [],
    swaps: [],
  };
}

const devicePath = (id: string): string => ({ disk0: '/dev/sdb', disk0p1: '/dev/sdb1', disk0p2: '/dev/sdb2' })[id]!;

test('preflight: the old disk still attached is refused, naming each identity, both devices and the choices', () => {
  const inv = migration([
    { TYPE: 'vfat', UUID: 'DEAD-BEEF', PART_ENTRY_UUID: '11111111-2222-4333-8444-555555555501' },
    { TYPE: 'ext4', UUID: '0b7e5c1a-2f1e-4c8e-9d1a-3e5f7a9b1c2d', PART_ENTRY_UUID: '11111111-2222-4333-8444-555555555502' },
  ]);
  const problems = preflightProblems({ inventory: inv, targets: { disk0: 'sdb' }, disks: [disk0], wipe: new Set(), planned: { identities: plannedIdentities(manifest), devicePath } });
  assert.deepEqual(problems.slice(0, -1), [
    'disk0 → /dev/sdb: GPT disk GUID 6B0A9C1E-2D3F-4A5B-8C7D-9E0F1A2B3C4D is already on /dev/sda, an attached device that is not a target of this rebuild',
    'disk0p1 → /dev/sdb1: PARTUUID 11111111-2222-4333-8444-555555555501 is already on /dev/sda1 (on /dev/sda), an attached device that is not a target of this rebuild',
    'disk0p2 → /dev/sdb2: PARTUUID 11111111-2222-4333-8444-555555555502 is already on /dev/sda2 (on /dev/sda), an attached device that is not a target of this rebuild',
    'disk0p1 → /dev/sdb1: vfat filesystem UUID DEAD-BEEF is already on /dev/sda1 (on /dev/sda), an attached device that is not a target of this rebuild',
    'disk0p2 → /dev/sdb2: ext4 filesystem UUID 0b7e5c1a-2f1e-4c8e-9d1a-3e5f7a9b1c2d is already on /dev/sda2 (on /dev/sda), an attached device that is not a target of this rebuild',
  ]);
  assert.match(problems.at(-1)!, /^\/dev\/sda carries 5 identities this rebuild would create again .*Detach \/dev\/sda before rebuilding; or, if \/dev\/sda is meant to go, rebuild onto it instead \(--map disk0=\/dev\/sda\) and hand it over with --wipe disk0; or, to clone this machine, give the new disks new identities with --new-identities$/);
});

test('preflight: identities that differ, all-zero ids, and the target being recreated itself do not clash', () => {
  const other = migration([{ TYPE: 'vfat', UUID: 'DEAD-BEE0' }, { TYPE: 'ext4', UUID: '0b7e5c1a-2f1e-4c8e-9d1a-3e5f7a9b1c2e' }]);
  const differentDisk = { ...other, devices: { ...other.devices, sda: fakeDevice('sda', { PTTYPE: 'gpt', PTUUID: '00000000-0000-0000-0000-000000000001' }, { kind: 'disk', majMin: '8:0' }) } };
  const planned = { identities: plannedIdentities(manifest), devicePath };
  assert.deepEqual(preflightProblems({ inventory: differentDisk, targets: { disk0: 'sdb' }, disks: [disk0], wipe: new Set(), planned }), []);
  // An MBR without disk id (0x00000000) and a FAT without volume id are no identity.
  const zero = { ...manifest, storage: { disks: [{ ...disk0, table: { type: 'dos', id: '0x00000000' }, partitions: [] }], filesystems: [{ on: 'disk0', type: 'vfat', uuid: '0000-0000' }] } } as unknown as Manifest;
  assert.deepEqual(plannedIdentities(zero), []);
  // Rebuilding onto the old disk itself (handed over with --wipe): its own identities do not count.
  const same = migration([{ TYPE: 'vfat', UUID: 'DEAD-BEEF' }, { TYPE: 'ext4', UUID: '0b7e5c1a-2f1e-4c8e-9d1a-3e5f7a9b1c2d' }]);
  const onto = preflightProblems({ inventory: same, targets: { disk0: 'sda' }, disks: [disk0], wipe: new Set(['disk0']), planned });
  assert.deepEqual(onto, []);
});

test('preflight: an MBR disk id and a swap UUID are found in blkid spelling', () => {
  const mbr = { ...manifest, storage: { disks: [{ ...disk0, table: { type: 'dos', id: '0x5eed1234' }, partitions: [{ id: 'disk0p1', number: 1, start: 2048, size: 4096, type: '82' }] }], swap: [{ on: 'disk0p1', uuid: '5F0E1D2C-3B4A-4958-8776-A5B4C3D2E1F0' }] } } as unknown as Manifest;
  const inv: Inventory = {
    devices: {
      loop3: fakeDevice('loop3', { PTTYPE: 'dos', PTUUID: '5eed1234' }, { kind: 'loop', majMin: '7:3' }),
      loop3p1: fakeDevice('loop3p1', { TYPE: 'swap', UUID: '5f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0', PART_ENTRY_UUID: '5eed1234-01' }, { kind: 'part', parent: 'loop3', partitionNumber: 1, majMin: '259:0' }),
      loop4: blankDisk('loop4'),
    },
    mounts: [],
    swaps: [],
  };
  const clashes = identityClashes(inv, ['loop4'], plannedIdentities(mbr), under(inv));
  assert.deepEqual(clashes.map((c) => [c.identity.what, c.existing.path, c.disks]), [
    ['MBR disk id', '/dev/loop3', ['/dev/loop3']],
    ['swap UUID', '/dev/loop3p1', ['/dev/loop3']],
  ]);
});
