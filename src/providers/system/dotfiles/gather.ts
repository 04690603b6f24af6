// Users and their dotfiles repositories, read-only. Users: the captured system's /etc/passwd,
// root plus UID_MIN..UID_MAX from its /etc/login.defs (default 1000..60000, as useradd(8)).
// Repositories looked for in each home (a path of the captured system, read under ROOT):
//   bare      a bare git dir directly in $HOME used with --work-tree=$HOME: its core.worktree
//             points at $HOME, or it has none and a conventional name (.dotfiles, .cfg, …)
//   home      $HOME/.git: the home directory itself is the work tree
//   separate  $HOME/.dotfiles or $HOME/dotfiles as a normal repository (stow, install scripts)
import { absolutePathProblem, toolPathInRoot } from '../../../core/confine/index.ts';
import { isAbsolute, join, posix } from 'node:path';
import { UserError } from '../../../core/errors.ts';
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import { gitArgs } from './gitstate.ts';

export interface PasswdUser {
  readonly name: string;
  readonly uid: number;
  readonly home: string;
}

export function parseLoginDefs(text: string | undefined): { min: number; max: number } {
  const get = (key: string, dflt: number): number => {
    const m = new RegExp(`^\\s*${key}\\s+(\\d+)\\s*$`, 'm').exec(text ?? '');
    return m ? Number(m[1]) : dflt;
  };
  return { min: get('UID_MIN', 1000), max: get('UID_MAX', 60000) };
}

export function parsePasswd(text: string, range: { min: number; max: number }): PasswdUser[] {
  const users: PasswdUser[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || !/^\d+$/.test(f[2]!)) continue;
    const uid = Number(f[2]);
    const home = f[5]!;
    if ((uid === 0 || (uid >= range.min && uid <= range.max)) && home.startsWith('/') && home !== '/') users.push({ name: f[0]!, uid, home: posix.normalize(home).replace(/(.)\/+$/, '$1') });
  }
  return users.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Conventional names of a bare dotfiles repository without core.worktree (the "git --git-dir=~/.cfg --work-tree=~" alias). */
export const BARE_NAMES: readonly string[] = ['.cfg', '.cfg.git', '.dotfiles', '.dotfiles.git', '.dots', '.home.git', '.myconf'];
const SEPARATE_NAMES = ['.dotfiles', 'dotfiles'];

export interface FoundRepo {
  readonly user: PasswdUser;
  readonly layout: 'bare' | 'home' | 'separate';
  /** Paths of the captured system. */
  readonly gitDir: string;
  readonly workTree: string;
}

async function looksLikeGitDir(runner: ReadOnlyRunner, dir: string): Promise<boolean> {
  const [head, objects, refs] = await Promise.all(['HEAD', 'objects', 'refs'].map((x) => runner.exists(join(dir, x))));
  return Boolean(head && objects && refs);
}

export async function findUserRepos(runner: ReadOnlyRunner, root: string, user: PasswdUser): Promise<FoundRepo[]> {
  // A home that is not a canonical absolute path ("/home/../../x", a newline) is not a place
  // to look for a repository, and could not be recorded in the manifest.
  if (absolutePathProblem(user.home) !== undefined) return [];
  const hostHome = join(root, user.home);
  if (!(await runner.exists(hostHome))) return [];
  const found: FoundRepo[] = [];
  if (await looksLikeGitDir(runner, join(hostHome, '.git'))) found.push({ user, layout: 'home', gitDir: posix.join(user.home, '.git'), workTree: user.home });
  for (const name of await runner.readDir(hostHome)) {
    if (name === '.git') continue;
    const hostDir = join(hostHome, name);
    if (await looksLikeGitDir(runner, hostDir)) {
      const gitDir = await toolPathInRoot(root, posix.join(user.home, name));
      if (gitDir === undefined) continue;
      const wt = await runner.run([...gitArgs({ gitDir }), 'config', '--get', 'core.worktree'], { okExitCodes: [1] });
      const worktree = wt.exitCode === 0 ? wt.stdout.trim() : undefined;
      // A relative core.worktree is relative to the git dir (git-config(1)).
      const resolved = worktree === undefined ? undefined : isAbsolute(worktree) ? posix.normalize(worktree) : posix.join(user.home, name, worktree);
      if (resolved === user.home || (worktree === undefined && BARE_NAMES.includes(name))) {
        found.push({ user, layout: 'bare', gitDir: posix.join(user.home, name), workTree: user.home });
      }
    } else if (SEPARATE_NAMES.includes(name) && (await looksLikeGitDir(runner, join(hostDir, '.git')))) {
      found.push({ user, layout: 'separate', gitDir: posix.join(user.home, name, '.git'), workTree: posix.join(user.home, name) });
    }
  }
  return found;
}

export async function readUsers(runner: ReadOnlyRunner, root: string): Promise<PasswdUser[]> {
  const [passwd, loginDefs] = await Promise.all([runner.readFileOptional(join(root, 'etc/passwd')), runner.readFileOptional(join(root, 'etc/login.defs'))]);
  if (passwd === undefined) {
    throw new UserError('USAGE', `${join(root, 'etc/passwd')} does not exist: ${root} is not the root of an installed system`, { hint: 'with --root, give the directory where the system is mounted (it has etc/passwd, var/lib/dpkg …)' });
  }
  return parsePasswd(passwd, parseLoginDefs(loginDefs));
}

export async function readHostname(runner: ReadOnlyRunner, root: string): Promise<string | undefined> {
  return (await runner.readFileOptional(join(root, 'etc/hostname')))?.trim() || undefined;
}
