// pacman (Arch and relatives): the explicitly installed packages, the dependency count, foreign
// packages, IgnorePkg and the repositories of pacman.conf, read from pacman's files under the
// captured root. A root without a pacman local database contributes nothing.
import type { SystemContext, SystemProvider } from '../../types.ts';
import { withPackagesExtra } from '../flatpak/index.ts';
import { capturePacman } from './capture.ts';
import { gatherPacman } from './gather.ts';

export const provider: SystemProvider = {
  name: 'pacman',
  area: 'system',
  tools: [],
  async contribute(ctx: SystemContext) {
    const facts = await gatherPacman(ctx.runner, ctx.root);
    return facts === undefined ? {} : { packages: await withPackagesExtra(ctx, capturePacman(facts)) };
  },
};
