// The luks provider: LUKS1/LUKS2 headers of devices in scope (see README.md of the
// providers; schema: schemas/storage/luks.schema.json).
import type { StorageContext, StorageContribution, StorageProvider } from '../../types.ts';
import { captureAllLuks } from './capture.ts';
import { gatherLuks } from './gather.ts';
import { plan } from './plan.ts';

export { captureLuks, captureAllLuks } from './capture.ts';
export { gatherLuks, luksDevices, mappingOf, type LuksFacts } from './gather.ts';
export { parseLuks1Dump, parseLuks2Json, type LuksHeaderFacts } from './parse.ts';

async function contribute(ctx: StorageContext): Promise<StorageContribution> {
  const volumes = captureAllLuks(await gatherLuks(ctx.runner, ctx.inventory, ctx.scope), ctx.inventory, ctx.ids);
  return volumes.length > 0 ? { storage: { luks: volumes } } : {};
}

export const provider: StorageProvider = {
  name: 'luks',
  area: 'storage',
  tools: ['cryptsetup'],
  contribute,
  plan,
};
