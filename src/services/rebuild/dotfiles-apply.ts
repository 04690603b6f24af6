// `sysmanifest internal dotfiles-apply --target T` (stdin: one manifest repos.dotfiles entry and
// its source): the homes stage's step for one user. The repository is made again in its
// captured layout (bare: a bare git dir whose work tree is the home; home: ~/.git; separate:
// a normal repository in its own directory), fetched from its remote — or from a path or
// bundle given with --dotfiles-from — checked out at the pinned commit on its branch, and
// handed to the user (owner and group through the target's passwd: the restored one). The
// host's git does the work on paths inside the target (joined only through core/confine), so
// the target needs no git; git itself never writes through a symlink in the work tree.
import { lchown, lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { checkManifestPath, joinInside, RootFs } from '../../core/confine/index.ts';
import type { DotfilesRepo } from '../../core/manifest/types.gen.ts';
import type { MutatingRunner } from '../../core/runner/types.ts';
import { withSafeSource } from '../../core/git-safe.ts';

export interface DotfilesSpec {
  readonly repo: DotfilesRepo;
  /** A git URL, a repository path or a bundle file. */
  readonly source: string;
  /** false (rebuild --release): the repository is made, its files are left to `merge home`. */
  readonly checkout?: boolean;
}

const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const BRANCH = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/+-]{1,200}$/;

export function parseDotfilesSpec(text: string): DotfilesSpec {
  let v: DotfilesSpec;
  try {
    v = JSON.parse(text) as DotfilesSpec;
  } catch {
    throw new UserError('USAGE', 'internal dotfiles-apply: stdin is not the JSON the homes stage writes');
  }
  const r = v.repo;
  if (!r || typeof v.source !== 'string' || v.source.startsWith('-')) throw new UserError('USAGE', 'internal dotfiles-apply: a repository and a source are needed');
  if (v.checkout !== undefined && typeof v.checkout !== 'boolean') throw new UserError('USAGE', 'internal dotfiles-apply: checkout must be true or false');
  for (const p of [r.home, r.gitDir, r.workTree]) checkManifestPath(p, `repos.dotfiles (${String(r.user)})`);
  if (r.commit === undefined || !COMMIT.test(r.commit)) throw new UserError('REFUSED', `repos.dotfiles ${r.user}: no pinned commit to check out`);
  if (r.branch !== undefined && !BRANCH.test(r.branch)) throw new UserError('REFUSED', `repos.dotfiles ${r.user}: branch ${JSON.stringify(r.branch)} is not a branch name git takes`);
  if (!/^[a-z_][a-z0-9_-]*\$?$/.test(r.user)) throw new UserError('REFUSED', `repos.dotfiles: user ${JSON.stringify(r.user)} is not a login name`);
  return v;
}

async function owner(target: string, user: string): Promise<{ uid: number; gid: number }> {
  const passwd = await new RootFs(target).resolve('/etc/passwd');
  const line = passwd ? (await readFile(passwd.path, 'utf8')).split('\n').find((l) => l.startsWith(`${user}:`)) : undefined;
  const f = line?.split(':');
  if (!f || !/^\d+$/.test(f[2] ?? '') || !/^\d+$/.test(f[3] ?? '')) throw new UserError('REFUSED', `${user} is not in the target's /etc/passwd: the users (or etc) stage must come first`);
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** Hands `dir` and everything below it to the user, never following a symlink. */
async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await lchown(dir, uid, gid);
  if (!(await lstat(dir)).isDirectory()) return;
  for (const e of await readdir(dir, { withFileTypes: true })) await chownTree(join(dir, e.name), uid, gid);
}

export async function dotfilesApply(runner: MutatingRunner, target: string, spec: DotfilesSpec): Promise<{ files: number }> {
  const r = spec.repo;
  const { uid, gid } = await owner(target, r.user);
  const home = joinInside(target, r.home);
  const gitDir = joinInside(target, r.gitDir);
  const workTree = joinInside(target, r.workTree);
  await mkdir(home, { recursive: true });
  await lchown(home, uid, gid);
  await mkdir(workTree, { recursive: true });
  const git = (...args: string[]): string[] => ['git', `--git-dir=${gitDir}`, ...args];
  // `git init DIR` makes DIR/.git: for ~/.git (and a separate repository's own .git) the work
  // tree is named; a bare repository is its git dir; any other git dir is a separate one.
  if (r.layout === 'bare') await runner.mutate(['git', 'init', '--quiet', '--bare', gitDir]);
  else if (gitDir === join(workTree, '.git')) await runner.mutate(['git', 'init', '--quiet', workTree]);
  else await runner.mutate(['git', 'init', '--quiet', `--separate-git-dir=${gitDir}`, workTree]);
  const remote = r.remote?.name && /^[A-Za-z0-9._-]+$/.test(r.remote.name) ? r.remote.name : 'origin';
  const remotes = (await runner.mutate(git('remote'))).stdout.split('\n');
  if (!remotes.includes(remote) && r.remote?.url) await runner.mutate(git('remote', 'add', remote, r.remote.url));
  // Fetch everything the source has (the pinned commit may be on no branch tip any more).
  // A source another user owns (her home's repository, a --dotfiles-from copy): core/git-safe.
  await withSafeSource(spec.source, (env) => runner.mutate([...env, ...git('fetch', '--quiet', '--no-tags', '--', spec.source, `+refs/heads/*:refs/remotes/${remote}/*`)]));
  if ((await runner.mutate(git('cat-file', '-e', `${r.commit!}^{commit}`), { okExitCodes: [1, 128] })).exitCode !== 0) {
    throw new UserError('REFUSED', `the dotfiles of ${r.user}: commit ${r.commit} is not in ${spec.source}`, { hint: 'push it to the remote, or give a copy with --dotfiles-from DIR' });
  }
  if (r.branch !== undefined) {
    await runner.mutate(git('branch', '--force', '--no-track', r.branch, r.commit!));
    await runner.mutate(git('symbolic-ref', 'HEAD', `refs/heads/${r.branch}`));
  } else {
    await runner.mutate(git('update-ref', '--no-deref', 'HEAD', r.commit!));
  }
  // The home holds files the base system put there (.bashrc from /etc/skel): the repository's
  // win — unless the files are merged (rebuild --release): then only the index is set, and
  // `git status` in the home shows what the merge changed against the repository.
  if (spec.checkout !== false) await runner.mutate([...git(`--work-tree=${workTree}`, 'checkout', '--force', r.commit!, '--', '.')]);
  await runner.mutate([...git(`--work-tree=${workTree}`, 'reset', '--quiet', '--mixed')]);
  if (r.layout === 'bare') await runner.mutate(git('config', 'status.showUntrackedFiles', 'no'));
  await chownTree(gitDir, uid, gid);
  const tracked = (await runner.mutate(git(`--work-tree=${workTree}`, 'ls-files', '-z'))).stdout.split('\0').filter(Boolean);
  if (spec.checkout === false) {
    if (workTree !== home) await lchown(workTree, uid, gid);
    return { files: tracked.length };
  }
  for (const f of tracked) {
    // Each tracked path and the directories above it inside the work tree, never following a link.
    const parts = f.split('/');
    for (let i = 1; i <= parts.length; i++) await lchown(join(workTree, ...parts.slice(0, i)), uid, gid);
  }
  if (workTree !== home) await lchown(workTree, uid, gid);
  return { files: tracked.length };
}
