// git for the manifest repository (the user's data, not a block device), via simple-git.
// It lives here because src/core/runner is the only place that spawns processes.
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { UserError } from '../errors.ts';

/** simple-git is loaded on first use: commands that never touch the repository do not pay its start-up. */
export async function gitAt(dir: string, options: { timeoutMs?: number; config?: readonly string[] } = {}): Promise<SimpleGit> {
  const { simpleGit } = await import('simple-git');
  // timeout.block: kill a git that makes no progress for that long (a push to a dead remote).
  // config: `git -c k=v` for every call (simple-git's env guard refuses GIT_* variables).
  return simpleGit({
    baseDir: dir,
    binary: 'git',
    maxConcurrentProcesses: 2,
    ...(options.timeoutMs ? { timeout: { block: options.timeoutMs } } : {}),
    ...(options.config?.length ? { config: [...options.config] } : {}),
  });
}

/** Make sure `dir` is a git repository (git init on first use). Returns true when it was created. */
export async function ensureRepo(dir: string): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  try {
    // HEAD, not .git: an empty .git (or one holding only sysmanifest's lock) is initialised too.
    await stat(join(dir, '.git', 'HEAD'));
    return false;
  } catch {
    /* not yet a repository */
  }
  try {
    await (await gitAt(dir)).init(['--quiet', '--initial-branch=main']);
  } catch (e) {
    throw new UserError('REPO', `could not create the manifest repository in ${dir}: ${(e as Error).message}`, {
      hint: 'is git installed (apt-get install git) and the directory writable?',
    });
  }
  return true;
}
