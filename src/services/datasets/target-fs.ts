// Where a dataset's snapshots are written: a directory of this machine, or one on another
// host reached with ssh (`ssh://[user@]host[:port]/path`). The rsync engine works through this
// interface only, so that the same steps (partial tree, rename when complete, lock, retention)
// hold on both. Remote steps are single commands run by the remote user's shell through
// `ssh -o BatchMode=yes` (never a password prompt: keys or an agent), every word quoted; a host
// that does not answer within ConnectTimeout is unreachable, never a failure of the others.
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { UserError } from '../../core/errors.ts';
import { shq } from '../../core/text.ts';
import { ANY_EXIT_CODE, type MutatingRunner } from '../../core/runner/types.ts';

export interface SshTarget {
  /** user@host or host (an IPv6 address in brackets as written). */
  readonly userHost: string;
  readonly port?: string;
  /** The absolute path on the remote host. */
  readonly path: string;
}

/** ssh://[user@]host[:port]/path, as the schema's pattern admits it; undefined for other targets. */
export function parseSshTarget(target: string): SshTarget | undefined {
  const m = /^ssh:\/\/((?:[A-Za-z0-9._%-]+@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+))(?::(\d{1,5}))?(\/.*)$/.exec(target);
  if (!m) return undefined;
  return { userHost: m[1]!, ...(m[2] ? { port: m[2] } : {}), path: m[3]! };
}

/**
 * The ssh program and its own options: SYSMANIFEST_SSH when set (as GIT_SSH_COMMAND, words split
 * on blanks: `ssh -F /etc/sysmanifest/ssh_config`), else ssh.
 */
export function sshProgram(): string[] {
  const words = (process.env.SYSMANIFEST_SSH ?? '').trim().split(/\s+/).filter(Boolean);
  return words.length ? words : ['ssh'];
}

/** The ssh command (without the remote command) for a target: batch mode, a connect timeout, its port. */
export function sshArgv(t: SshTarget): string[] {
  return [...sshProgram(), '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', ...(t.port ? ['-p', t.port] : []), t.userHost];
}

/** What rsync's -e takes for this target. */
export const rsyncShell = (t: SshTarget): string => sshArgv(t).slice(0, -1).join(' ');

export interface TargetFs {
  /** How messages name a path there ("host:/dir", or the local path). */
  show(path: string): string;
  /** What rsync takes as the destination or source path. */
  rsyncPath(path: string): string;
  /** rsync -e, for a remote target. */
  readonly rsyncShell?: string;
  /** Entries of a directory; [] when it does not exist. */
  readdir(path: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
  mkdirp(path: string): Promise<void>;
  /** mkdir that fails when the directory exists: false then. */
  mkdirExclusive(path: string): Promise<boolean>;
  rmrf(paths: readonly string[]): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** The rename on disk before a run says it is done. */
  syncDir(path: string): Promise<void>;
  readText(path: string): Promise<string | undefined>;
  writeText(path: string, text: string): Promise<void>;
  /** Whether the process that wrote OWNER ("host pid") is known to be gone (false when it may be alive, or runs elsewhere). */
  ownerGone(owner: string): boolean;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** "host pid" of this process, for lock files. */
export const lockOwner = (): string => `${hostname()} ${process.pid}`;

function ownerGoneHere(owner: string): boolean {
  const [host, pidText] = owner.trim().split(/\s+/);
  const pid = Number(pidText ?? host); // an old lock holds the pid alone
  const sameHost = pidText === undefined || host === hostname();
  return sameHost && Number.isInteger(pid) && pid > 0 && !alive(pid);
}

export const localFs: TargetFs = {
  show: (p) => p,
  rsyncPath: (p) => p,
  readdir: async (p) => (existsSync(p) ? readdir(p) : []),
  exists: async (p) => existsSync(p),
  mkdirp: async (p) => void (await mkdir(p, { recursive: true })),
  mkdirExclusive: async (p) => {
    try {
      await mkdir(p);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  },
  rmrf: async (ps) => {
    for (const p of ps) await rm(p, { recursive: true, force: true });
  },
  rename: (a, b) => rename(a, b),
  syncDir: async (p) => {
    const d = await open(p, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  },
  readText: (p) => readFile(p, 'utf8').catch(() => undefined),
  writeText: (p, t) => writeFile(p, t),
  ownerGone: ownerGoneHere,
};

/** The same operations on another host, one ssh command each. */
export function sshFs(runner: MutatingRunner, t: SshTarget): TargetFs {
  const where = t.port ? `${t.userHost}:${t.port}` : t.userHost;
  const run = async (words: readonly string[], what: string, okExitCodes: readonly number[] = []): Promise<{ exitCode: number; stdout: string }> => {
    const r = await runner.mutate([...sshArgv(t), words.map(shq).join(' ')], { okExitCodes: ANY_EXIT_CODE });
    if (r.exitCode !== 0 && !okExitCodes.includes(r.exitCode)) {
      throw new UserError('COMMAND_FAILED', `on ${where}: ${what} failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-2).join(' / ')}`, { hint: r.exitCode === 255 ? 'ssh could not reach the host or log in (keys, agent, known_hosts)' : 'see the message' });
    }
    return r;
  };
  return {
    show: (p) => `${where}:${p}`,
    rsyncPath: (p) => `${t.userHost}:${p}`,
    rsyncShell: rsyncShell(t),
    readdir: async (p) => {
      const r = await run(['sh', '-c', 'cd "$1" 2>/dev/null || exit 0; ls -1A', 'sh', p], `ls ${p}`);
      return r.stdout.split('\n').filter(Boolean);
    },
    exists: async (p) => (await run(['test', '-e', p], `test -e ${p}`, [1])).exitCode === 0,
    mkdirp: async (p) => void (await run(['mkdir', '-p', '--', p], `mkdir -p ${p}`)),
    mkdirExclusive: async (p) => (await run(['sh', '-c', 'mkdir -- "$1" 2>/dev/null || { [ -d "$1" ] && exit 3; mkdir -- "$1"; }', 'sh', p], `mkdir ${p}`, [3])).exitCode === 0,
    rmrf: async (ps) => {
      if (ps.length) await run(['rm', '-rf', '--', ...ps], `rm -rf ${ps.join(' ')}`);
    },
    rename: async (a, b) => void (await run(['mv', '-T', '--', a, b], `mv ${a} ${b}`)),
    syncDir: async (p) => void (await run(['sync', '--', p], `sync ${p}`)),
    readText: async (p) => {
      const r = await run(['cat', '--', p], `cat ${p}`, [1]);
      return r.exitCode === 0 ? r.stdout : undefined;
    },
    writeText: async (p, text) => void (await run(['sh', '-c', 'printf %s "$2" > "$1"', 'sh', p, text], `write ${p}`)),
    // A lock written by a run on another machine: whether it is gone cannot be known from here.
    ownerGone: (owner) => owner.trim().split(/\s+/)[0] === hostname() && ownerGoneHere(owner),
  };
}
