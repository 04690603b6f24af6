// Test helpers for the filesystem providers: a minimal inventory around fake devices.
import type { ReadOnlyRunner } from '../../core/runner/types.ts';
import type { StorageContext } from '../types.ts';
import type { BlockDevice, Inventory, MountInfo } from '../storage/types.ts';

export function fakeDevice(kname: string, probe: Record<string, string>, extra: Partial<BlockDevice> = {}): BlockDevice {
  return {
    kname,
    path: `/dev/${kname}`,
    kind: 'loop',
    majMin: `7:${kname.replace(/\D/g, '') || '0'}`,
    sizeBytes: 0,
    logicalSectorSize: 512,
    physicalSectorSize: 512,
    slaves: [],
    holders: [],
    removable: false,
    readOnly: false,
    probe,
    ...extra,
  };
}

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
