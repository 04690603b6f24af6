// apt (Debian, Ubuntu): the manual package set, holds, sources, their keys and pins, read from
// dpkg/apt state under the captured root. A root without a dpkg database contributes nothing.
import type { SystemContext, SystemProvider } from '../../types.ts';
import { captureApt } from './capture.ts';
import { gatherApt } from './gather.ts';
import { withPackagesExtra } from '../flatpak/index.ts';

export { readAptKeyFiles, type KeyFile } from './gather.ts';

export const provider: SystemProvider = {
  name: 'apt',
  area: 'system',
  tools: [],
  async contribute(ctx: SystemContext) {
    const facts = await gatherApt(ctx.runner, ctx.root);
    return facts === undefined ? {} : { packages: await withPackagesExtra(ctx, captureApt(facts)) };
  },
};
