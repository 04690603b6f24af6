// The mdraid provider: md arrays in scope (schema: schemas/storage/mdraid.schema.json).
import type { StorageContext, StorageContribution, StorageProvider } from '../../types.ts';
import { captureAllMd } from './capture.ts';
import { gatherMd } from './gather.ts';
import { plan } from './plan.ts';

export { captureMd, captureAllMd } from './capture.ts';
export { gatherMd, gatherMdSys, mdDevices, type MdFacts, type MdSys } from './gather.ts';
export { parseMdDetailExport, parseMdDetailLayout, parseBitmapLocation, splitMdName, type MdDetail } from './parse.ts';

async function contribute(ctx: StorageContext): Promise<StorageContribution> {
  const arrays = captureAllMd(await gatherMd(ctx.runner, ctx.inventory, ctx.scope), ctx.inventory, ctx.ids);
  return arrays.length > 0 ? { storage: { mdraid: arrays } } : {};
}

export const provider: StorageProvider = {
  name: 'mdraid',
  area: 'storage',
  tools: ['mdadm'],
  contribute,
  plan,
};
