import type { Swap } from '../../../core/manifest/types.gen.ts';
import type { StorageContext, StorageContribution, StorageProvider } from '../../types.ts';
import { byOn, nodeOf, ownedDevices } from '../../filesystems/common.ts';
import { captureSwap } from './capture.ts';
import { gatherSwap } from './gather.ts';
import { parseSwapHeader } from './parse.ts';
import { plan } from './plan.ts';

async function contribute(ctx: StorageContext): Promise<StorageContribution> {
  const swap: Swap[] = await Promise.all(
    ownedDevices(ctx, ['swap']).map(async ({ dev, id }): Promise<Swap> =>
      dev.unreadable !== undefined ? { on: id, unsupported: { reason: dev.unreadable } } : captureSwap(id, parseSwapHeader(await gatherSwap(ctx.runner, nodeOf(dev)))),
    ),
  );
  return { storage: { swap: swap.sort((a, b) => byOn(a.on, b.on)) } };
}

export const provider: StorageProvider = { name: 'swap', area: 'storage', tools: [], contribute, plan };
