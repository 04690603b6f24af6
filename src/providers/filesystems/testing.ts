// Test helpers for the filesystem providers: a minimal inventory around fake devices.
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
