// Pure: a found repository and its git state → the manifest entry.
//
// Per-host branches over a common trunk (the layer-6 convention): a machine checks out its own
// branch, named `host/<hostname>` or just `<hostname>`, which merges or rebases the shared
// configuration from a trunk branch (`main`, `master` or `trunk`). When the checked-out branch
// has one of those shapes we record `host`; when a trunk branch exists beside it, `trunk`, so a
// rebuild can clone the trunk and check out the host branch (or start one from the trunk).
import type { DotfilesRepo } from '../../../core/manifest/types.gen.ts';
import type { FoundRepo } from './gather.ts';
import type { GitState } from './gitstate.ts';

export const TRUNKS: readonly string[] = ['main', 'master', 'trunk'];

export function hostBranchLayout(branch: string | undefined, branches: readonly string[], hostname: string | undefined): { host?: string; trunk?: string } {
  if (branch === undefined || TRUNKS.includes(branch)) return {};
  const m = /^host\/(.+)$/.exec(branch);
  const host = m ? m[1]! : branch === hostname ? hostname : undefined;
  if (host === undefined) return {};
  const trunk = TRUNKS.find((t) => branches.includes(t));
  return { host, ...(trunk === undefined ? {} : { trunk }) };
}

export function captureDotfiles(found: FoundRepo, state: GitState, hostname: string | undefined): DotfilesRepo {
  return {
    user: found.user.name,
    home: found.user.home,
    layout: found.layout,
    gitDir: found.gitDir,
    workTree: found.workTree,
    ...(state.remote ? { remote: { ...state.remote } } : {}),
    ...(state.branch ? { branch: state.branch } : {}),
    ...(state.commit ? { commit: state.commit } : {}),
    ...(state.dirty === undefined ? {} : { dirty: state.dirty }),
    ...hostBranchLayout(state.branch, state.branches, hostname),
  };
}
