// Test helpers for the filesystem providers: a minimal inventory around fake devices, and a
// plan context for their planners.
import type { Filesystem, Manifest } from '../../core/manifest/types.gen.ts';
import { buildPlanContext, type PlanContext } from '../../core/plan/context.ts';
import type { ReadOnlyRunner } from '../../core/runner/types.ts';
import type { StorageContext } from '../types.ts';
import type { BlockDevice, Inventory, MountInfo } from '../storage/types.ts';

export { fakeDevice } from '../storage/testing.ts';

export function fakeContext(runner: ReadOnlyRunner, devices: readonly BlockDevice[], options: { mounts?: MountInfo[] } = {}): StorageContext {
  const inventory: Inventory = {
    devices: Object.fromEntries(devices.map((d) => [d.kname, d])),
    mounts: options.mounts ?? [],
    swaps: [],
  };
  return {
    runner,
    inventory,
    ids: Object.fromEntries(devices.map((d, i) => [d.kname, `disk${i}`])),
    scope: new Set(devices.map((d) => d.kname)),
  };
}

/** Plan context with filesystems on disk0's partition 1 (after table:disk0) and on the bare disk1. */
export function twoDiskContext(filesystems: Filesystem[], paths: { disk0: string; disk1: string }): PlanContext {
  const manifest = {
    apiVersion: 'sysmanifest/v1',
    host: { hostname: 'h' },
    storage: {
      disks: [
        { id: 'disk0', match: {}, logicalSectorSize: 512, physicalSectorSize: 512, partitions: [{ id: 'disk0p1', number: 1 }] },
        { id: 'disk1', match: {}, logicalSectorSize: 512, physicalSectorSize: 512 },
      ],
      filesystems,
    },
  } as unknown as Manifest;
  return buildPlanContext(manifest, paths, new Set());
}
