import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { FakeRunner, fixture, type FakeSpec } from '../../../core/runner/fake.ts';
import type { BlockDevice } from '../types.ts';
import { gatherIdentity, gatherTable } from './gather.ts';

const GUEST = fileURLToPath(new URL('__fixtures__/sysfs-guest/', import.meta.url));

/** The guest's sysfs files as FakeRunner files (exact bytes), and its `device` links. */
function guestSysfs(): Pick<FakeSpec, 'files' | 'links'> {
  const files: Record<string, Uint8Array> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else files[`/${p.slice(GUEST.length)}`] = new Uint8Array(readFileSync(p));
    }
  };
  walk(join(GUEST, 'sys'));
  const links: Record<string, string> = {};
  for (const k of ['vda', 'nvme0n1', 'sda', 'sdb']) links[`/sys/block/${k}/device`] = readFileSync(join(GUEST, `${k}.devicepath.txt`), 'utf8').trim();
  return { files, links };
}

/** The guest's virtio-scsi device/wwid exists but reading it fails with EINVAL (see __fixtures__/README.md). */
class GuestRunner extends FakeRunner {
  override async readFileOptional(path: string): Promise<string | undefined> {
    if (path === '/sys/block/sda/device/wwid') throw Object.assign(new Error(`EINVAL: invalid argument, read '${path}'`), { code: 'EINVAL' });
    return super.readFileOptional(path);
  }
}

function device(kname: string, over: Partial<BlockDevice> = {}): BlockDevice {
  const sys = (f: string): string => readFileSync(join(GUEST, 'sys/block', kname, f), 'utf8').trim();
  return {
    kname,
    path: `/dev/${kname}`,
    kind: 'disk',
    majMin: '0:0',
    sizeBytes: Number(sys('size')) * 512,
    logicalSectorSize: Number(sys('queue/logical_block_size')),
    physicalSectorSize: Number(sys('queue/physical_block_size')),
    slaves: [],
    holders: [],
    removable: false,
    readOnly: false,
    probe: {},
    ...over,
  };
}

test('gatherIdentity: virtio-blk serial from /sys/block/vda/serial, no vendor (virtio subsystem id)', async () => {
  const r = new GuestRunner(guestSysfs());
  assert.deepEqual(await gatherIdentity(r, device('vda')), {
    kname: 'vda',
    path: '/dev/vda',
    serial: 'SERVIRT',
    sizeBytes: 67108864,
    logicalSectorSize: 512,
    physicalSectorSize: 512,
  });
});

test('gatherIdentity: nvme serial (padded) from device/serial, wwid and model', async () => {
  const r = new GuestRunner(guestSysfs());
  assert.deepEqual(await gatherIdentity(r, device('nvme0n1')), {
    kname: 'nvme0n1',
    path: '/dev/nvme0n1',
    serial: 'SERNVME',
    wwn: 'nvme.1b36-5345524e564d45-51454d55204e564d65204374726c-00000001',
    model: 'QEMU NVMe Ctrl',
    sizeBytes: 67108864,
    logicalSectorSize: 512,
    physicalSectorSize: 512,
  });
});

test('gatherIdentity: virtio-scsi serial from vpd_pg80; its wwid read fails with EINVAL = no wwn', async () => {
  const r = new GuestRunner(guestSysfs());
  assert.deepEqual(await gatherIdentity(r, device('sda')), {
    kname: 'sda',
    path: '/dev/sda',
    serial: 'SERSCSI',
    model: 'QEMU HARDDISK',
    vendor: 'QEMU',
    sizeBytes: 67108864,
    logicalSectorSize: 512,
    physicalSectorSize: 512,
  });
});

test('gatherIdentity: sata serial from vpd_pg80, t10 wwid, vendor ATA', async () => {
  const r = new GuestRunner(guestSysfs());
  assert.deepEqual(await gatherIdentity(r, device('sdb')), {
    kname: 'sdb',
    path: '/dev/sdb',
    serial: 'SERSATA',
    wwn: 't10.ATA QEMU HARDDISK SERSATA',
    model: 'QEMU HARDDISK',
    vendor: 'ATA',
    sizeBytes: 67108864,
    logicalSectorSize: 512,
    physicalSectorSize: 512,
  });
});

test('gatherIdentity: other read errors are not swallowed', async () => {
  class Broken extends FakeRunner {
    override async readFileOptional(path: string): Promise<string | undefined> {
      if (path.endsWith('/serial')) throw Object.assign(new Error('EIO'), { code: 'EIO' });
      return super.readFileOptional(path);
    }
  }
  await assert.rejects(gatherIdentity(new Broken(guestSysfs()), device('vda')), /EIO/);
});

test('gatherTable: sfdisk JSON; exit 1 with the no-table message is "none"; any other failure throws', async () => {
  const json = fixture(import.meta.url, '__fixtures__/sfdisk-gpt.json');
  const stderr = fixture(import.meta.url, '__fixtures__/sfdisk-notable.stderr');
  const r = new FakeRunner({
    commands: {
      'sfdisk --json /dev/loop0': json,
      'sfdisk --json /dev/loop3': { exitCode: 1, stderr },
      'sfdisk --json /dev/sdz': { exitCode: 1, stderr: 'sfdisk: cannot open /dev/sdz: No medium found\n' },
    },
  });
  assert.deepEqual(await gatherTable(r, device('vda', { kname: 'loop0', kind: 'loop' })), { kind: 'table', sfdiskJson: json });
  assert.deepEqual(await gatherTable(r, device('vda', { kname: 'loop3', kind: 'loop' })), {
    kind: 'none',
    sfdiskStderr: 'sfdisk: /dev/loop3: does not contain a recognized partition table',
  });
  await assert.rejects(gatherTable(r, device('vda', { kname: 'sdz' })), { code: 'COMMAND_FAILED' });
});
