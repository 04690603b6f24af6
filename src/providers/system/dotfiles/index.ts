import { toolPathInRoot } from '../../../core/confine/index.ts';
import type { DotfilesRepo } from '../../../core/manifest/types.gen.ts';
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import type { SystemProvider } from '../../types.ts';
import { captureDotfiles } from './capture.ts';
import { findUserRepos, readHostname, readUsers } from './gather.ts';
import { readGitState } from './gitstate.ts';

/** Every user's dotfiles repositories, sorted by user then git dir. */
export async function captureAllDotfiles(runner: ReadOnlyRunner, root: string): Promise<DotfilesRepo[]> {
  const [users, hostname] = await Promise.all([readUsers(runner, root), readHostname(runner, root)]);
  const found = (await Promise.all(users.map((u) => findUserRepos(runner, root, u)))).flat();
  const repos = await Promise.all(
    found.map(async (f) => {
      // git follows symlinks itself: it gets the paths resolved inside the root (core/confine).
      const [gitDir, workTree] = await Promise.all([toolPathInRoot(root, f.gitDir), toolPathInRoot(root, f.workTree)]);
      return gitDir === undefined || workTree === undefined ? undefined : captureDotfiles(f, await readGitState(runner, { gitDir, workTree }), hostname);
    }),
  );
  return repos.filter((r): r is DotfilesRepo => r !== undefined).sort((a, b) => (a.user !== b.user ? (a.user < b.user ? -1 : 1) : a.gitDir < b.gitDir ? -1 : a.gitDir > b.gitDir ? 1 : 0));
}

export const provider: SystemProvider = {
  name: 'dotfiles',
  area: 'system',
  tools: ['git'],
  async contribute(ctx) {
    const dotfiles = await captureAllDotfiles(ctx.runner, ctx.root);
    // The capture service merges `repos` from the etc and dotfiles providers.
    return dotfiles.length ? { repos: { dotfiles } } : {};
  },
};
