// Read-only: the rpm database and dnf's record of user-installed packages under the captured
// root, and ROOT/etc/yum.repos.d. rpm databases are sqlite (or Berkeley DB) files and dnf's
// history is sqlite: they are read through the tools, never parsed here.
//   installed names   rpm -qa --root ROOT --dbpath DB --qf '%{NAME}\n'
//   user-installed    dnf repoquery --installroot ROOT --userinstalled (dnf 4's history.sqlite)
// dnf --installroot takes the rpm database path from this machine's rpm (%_dbpath): Fedora's
// is /usr/lib/sysimage/rpm, RHEL 8/9's /var/lib/rpm, Debian's ~/.rpmdb. When that is not where
// ROOT keeps its database, dnf would read (and create) the wrong one: the user-installed set
// is then recorded as unsupported rather than guessed.
import { posix } from 'node:path';
import { ParseError } from '../../../core/errors.ts';
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import { underRoot } from '../apt/gather.ts';
import { parseNameLines } from './parse.ts';

export const HISTORY_DB = '/var/lib/dnf/history.sqlite';
export const DNF5_STATE = '/usr/lib/sysimage/libdnf5';
export const RPMDB_DIRS = ['/usr/lib/sysimage/rpm', '/var/lib/rpm'];
const REPOS_D = '/etc/yum.repos.d';

export interface DnfFacts {
  /** Where ROOT's rpm database is (a path on the captured system). */
  readonly dbPath: string;
  /** Installed package names, as rpm -qa prints them (one per installed package). */
  readonly installed: readonly string[];
  /** dnf's user-installed names, or why they could not be read. */
  readonly userInstalled: readonly string[] | { readonly unsupported: string };
  readonly repoFiles: ReadonlyArray<{ readonly path: string; readonly text: string }>;
}

async function isRpmDb(r: ReadOnlyRunner, root: string, dir: string): Promise<boolean> {
  for (const f of ['rpmdb.sqlite', 'Packages', 'Packages.db']) if (await r.exists(underRoot(root, posix.join(dir, f)))) return true;
  return false;
}

async function userInstalled(r: ReadOnlyRunner, root: string, dbPath: string, hostDbPath: string, hasDnf4: boolean): Promise<DnfFacts['userInstalled']> {
  if (!hasDnf4) return { unsupported: `no dnf 4 history (${HISTORY_DB}); dnf 5 state (${DNF5_STATE}) is not read yet` };
  if (!(await r.hasProgram('dnf'))) return { unsupported: 'dnf is not installed on the capturing machine: the user-installed set is in its history database' };
  if (hostDbPath !== dbPath) {
    return { unsupported: `this machine's rpm keeps its database in ${hostDbPath} (rpm --eval %_dbpath), the captured system in ${dbPath}: dnf --installroot would read the wrong database` };
  }
  const out = await r.run(['dnf', 'repoquery', `--installroot=${root}`, '--quiet', '--cacheonly', '--disablerepo=*', '--userinstalled', '--queryformat', '%{name}']);
  return parseNameLines(out.stdout, 'dnf repoquery --userinstalled');
}

/** The facts, or undefined when ROOT has no dnf history (not a dnf-managed system). */
export async function gatherDnf(r: ReadOnlyRunner, root: string): Promise<DnfFacts | undefined> {
  const hasDnf4 = await r.exists(underRoot(root, HISTORY_DB));
  // Debian's rpm package creates an empty /var/lib/rpm database: dnf's own state is what
  // says dnf manages this system.
  if (!hasDnf4 && !(await r.exists(underRoot(root, DNF5_STATE)))) return undefined;
  const hostDbPath = (await r.run(['rpm', '--eval', '%_dbpath'])).stdout.trim();
  let dbPath: string | undefined;
  for (const d of [hostDbPath, ...RPMDB_DIRS]) {
    if (d.startsWith('/') && (await isRpmDb(r, root, d))) {
      dbPath = d;
      break;
    }
  }
  if (dbPath === undefined) throw new ParseError('rpm database', `${root} has dnf state but no rpm database in ${[hostDbPath, ...RPMDB_DIRS].join(', ')}`);
  const rpm = await r.run(['rpm', '-qa', '--root', root, '--dbpath', dbPath, '--qf', '%{NAME}\\n']);
  const installed = parseNameLines(rpm.stdout, 'rpm -qa');
  const names = (await r.exists(underRoot(root, REPOS_D))) ? (await r.readDir(underRoot(root, REPOS_D))).filter((n) => n.endsWith('.repo')) : [];
  const repoFiles: Array<{ path: string; text: string }> = [];
  for (const n of names) repoFiles.push({ path: `${REPOS_D}/${n}`, text: await r.readFile(underRoot(root, `${REPOS_D}/${n}`)) });
  return { dbPath, installed, userInstalled: await userInstalled(r, root, dbPath, hostDbPath, hasDnf4), repoFiles };
}
