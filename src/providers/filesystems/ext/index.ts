import type { Filesystem } from '../../../core/manifest/types.gen.ts';
import type { StorageContext, StorageContribution, StorageProvider } from '../../types.ts';
import { byOn, nodeOf, ownedDevices } from '../common.ts';
import { captureExt, type ExtType } from './capture.ts';
import { gatherExt } from './gather.ts';
import { parseDumpe2fs } from './parse.ts';
import { plan } from './plan.ts';

const TYPES: readonly ExtType[] = ['ext2', 'ext3', 'ext4'];

async function contribute(ctx: StorageContext): Promise<StorageContribution> {
  // Devices are probed concurrently (the runner bounds how many processes run at once).
  const filesystems: Filesystem[] = await Promise.all(
    ownedDevices(ctx, TYPES).map(async ({ dev, id, type }): Promise<Filesystem> =>
      dev.unreadable !== undefined
        ? { on: id, type: type as ExtType, unsupported: { reason: dev.unreadable } }
        : captureExt(id, type as ExtType, parseDumpe2fs(await gatherExt(ctx.runner, nodeOf(dev)))),
    ),
  );
  return { storage: { filesystems: filesystems.sort((a, b) => byOn(a.on, b.on)) } };
}

export const provider: StorageProvider = { name: 'ext', area: 'filesystems', tools: ['dumpe2fs'], contribute, plan };
