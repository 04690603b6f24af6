import type { SystemProvider } from '../../types.ts';
import { describeEtcRepo } from './capture.ts';

export { describeEtcRepo, detectEtcRepo, SYSMANIFEST_ETC_GIT_DIR } from './capture.ts';
export { syncEtcRepo, type SyncEtcOptions, type SyncEtcResult } from './sync.ts';

/**
 * repos.etc, read-only: the state of the /etc repository as it is now. The capture service
 * that commits calls syncEtcRepo() first (it holds a MutatingRunner) and uses its `repo`
 * instead. The user's repos.etc.exclude is carried over from the previous manifest.
 */
export const provider: SystemProvider = {
  name: 'etc',
  area: 'system',
  tools: ['git', 'find'],
  async contribute(ctx) {
    // The user's extra exclusions live in the manifest itself: carry them over.
    const exclude = ctx.previous?.repos?.etc?.exclude;
    // A tree shared with the merge bases (capture to the repository) is computed with the same exclusions.
    const tree = ctx.etcTree ? await ctx.etcTree() : undefined;
    return { repos: { etc: await describeEtcRepo({ runner: ctx.runner, root: ctx.root, ...(exclude ? { exclude } : {}), ...(tree ? { tree } : {}) }) } };
  },
};
