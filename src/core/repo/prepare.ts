// The manifest repository before a run writes to it: `--repo` is checked and prepared in two
// steps around the run lock, so that nothing but the directory itself is created before the lock
// is held (two first captures of one new repository must not both `git init` it):
//   prepareRepoDir  before the lock: REPO is (or becomes) a writable directory whose .git, if
//                   there is one, is a directory (the lock lives in REPO/.git/sysmanifest/)
//   ensureGitRepo   under the lock: `git init` when .git has no HEAD (new, or half-initialised:
//                   an empty .git, or only sysmanifest's lock folder), then git must be able to use it
// Errors of the file system (read-only, full, not a directory…) become one UserError REPO naming
// the path, never Node's errno text (mkdir -p on a read-only mount says ENOENT).
import { constants as fsc } from 'node:fs';
import { access, lstat, mkdir, stat } from 'node:fs/promises';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { UserError } from '../errors.ts';
import { ensureRepo, gitAt } from '../runner/git.ts';

const WORDS: Readonly<Record<string, string>> = {
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the file system',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a component of the path is not a directory',
  ELOOP: 'too many levels of symbolic links',
  EIO: 'input/output error',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
};

function hintFor(code: string, repo: string): string {
  if (code === 'EROFS') return `the repository is on a read-only file system: remount it read-write, or pass --repo DIR on a writable one`;
  if (code === 'ENOSPC' || code === 'EDQUOT') return `free space on the file system that holds ${repo} (df ${repo}); the manifest already there is unchanged`;
  if (code === 'EACCES' || code === 'EPERM') return `run as a user who can write ${repo}, or pass --repo DIR`;
  return `check ${repo}, or pass --repo DIR`;
}

const inside = (path: string, dir: string): boolean => {
  const r = relative(dir, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/**
 * A file-system error met while working in the repository, as one UserError REPO; anything
 * else (a bug, an error about another path) is returned unchanged.
 */
export function repoFsError(e: unknown, repo: string): unknown {
  const err = e as NodeJS.ErrnoException;
  const words = typeof err?.code === 'string' ? WORDS[err.code] : undefined;
  if (words === undefined) return e;
  const path = typeof err.path === 'string' ? err.path : repo;
  if (!inside(path, repo) && !inside(repo, path)) return e;
  return new UserError('REPO', `cannot write the manifest repository: ${path}: ${words}`, { hint: hintFor(err.code!, repo), cause: e });
}

async function kind(path: string, follow: boolean): Promise<'dir' | 'missing' | 'other'> {
  try {
    return (follow ? await stat(path) : await lstat(path)).isDirectory() ? 'dir' : 'other';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
}

/** Before the lock: REPO exists (created with its missing parents), is a writable directory. */
export async function prepareRepoDir(repo: string): Promise<void> {
  try {
    // Created one level at a time (not mkdir -p): each failure is the real one.
    const missing: string[] = [];
    let at = repo;
    for (;;) {
      const k = await kind(at, true);
      if (k === 'dir') break;
      if (k === 'other') {
        throw new UserError('REPO', `${at} is not a directory${at === repo ? '' : ` (a parent of the repository ${repo})`}`, {
          hint: '--repo names the directory of the manifest repository (created when it does not exist)',
        });
      }
      missing.unshift(at);
      if (dirname(at) === at) break;
      at = dirname(at);
    }
    for (const m of missing) {
      try {
        await mkdir(m);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || (await kind(m, true)) !== 'dir') throw e;
      }
    }
    await access(repo, fsc.W_OK | fsc.X_OK);
    const git = join(repo, '.git');
    if ((await kind(git, false)) === 'other') {
      throw new UserError('REPO', `${git} is not a directory (a git worktree, a submodule, or a stray file)`, {
        hint: 'sysmanifest keeps its run lock and status in REPO/.git/sysmanifest: give --repo a repository of its own (a plain clone)',
      });
    }
  } catch (e) {
    throw repoFsError(e, repo);
  }
}

/**
 * Under the lock: `git init` a repository that has none or half of one (no .git/HEAD), then
 * make sure git can use it. Returns true when it was initialised now.
 */
export async function ensureGitRepo(repo: string): Promise<boolean> {
  const created = await ensureRepo(repo);
  try {
    await (await gitAt(repo)).raw(['rev-parse', '--git-dir']);
  } catch (e) {
    throw new UserError('REPO', `${repo} has a .git directory that git cannot use: ${(e as Error).message.trim().split('\n')[0]}`, {
      hint: `repair it (git -C ${repo} status says what is wrong), or move ${join(repo, '.git')} away to start a fresh history`,
    });
  }
  return created;
}
