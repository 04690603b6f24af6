import type { SystemProvider } from '../../types.ts';
import { describeEtcRepo } from './capture.ts';

export { describeEtcRepo, detectEtcRepo, SYSMANIFEST_ETC_GIT_DIR } from './capture.ts';
export { syncEtcRepo, type SyncEtcOptions, type SyncEtcResult } from './sync.ts';

/**
 * repos.etc, read-only: the state of the /etc repository as it is now. The capture service
 * that commits calls syncEtcRepo() first (it holds a MutatingRunner) and uses its `repo`
 * instead; the user's repos.etc.exclude must be passed in from the existing manifest there.
 */
export const provider: SystemProvider = {
  name: 'etc',
  area: 'system',
  tools: ['git', 'find'],
  async contribute(ctx) {
    return { repos: { etc: await describeEtcRepo({ runner: ctx.runner, root: ctx.root }) } };
  },
};
