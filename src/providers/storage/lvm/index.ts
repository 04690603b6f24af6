// The lvm provider: volume groups whose PVs are in scope (schema: schemas/storage/lvm.schema.json).
import type { StorageContext, StorageContribution, StorageProvider } from '../../types.ts';
import { captureLvm } from './capture.ts';
import { gatherLvm } from './gather.ts';
import { plan } from './plan.ts';

export { captureLvm } from './capture.ts';
export { gatherLvm, lvmDevices, LVS_ARGV, PVS_ARGV, VGS_ARGV, type LvmFacts } from './gather.ts';
export { parseLeRanges, parseLvmReport } from './parse.ts';

async function contribute(ctx: StorageContext): Promise<StorageContribution> {
  const facts = await gatherLvm(ctx.runner, ctx.inventory, ctx.scope);
  if (facts === undefined) return {};
  const vgs = captureLvm(facts, ctx.inventory, ctx.ids, ctx.scope);
  return vgs.length > 0 ? { storage: { lvm: { vgs } } } : {};
}

export const provider: StorageProvider = {
  name: 'lvm',
  area: 'storage',
  tools: ['lvm', 'pvcreate', 'vgcfgrestore', 'pvresize', 'lvchange', 'thin_restore', 'tee', 'mkdir'],
  contribute,
  plan,
};
