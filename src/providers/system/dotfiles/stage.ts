// The homes stage of a rebuild, pure: one step per captured dotfiles repository with a pinned
// commit, run by `sysmanifest internal dotfiles-apply` (services/rebuild/dotfiles-apply.ts)
// with the entry and its source on stdin. The source is the captured remote, or with
// --dotfiles-from DIR the repository or bundle DIR/<user> (for remotes that are gone or not
// reachable from the live system).
import { UserError } from '../../../core/errors.ts';
import { checkManifestPath, childInside } from '../../../core/confine/index.ts';
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
    const id = `homes:${repo.user}:${repo.gitDir}`;
    const r = ctx.release;
    if (r) {
      // The home a fresh install of the new release gives its user (useradd -m: a copy of its
      // /etc/skel): "theirs" for the merge. Nothing already there is overwritten (-n), and only
      // what the copy made (root's) is handed to the user.
      const home = checkManifestPath(repo.home, `repos.dotfiles (${repo.user}).home`);
      steps.push(
        { id: `${id}:skel`, stage: 'homes', title: `home of ${repo.user} from ${r.to}'s /etc/skel, as a fresh install makes it`, argv: ['chroot', ctx.target, 'cp', '-a', '--no-clobber', '--no-target-directory', '/etc/skel', home], risk: 'create', after: [] },
        { id: `${id}:skel-owner`, stage: 'homes', title: `${home}: the copied files handed to ${repo.user}`, argv: ['chroot', ctx.target, 'chown', '-R', '--from=0:0', `${repo.user}:`, home], risk: 'create', after: [`${id}:skel`] },
      );
    }
    steps.push({
      id,
      stage: 'homes',
      title: r
        ? `the dotfiles repository of ${repo.user} (${repo.layout}) at ${repo.commit.slice(0, 12)}, its files left to the merge`
        : `dotfiles of ${repo.user} (${repo.layout}) at ${repo.commit.slice(0, 12)}${repo.branch ? ` on ${repo.branch}` : ''} from ${source}`,
      argv: [...cli, 'internal', 'dotfiles-apply', '--target', ctx.target],
      input: { kind: 'text', text: `${JSON.stringify({ repo, source, ...(r ? { checkout: false } : {}) })}\n` },
      risk: 'create',
      after: r ? [`${id}:skel-owner`] : [],
    });
    if (r) {
      // rebuild --release: the home's files merged onto the new release's defaults (its /etc/skel copies).
      steps.push(
        { id: `${id}:merge`, stage: 'homes', title: `home of ${repo.user} merged onto ${r.to}'s defaults (staged in /var/lib/sysmanifest/merge/home-${repo.user})`, argv: [...cli, 'merge', 'home', '--user', repo.user, '--manifest', r.manifestFile, '--root', ctx.target, ...(from !== undefined ? ['--dotfiles-from', from] : [])], risk: 'create', after: [id] },
        { id: `${id}:apply`, stage: 'homes', title: `home of ${repo.user}: the clean merges applied`, argv: [...cli, 'merge', 'apply', 'home', '--user', repo.user, '--partial', '--root', ctx.target], risk: 'create', after: [`${id}:merge`] },
      );
    }
  }
  return steps;
}
