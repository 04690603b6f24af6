import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Disk } from '../../core/manifest/types.gen.ts';
import { isUserError } from '../../core/errors.ts';
import type { BlockDevice, Inventory } from '../../providers/storage/types.ts';
import type { DiskIdentity } from '../../providers/storage/disks/index.ts';
import { fakeDevice } from '../../providers/storage/testing.ts';
import { matchDisks, parseMapOption } from './match.ts';
import { preflightProblems, requiredBytes } from './preflight.ts';

const dev = (kname: string, extra: Partial<BlockDevice> = {}): BlockDevice =>
  fakeDevice(kname, {}, { kind: 'disk', majMin: `254:${kname.length}`, sizeBytes: 1 << 30, ...extra });

const disk0: Disk = {
  id: 'disk0',
  path: '/dev/vda',
  match: { serial: 'S1', sizeBytes: 1 << 30 },
  logicalSectorSize: 512,
  physicalSectorSize: 512,
  table: { type: 'gpt', id: 'G', firstLba: 2048, lastLba: 2097118 },
  partitions: [{ id: 'disk0p1', number: 1, start: 2048, size: 2095071, type: 'T' }],
};

const ident = (kname: string, serial?: string, wwn?: string): DiskIdentity => ({ kname, path: `/dev/${kname}`, sizeBytes: 1 << 30, logicalSectorSize: 512, physicalSectorSize: 512, ...(serial ? { serial } : {}), ...(wwn ? { wwn } : {}) });

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isUserError(e));
    return e.message;
  }
  assert.fail('expected a UserError');
}

test('requiredBytes: GPT needs room for the backup header after lastLba', () => {
  assert.equal(requiredBytes(disk0), (2097118 + 1 + 33) * 512);
  assert.equal(requiredBytes(disk0), 1 << 30);
  // A 32-entry table: 1 header + 8 sectors of entries.
  assert.equal(requiredBytes({ ...disk0, table: { ...disk0.table!, tableLength: 32 } }), (2097118 + 1 + 9) * 512);
});

test('matchDisks: by serial; by --map with id or captured path; errors list candidates', () => {
  assert.deepEqual(matchDisks([disk0], [ident('vdb', 'S0'), ident('vdc', 'S1')], [], (d) => d), { disk0: 'vdc' });
  assert.deepEqual(matchDisks([disk0], [ident('vdb'), ident('vdc')], [parseMapOption('disk0=vdb')], (d) => d), { disk0: 'vdb' });
  assert.deepEqual(matchDisks([disk0], [ident('vdb'), ident('vdc')], [parseMapOption('/dev/vda=vdc')], (d) => d), { disk0: 'vdc' });
  const missing = message(() => matchDisks([disk0], [ident('vdb', 'X')], [], (d) => d));
  assert.match(missing, /disk0 \(serial S1, 1 GiB\): no disk here has its WWN or serial; choose the target with --map disk0=\/dev\/…; candidates:\n  \/dev\/vdb, 1 GiB, serial X/);
  const twice = message(() => matchDisks([disk0], [ident('vdb', 'S1'), ident('vdc', 'S1')], [], (d) => d));
  assert.match(twice, /2 disks have this serial: \/dev\/vdb, \/dev\/vdc/);
  assert.throws(() => parseMapOption('disk0'), /expected SRC=DEV/);
});

test('preflight: a blank disk of the right size passes', () => {
  const inv: Inventory = { devices: { vdb: dev('vdb') }, mounts: [], swaps: [] };
  assert.deepEqual(preflightProblems({ inventory: inv, targets: { disk0: 'vdb' }, disks: [disk0], wipe: new Set() }), []);
});

test('preflight: signatures need --wipe; mounted, swap, holders and the root disk are refused even with it', () => {
  const inv: Inventory = {
    devices: {
      vdb: dev('vdb', { probe: { PTTYPE: 'gpt' } }),
      vdb1: dev('vdb1', { kind: 'part', parent: 'vdb', partitionNumber: 1, majMin: '254:17', probe: { TYPE: 'ext4' } }),
      vdb2: dev('vdb2', { kind: 'part', parent: 'vdb', partitionNumber: 2, majMin: '254:18', probe: { TYPE: 'swap' } }),
      vdb3: dev('vdb3', { kind: 'part', parent: 'vdb', partitionNumber: 3, majMin: '254:19', holders: ['md0'] }),
      md0: dev('md0', { kind: 'md', slaves: ['vdb3'], majMin: '9:0' }),
    },
    mounts: [{ majMin: '254:17', root: '/', mountpoint: '/', fstype: 'ext4', source: '/dev/vdb1', options: 'rw' }],
    swaps: [{ path: '/dev/vdb2', type: 'partition' }],
  };
  const noWipe = preflightProblems({ inventory: inv, targets: { disk0: 'vdb' }, disks: [disk0], wipe: new Set() });
  assert.ok(noWipe.some((p) => /holds the root filesystem of the running system/.test(p)));
  assert.ok(noWipe.some((p) => /\/dev\/vdb1 is mounted on \/; unmount it first/.test(p)));
  assert.ok(noWipe.some((p) => /\/dev\/vdb2 is active swap/.test(p)));
  assert.ok(noWipe.some((p) => /\/dev\/vdb3 is a member of md array \/dev\/md0/.test(p)));
  assert.ok(noWipe.some((p) => /is not blank \(\/dev\/vdb: gpt partition table; \/dev\/vdb1: ext4; \/dev\/vdb2: swap\); pass --wipe disk0/.test(p)));
  const withWipe = preflightProblems({ inventory: inv, targets: { disk0: 'vdb' }, disks: [disk0], wipe: new Set(['disk0']) });
  assert.equal(withWipe.filter((p) => /is not blank/.test(p)).length, 0);
  assert.equal(withWipe.length, noWipe.length - 1);
});

test('preflight: a smaller target is refused with the exact shortfall', () => {
  const inv: Inventory = { devices: { vdb: dev('vdb', { sizeBytes: (1 << 30) - 4096 }) }, mounts: [], swaps: [] };
  const p = preflightProblems({ inventory: inv, targets: { disk0: 'vdb' }, disks: [disk0], wipe: new Set() });
  assert.deepEqual(p, ['disk0 → /dev/vdb: is 1024.0 MiB (1073737728 bytes) but the manifest needs 1073741824 bytes: 4096 bytes (4 KiB) short']);
});
