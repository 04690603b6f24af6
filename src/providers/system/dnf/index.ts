// dnf (Fedora, RHEL and relatives): the user-installed packages, the count of the others and
// the repositories of ROOT/etc/yum.repos.d. A root without dnf state contributes nothing.
import type { SystemContext, SystemProvider } from '../../types.ts';
import { withPackagesExtra } from '../flatpak/index.ts';
import { captureDnf } from './capture.ts';
import { gatherDnf } from './gather.ts';

export const provider: SystemProvider = {
  name: 'dnf',
  area: 'system',
  // rpm and dnf are needed only where dnf state exists (gather says so when they are missing).
  tools: [],
  async contribute(ctx: SystemContext) {
    const facts = await gatherDnf(ctx.runner, ctx.root);
    return facts === undefined ? {} : { packages: await withPackagesExtra(ctx, captureDnf(facts)) };
  },
};
