// The etc stage of a rebuild, pure: sysmanifest's /etc repository at its captured commit over
// the fresh /etc of the target, from the manifest repository itself (capture --commit keeps
// the commits there under refs/sysmanifest/etc/HOST: nothing is read from the lost disk), then
// its metadata applied (owners, modes, empty directories, deleted conffiles) by
// `sysmanifest internal etc-apply`; a clone (--new-identities) then has /etc's references to
// the old storage identities rewritten (`internal etc-identities`). git checks out with a private index in /run (the manifest
// repository's own index and HEAD are not touched) and never writes through a symlink.
import { UserError } from '../../../core/errors.ts';
import { joinInside } from '../../../core/confine/index.ts';
import type { Step } from '../../../core/plan/types.ts';
import type { SystemPlanContext } from '../../types.ts';

export const ETC_STATE_DIR = '/run/sysmanifest/etc';

/**
 * rebuild --release: /etc is merged, not checked out — base = the old release's pristine files
 * (recorded at capture), ours = the captured /etc, theirs = what the new release installed;
 * what merges cleanly is applied, the rest stays staged in the rebuilt system
 * (/var/lib/sysmanifest/merge/etc) for `sysmanifest merge status` after the first boot. The
 * apt sources are the new release's: the packages stage wrote the captured ones, renamed.
 */
export function planEtcMerge(ctx: SystemPlanContext, cli: readonly string[]): Step[] {
  const r = ctx.release!;
  return [
    {
      id: 'etc:merge',
      stage: 'etc',
      title: `/etc merged onto ${r.to}'s defaults (base: ${r.from}'s pristine files recorded at capture; staged in /var/lib/sysmanifest/merge/etc)`,
      argv: [...cli, 'merge', 'etc', '--manifest', r.manifestFile, '--root', ctx.target, '--skip', 'apt/sources.list', '--skip', 'apt/sources.list.d/'],
      risk: 'create',
      after: [],
    },
    { id: 'etc:merge-apply', stage: 'etc', title: '/etc: the clean merges applied (conflicts stay staged for merge resolve)', argv: [...cli, 'merge', 'apply', 'etc', '--partial', '--root', ctx.target], risk: 'create', after: ['etc:merge'] },
  ];
}

export function planEtc(ctx: SystemPlanContext, repo: string, cli: readonly string[]): Step[] {
  if (ctx.release) return planEtcMerge(ctx, cli);
  const etc = ctx.manifest.repos?.etc;
  if (etc === undefined) throw new UserError('REFUSED', 'repos.etc: the manifest records no /etc repository; capture it with capture --commit first', { hint: 'or leave the etc stage out: --stage …' });
  if (etc.kind !== 'sysmanifest') {
    throw new UserError('REFUSED', `repos.etc.kind: ${etc.kind} — restoring an ${etc.kind} /etc repository is not supported yet (only sysmanifest's own)`, { hint: 'leave the etc stage out (--stage …) and restore /etc from its remote by hand' });
  }
  if (etc.commit === undefined) throw new UserError('REFUSED', 'repos.etc.commit: the /etc repository had no commit at capture');
  const workTree = joinInside(ctx.target, '/etc');
  // The base stage's mmdebstrap wrote the install sources (--mirror, file:// included) to
  // /etc/apt/sources.list. The captured sources come back with /etc; when the captured system
  // had no sources.list, the install's must not stay behind.
  const p = ctx.manifest.packages;
  const installSources = p?.manager === 'apt' && !(p.sources ?? []).some((s) => s.file === '/etc/apt/sources.list')
    ? [{ id: 'etc:install-sources', stage: 'etc', title: 'remove the install\'s /etc/apt/sources.list (the captured system had none; its sources are in sources.list.d)', argv: ['rm', '-f', '--', joinInside(ctx.target, '/etc/apt/sources.list')], risk: 'create' as const, after: ['etc:checkout'] }]
    : [];
  return [
    { id: 'etc:state', stage: 'etc', title: `private git index in ${ETC_STATE_DIR}`, argv: ['mkdir', '-p', '-m', '0700', ETC_STATE_DIR], risk: 'create', after: [] },
    {
      id: 'etc:checkout',
      stage: 'etc',
      title: `/etc at its captured commit ${etc.commit.slice(0, 12)} (from the manifest repository)`,
      argv: ['env', `GIT_INDEX_FILE=${ETC_STATE_DIR}/index`, 'git', `--git-dir=${repo}/.git`, `--work-tree=${workTree}`, 'checkout', '--force', etc.commit, '--', '.'],
      risk: 'create',
      after: ['etc:state'],
    },
    ...installSources,
    { id: 'etc:metadata', stage: 'etc', title: 'owners, modes, empty directories and deleted conffiles of /etc', argv: [...cli, 'internal', 'etc-apply', '--target', ctx.target], risk: 'create', after: ['etc:checkout'] },
    ...(ctx.identities?.changes.length
      ? [{
          id: 'etc:identities',
          stage: 'etc',
          title: `/etc's references to the ${ctx.identities.changes.length} renewed storage identities (fstab, crypttab, mdadm.conf, resume …) rewritten`,
          argv: [...cli, 'internal', 'etc-identities', '--target', ctx.target],
          input: { kind: 'text' as const, text: `${JSON.stringify(ctx.identities)}\n` },
          risk: 'create' as const,
          after: ['etc:metadata'],
        }]
      : []),
  ];
}
