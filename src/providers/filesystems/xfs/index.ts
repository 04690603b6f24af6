import type { Filesystem } from '../../../core/manifest/types.gen.ts';
import type { StorageContext, StorageContribution, StorageProvider } from '../../types.ts';
import { byOn, nodeOf, ownedDevices } from '../common.ts';
import { captureXfs } from './capture.ts';
import { gatherXfs } from './gather.ts';
import { plan } from './plan.ts';

async function contribute(ctx: StorageContext): Promise<StorageContribution> {
  const filesystems: Filesystem[] = await Promise.all(
    ownedDevices(ctx, ['xfs']).map(async ({ dev, id }): Promise<Filesystem> =>
      dev.unreadable !== undefined ? { on: id, type: 'xfs', unsupported: { reason: dev.unreadable } } : captureXfs(id, await gatherXfs(ctx.runner, nodeOf(dev))),
    ),
  );
  return { storage: { filesystems: filesystems.sort((a, b) => byOn(a.on, b.on)) } };
}

export const provider: StorageProvider = { name: 'xfs', area: 'filesystems', tools: ['xfs_info', 'xfs_db'], contribute, plan };
