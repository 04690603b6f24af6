// The users stage, pure: the manifest's groups, then its users, made to exist in the target
// with their captured names and ids (script.ts says how each step stays idempotent).
//
// Ids: the captured ids win for EVERY account, system ones included. A fresh Debian install
// gives the dynamic system accounts (systemd-network, systemd-timesync, messagebus, polkitd,
// _flatpak, postgres …: adduser --system and systemd-sysusers pick the next free id) whatever
// ids the order of package installation yields, which need not be the original's. Everything
// the user brings back — the /etc repository's recorded owners, datasets and backups restored
// with numeric ids, `verify` — speaks the original's ids, so an administrator expects those.
// Changing an id moves ownership with it: files of the old id on the target's own filesystems
// (the fstab's ext/xfs/btrfs/f2fs mount points; find -xdev, so never /proc, /sys, /dev or a
// bound cache) are given the new id before the account is changed, set-id bits kept. Not
// moved: ACL entries and file capabilities naming the old id (chown(2) drops capabilities),
// nested btrfs subvolumes that are not mount points. An account of the fresh system that sits
// on an id the manifest gives to another name is first moved to a free id in 100..999
// (steps users:free-gids / users:free-uids), which resolves swapped ids; one the manifest
// does not know keeps its name and gets that free id.
//
// Names: one name is one account (a manifest listing a name twice is refused). Two accounts
// with one id are legal in Linux (toor with UID 0, two groups sharing a GID) and recreated as
// such with -o ("non-unique"); the manifest is the place where that was decided.
// Homes are not created here (useradd -M): the homes stage clones them.
import { absolutePathProblem } from '../../../core/confine/index.ts';
import type { Manifest } from '../../../core/manifest/types.gen.ts';
import type { Step } from '../../../core/plan/types.ts';
import type { SystemPlanContext } from '../../types.ts';
import { checkAccounts } from './check.ts';
import { FREE_IDS, GROUP, USER } from './script.ts';

/** Filesystems that record owners and that a rebuild creates on the target's own disks. */
const OWNED_FS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'f2fs']);

/** Mount points (paths inside the target) whose files may carry an old id: "/" and the fstab's own filesystems. */
export function targetFilesystems(manifest: Manifest): string[] {
  const points = new Set(['/']);
  for (const e of manifest.mounts?.fstab ?? []) if (OWNED_FS.has(e.vfstype) && absolutePathProblem(e.file) === undefined) points.add(e.file);
  return [...points].sort();
}

const bytewise = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function shared<T>(items: readonly T[], key: (x: T) => number): Set<number> {
  const count = new Map<number, number>();
  for (const x of items) count.set(key(x), (count.get(key(x)) ?? 0) + 1);
  return new Set([...count].filter(([, n]) => n > 1).map(([id]) => id));
}

export function planUsers(ctx: SystemPlanContext): Step[] {
  const accounts = ctx.manifest.users;
  if (!accounts) return [];
  checkAccounts(accounts);
  const fs = targetFilesystems(ctx.manifest);
  const sh = (script: string, name: string, args: readonly string[]): string[] => ['chroot', ctx.target, '/bin/sh', '-c', script, name, ...args, ...fs];
  const groups = [...accounts.groups].sort((a, b) => bytewise(a.name, b.name));
  const users = [...accounts.users].sort((a, b) => bytewise(a.name, b.name));
  const sharedGids = shared(groups, (g) => g.gid);
  const sharedUids = shared(users, (u) => u.uid);
  const stage = 'users';

  const freeGids: Step = {
    id: 'users:free-gids',
    title: `GIDs of the manifest's ${groups.length} groups: a group of the new system that holds one under another name moves to a free GID, with its files`,
    argv: sh(FREE_IDS, 'sysmanifest-free-ids', ['group', String(groups.length), ...groups.flatMap((g) => [g.name, String(g.gid)])]),
    risk: 'create',
    after: [],
    stage,
  };
  const groupSteps: Step[] = groups.map((g) => ({
    id: `group:${g.name}`,
    title: `group ${g.name}, GID ${g.gid}${sharedGids.has(g.gid) ? ' (shared: -o)' : ''}`,
    argv: sh(GROUP, 'sysmanifest-group', [g.name, String(g.gid), sharedGids.has(g.gid) ? '-o' : '']),
    risk: 'create',
    after: [freeGids.id],
    stage,
  }));
  const freeUids: Step = {
    id: 'users:free-uids',
    title: `UIDs of the manifest's ${users.length} users: a user of the new system that holds one under another name moves to a free UID, with its files`,
    argv: sh(FREE_IDS, 'sysmanifest-free-ids', ['passwd', String(users.length), ...users.flatMap((u) => [u.name, String(u.uid)])]),
    risk: 'create',
    after: groupSteps.length ? groupSteps.map((s) => s.id) : [freeGids.id],
    stage,
  };
  const userSteps: Step[] = users.map((u) => {
    const supplementary = [...u.groups].sort(bytewise);
    return {
      id: `user:${u.name}`,
      title: `${u.system ? 'system user' : 'user'} ${u.name}, UID ${u.uid}, GID ${u.gid}${supplementary.length ? `, groups ${supplementary.join(',')}` : ''} (no home: that is the homes stage)`,
      argv: sh(USER, 'sysmanifest-user', [u.name, String(u.uid), String(u.gid), supplementary.join(','), u.shell, u.home, u.gecos, sharedUids.has(u.uid) ? '-o' : '', u.system ? '-r' : '']),
      risk: 'create',
      after: [freeUids.id],
      stage,
    };
  });
  return [freeGids, ...groupSteps, freeUids, ...userSteps];
}
