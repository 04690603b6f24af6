import type { Filesystem } from '../../../core/manifest/types.gen.ts';
import type { StorageContext, StorageContribution, StorageProvider } from '../../types.ts';
import { byOn, nodeOf, ownedDevices } from '../common.ts';
import { captureVfat } from './capture.ts';
import { gatherVfat } from './gather.ts';
import { parseBootSector } from './parse.ts';
import { plan } from './plan.ts';

async function contribute(ctx: StorageContext): Promise<StorageContribution> {
  const filesystems: Filesystem[] = await Promise.all(
    ownedDevices(ctx, ['vfat']).map(async ({ dev, id }): Promise<Filesystem> =>
      dev.unreadable !== undefined
        ? { on: id, type: 'vfat', unsupported: { reason: dev.unreadable } }
        : captureVfat(id, dev.probe, parseBootSector(await gatherVfat(ctx.runner, nodeOf(dev)))),
    ),
  );
  return { storage: { filesystems: filesystems.sort((a, b) => byOn(a.on, b.on)) } };
}

export const provider: StorageProvider = { name: 'vfat', area: 'filesystems', tools: [], contribute, plan };
