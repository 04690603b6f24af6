// The homes stage of a rebuild, pure: one step per captured dotfiles repository with a pinned
// commit, run by `sysmanifest internal dotfiles-apply` (services/rebuild/dotfiles-apply.ts)
// with the entry and its source on stdin. The source is the captured remote, or with
// --dotfiles-from DIR the repository or bundle DIR/<user> (for remotes that are gone or not
// reachable from the live system).
import { UserError } from '../../../core/errors.ts';
import { childInside } from '../../../core/confine/index.ts';
import type { Step } from '../../../core/plan/types.ts';
import type { SystemPlanContext } from '../../types.ts';

export function planHomes(ctx: SystemPlanContext, cli: readonly string[]): Step[] {
  const steps: Step[] = [];
  for (const [i, repo] of (ctx.manifest.repos?.dotfiles ?? []).entries()) {
    if (repo.commit === undefined) continue; // nothing committed at capture: nothing to bring back
    const from = ctx.inputs.dotfiles;
    const source = from !== undefined ? childInside(from, repo.user) : repo.remote?.url;
    if (source === undefined) {
      throw new UserError('REFUSED', `repos.dotfiles[${i}] (${repo.user}): the repository has no remote to clone from`, { hint: `give a copy with --dotfiles-from DIR (DIR/${repo.user}: the repository or a bundle of it)` });
    }
    steps.push({
      id: `homes:${repo.user}:${repo.gitDir}`,
      stage: 'homes',
      title: `dotfiles of ${repo.user} (${repo.layout}) at ${repo.commit.slice(0, 12)}${repo.branch ? ` on ${repo.branch}` : ''} from ${source}`,
      argv: [...cli, 'internal', 'dotfiles-apply', '--target', ctx.target],
      input: { kind: 'text', text: `${JSON.stringify({ repo, source })}\n` },
      risk: 'create',
      after: [],
    });
  }
  return steps;
}
