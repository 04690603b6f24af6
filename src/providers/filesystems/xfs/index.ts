import type { Filesystem } from '../../../core/manifest/types.gen.ts';
import type { StorageContext, StorageContribution, StorageProvider } from '../../types.ts';
import { byOn, nodeOf, ownedDevices } from '../common.ts';
import { captureXfs } from './capture.ts';
import { gatherXfs } from './gather.ts';
import { plan } from './plan.ts';

async function contribute(ctx: StorageContext): Promise<StorageContribution> {
  const filesystems: Filesystem[] = [];
  for (const { dev, id } of ownedDevices(ctx, ['xfs'])) {
    if (dev.unreadable !== undefined) filesystems.push({ on: id, type: 'xfs', unsupported: { reason: dev.unreadable } });
    else filesystems.push(captureXfs(id, await gatherXfs(ctx.runner, nodeOf(dev))));
  }
  return { storage: { filesystems: filesystems.sort((a, b) => byOn(a.on, b.on)) } };
}

export const provider: StorageProvider = { name: 'xfs', area: 'filesystems', tools: ['xfs_info', 'xfs_db'], contribute, plan };
