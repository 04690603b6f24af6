// The disks provider: whole disks (identity from sysfs) and their partition tables (sfdisk).
import type { Disk } from '../../../core/manifest/types.gen.ts';
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import type { Inventory } from '../types.ts';
import type { StorageContext, StorageContribution, StorageProvider } from '../../types.ts';
import { captureDisk } from './capture.ts';
import { gatherIdentity, gatherTable } from './gather.ts';
import { planDisks } from './plan.ts';
import { orderDisks } from './select.ts';
import { naturalCompare } from '../../../core/natural.ts';

export { captureDisk, matchOf } from './capture.ts';
export { gatherIdentity, gatherTable, type DiskIdentity, type TableFacts } from './gather.ts';
export { grownDisk, grownManifest, lastPartitionIds, planDisks, sfdiskScript } from './plan.ts';
export { orderDisks, selectDisks, LIVE_MEDIUM_MOUNTPOINTS, type DiskSelection, type DiskSelectionOptions, type SkippedDisk } from './select.ts';

/**
 * The chosen disks (knames) in id order, disk0 first: reads each disk's sysfs identity and
 * applies orderDisks. Fits the capture service's DiskOrder hook.
 */
export async function orderByIdentity(inv: Inventory, knames: readonly string[], runner: ReadOnlyRunner): Promise<string[]> {
  const identities = await Promise.all(knames.map((k) => gatherIdentity(runner, inv.devices[k]!)));
  return orderDisks(identities).map((d) => d.kname);
}

const DISK_ID = /^disk\d+$/;

async function contribute(ctx: StorageContext): Promise<StorageContribution> {
  const disks = Object.values(ctx.inventory.devices)
    .filter((d) => (d.kind === 'disk' || d.kind === 'loop') && DISK_ID.test(ctx.ids[d.kname] ?? ''))
    .sort((a, b) => naturalCompare(ctx.ids[a.kname]!, ctx.ids[b.kname]!));
  // Disks are read concurrently; the order stays the id order.
  const out: Disk[] = await Promise.all(
    disks.map(async (dev) => {
      const identity = await gatherIdentity(ctx.runner, dev);
      // An unreadable disk keeps its sysfs identity but is never opened.
      const facts = dev.unreadable === undefined ? await gatherTable(ctx.runner, dev) : undefined;
      return captureDisk(ctx.ids[dev.kname]!, identity, dev, facts);
    }),
  );
  return { storage: { disks: out } };
}

export const provider: StorageProvider = {
  name: 'disks',
  area: 'storage',
  tools: ['sfdisk', 'partx'],
  contribute,
  plan: planDisks,
};
