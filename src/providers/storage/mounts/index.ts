// The mounts provider: /etc/fstab and /etc/crypttab entries, tied to manifest ids.
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import type { StorageContext, StorageContribution, StorageProvider } from '../../types.ts';
import { captureMounts } from './capture.ts';
import { DEFAULT_MOUNTS_PATHS, gatherMounts, type MountsPaths } from './gather.ts';

export { captureMounts } from './capture.ts';
export { DEFAULT_MOUNTS_PATHS, gatherMounts, type MountsFacts, type MountsPaths } from './gather.ts';
export { parseCrypttab, parseFstab } from './parse.ts';
export { resolveSpec, type ResolveFacts } from './resolve.ts';

/**
 * A mounts provider reading the given files (the capture service passes `<root>/etc/…` for
 * --root, and `files`: a runner whose reads stay inside the root).
 */
export function createMountsProvider(paths: MountsPaths = DEFAULT_MOUNTS_PATHS, files?: ReadOnlyRunner): StorageProvider {
  return {
    name: 'mounts',
    area: 'storage',
    tools: [],
    async contribute(ctx: StorageContext): Promise<StorageContribution> {
      const facts = await gatherMounts(ctx.runner, ctx.inventory, paths, files ?? ctx.runner);
      return { mounts: captureMounts(facts.fstab, facts.crypttab, { inventory: ctx.inventory, ids: ctx.ids, links: facts.links }) };
    },
  };
}

export const provider: StorageProvider = createMountsProvider();
