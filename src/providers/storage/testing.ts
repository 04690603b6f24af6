// Test helpers shared by the storage providers and the rebuild services: a block device
// record with defaults (the shape gatherInventory returns), for hand-built inventories.
import type { BlockDevice } from './types.ts';

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
