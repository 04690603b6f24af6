import type { Filesystem } from '../../../core/manifest/types.gen.ts';
import type { StorageContext, StorageContribution, StorageProvider } from '../../types.ts';
import { byOn, nodeOf, ownedDevices } from '../common.ts';
import { captureBtrfs, type BtrfsMember } from './capture.ts';
import { btrfsReader } from './gather.ts';
import { plan } from './plan.ts';

async function contribute(ctx: StorageContext): Promise<StorageContribution> {
  const filesystems: Filesystem[] = [];
  // A multi-device filesystem is one entry: its members share the fsid (blkid UUID).
  const byFsid = new Map<string, BtrfsMember[]>();
  for (const { dev, id } of ownedDevices(ctx, ['btrfs'])) {
    const fsid = dev.probe.UUID;
    if (dev.unreadable !== undefined || fsid === undefined) {
      filesystems.push({ on: id, type: 'btrfs', unsupported: { reason: dev.unreadable ?? `blkid -p ${nodeOf(dev)} reported no UUID` } });
      continue;
    }
    byFsid.set(fsid, [...(byFsid.get(fsid) ?? []), { id, node: nodeOf(dev) }]);
  }
  filesystems.push(...(await Promise.all([...byFsid.values()].map((members) => captureBtrfs(members, (node) => btrfsReader(ctx.runner, node))))));
  return { storage: { filesystems: filesystems.sort((a, b) => byOn(a.on, b.on)) } };
}

export const provider: StorageProvider = { name: 'btrfs', area: 'filesystems', tools: ['btrfs'], contribute, plan };
