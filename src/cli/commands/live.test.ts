import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Disk, Manifest } from '../../core/manifest/types.gen.ts';
import { fakeDevice } from '../../providers/storage/testing.ts';
import type { DiskIdentity } from '../../providers/storage/disks/index.ts';
import type { Inventory } from '../../providers/storage/types.ts';
import { liveTools } from '../../services/rebuild/tools.ts';
import { describeContent, proposeTargets } from './live.ts';

const GiB = 2 ** 30;
const disk = (id: string, size: number, match: Partial<Disk['match']> = {}): Disk => ({ id, path: `/dev/old-${id}`, match: { sizeBytes: size, ...match }, logicalSectorSize: 512, physicalSectorSize: 512 });
const here = (kname: string, size: number, extra: Partial<DiskIdentity> = {}): DiskIdentity => ({ kname, path: `/dev/${kname}`, sizeBytes: size, logicalSectorSize: 512, physicalSectorSize: 512, ...extra });

// A live system: sda is the USB stick it booted from (mounted), sdb holds an old GPT with an
// ext4, sdc and sdd are blank (8 and 4 GiB), nvme0n1 is blank and has disk1's serial.
const inv: Inventory = {
  devices: {
    sda: fakeDevice('sda', { TYPE: 'iso9660', LABEL: 'd-live' }, { kind: 'disk', sizeBytes: 16 * GiB }),
    sdb: fakeDevice('sdb', { PTTYPE: 'gpt' }, { kind: 'disk', sizeBytes: 8 * GiB }),
    sdb1: fakeDevice('sdb1', { TYPE: 'ext4', LABEL: 'root' }, { kind: 'part', parent: 'sdb', partitionNumber: 1 }),
    sdc: fakeDevice('sdc', {}, { kind: 'disk', sizeBytes: 8 * GiB }),
    sdd: fakeDevice('sdd', {}, { kind: 'disk', sizeBytes: 4 * GiB }),
    nvme0n1: fakeDevice('nvme0n1', {}, { kind: 'disk', sizeBytes: 2 * GiB }),
  },
  mounts: [{ majMin: '7:0', root: '/', mountpoint: '/run/live/medium', fstype: 'iso9660', source: '/dev/sda', options: 'ro' } as never],
  swaps: [],
};
const present = [here('sda', 16 * GiB), here('sdb', 8 * GiB), here('sdc', 8 * GiB), here('sdd', 4 * GiB), here('nvme0n1', 2 * GiB, { serial: 'S1' })];

test('disks: what is on each disk, in a few words', () => {
  assert.equal(describeContent(inv, 'sda'), 'iso9660 "d-live" (/run/live/medium)');
  assert.equal(describeContent(inv, 'sdb'), 'GPT: 1 ext4 "root"');
  assert.equal(describeContent(inv, 'sdc'), 'blank');
});

test('disks: the proposal takes the same disk by serial, else the smallest blank disk that fits; never one with data, never one twice', () => {
  const p = proposeTargets([disk('disk0', 3 * GiB), disk('disk1', 2 * GiB, { serial: 'S1' }), disk('disk2', 5 * GiB)], present, inv, {});
  assert.deepEqual(p, {
    disk1: { path: '/dev/nvme0n1', why: 'the same disk: serial' },
    disk0: { path: '/dev/sdd', why: 'blank, 4 GiB ≥ 3 GiB' },
    disk2: { path: '/dev/sdc', why: 'blank, 8 GiB ≥ 5 GiB' },
  });
  // A disk too large for every blank one gets none (the old GPT on sdb and the live stick are never offered).
  assert.deepEqual(Object.keys(proposeTargets([disk('disk0', 10 * GiB)], present, inv, {})), []);
  // --map wins, also for a disk with data (handing it over is the rebuild's --wipe decision).
  assert.deepEqual(proposeTargets([disk('disk0', 3 * GiB)], present, inv, { disk0: 'sdb' }), { disk0: { path: '/dev/sdb', why: 'given with --map' } });
});

test('tools: what the live system needs follows the manifest', () => {
  const m = {
    apiVersion: 'sysmanifest/v1', host: { hostname: 'h' },
    storage: { mdraid: [{}], luks: [{}], lvm: { vgs: [{ name: 'vg', lvs: [{ name: 'thin', pool: 'pool' }] }] }, filesystems: [{ type: 'ext4' }, { type: 'vfat' }], swap: [{}] },
    packages: { manager: 'apt' }, boot: { firmware: 'uefi' }, users: {},
  } as unknown as Manifest;
  assert.deepEqual(liveTools(m).map((t) => t.program), ['blkid', 'sfdisk', 'wipefs', 'partx', 'git', 'mdadm', 'cryptsetup', 'lvm', 'thin_restore', 'mke2fs', 'mkfs.fat', 'mkswap', 'mmdebstrap', 'efibootmgr', 'age']);
  assert.equal(liveTools(m).find((t) => t.program === 'thin_restore')!.fedora, 'device-mapper-persistent-data');
  assert.deepEqual(liveTools({ apiVersion: 'sysmanifest/v1', host: { hostname: 'h' } } as Manifest).map((t) => t.program), ['blkid', 'sfdisk', 'wipefs', 'partx', 'git']);
});
