// The per-target snapshot engines of `datasets sync`, `status` and `restore` (issue 14):
//   rsync   TARGET/NAME/<UTC time>/ trees (rsync.ts);
//   restic  the target is a restic repository; a snapshot is `restic backup .` run in the
//           dataset's path, tagged sysmanifest:NAME, timed with --time;
//   borg    the target is a borg repository; an archive NAME-<UTC time> of `.` in the path;
//   git-annex  a bare clone at TARGET/NAME, kept with `git annex sync --content` (see gitAnnexEngine).
// restic and borg keep their own format, deduplication and encryption; this module only runs
// their CLIs. A target directory that exists and is empty (never an absent one: that may be a disk
// that is not mounted, its mount point left bare) is initialised
// (encrypted: restic always, borg repokey-blake2), which needs the tool's own password setting
// (RESTIC_PASSWORD / RESTIC_PASSWORD_FILE / RESTIC_PASSWORD_COMMAND, BORG_PASSPHRASE /
// BORG_PASSCOMMAND): without one, the target fails with what to set. Both tools lock their
// repositories themselves. Retention is core/retention.ts for every kind (one notation, reasons
// for --dry-run); the snapshots it drops are forgotten (restic forget + prune, borg delete +
// compact). Snapshot names are the UTC time, like the rsync ones: `--snapshot` takes the same form.
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../core/repo/files.ts';
import type { Dataset } from '../../core/manifest/types.gen.ts';
import { ANY_EXIT_CODE, type CommandResult, type MutatingRunner } from '../../core/runner/types.ts';
import { completeSnapshots, rsyncSnapshot, snapshotName, snapshotTime } from './rsync.ts';
import { localFs, sshArgv, sshProgram, type SshTarget, type TargetFs } from './target-fs.ts';

export interface EngineSnapshot {
  /** The UTC time name (YYYYMMDDTHHMMSSZ): what reports and --snapshot show. */
  readonly name: string;
  readonly time: Date;
  /** The tool's own handle (restic snapshot id, borg archive name). */
  readonly id: string;
}

export interface Taken {
  readonly snapshot: string;
  /** rsync: the snapshot unchanged files are linked to. */
  readonly base?: string;
  readonly note?: string;
  /** What the snapshot added to the repository, when the tool says (restic data_added, borg deduplicated size). */
  readonly addedBytes?: number;
}

export interface Engine {
  /** The complete snapshots, oldest first. */
  list(): Promise<EngineSnapshot[]>;
  take(now: Date, onLine: (l: string) => void): Promise<Taken>;
  remove(snapshots: readonly EngineSnapshot[]): Promise<void>;
  /** The snapshot's files into DIR (a new, empty directory). */
  restore(snapshot: EngineSnapshot, dir: string, onLine: (l: string) => void): Promise<void>;
}

/** Runs ARGV in DIR (neither restic nor borg has a --cwd: `.` is what they record). */
const inDir = (dir: string, argv: readonly string[]): string[] => ['sh', '-c', 'cd "$1" || exit 1; shift; exec env TZ=UTC "$@"', 'sysmanifest-in', dir, ...argv];

function failed(tool: string, what: string, r: CommandResult): UserError {
  const said = r.stderr.trim().split('\n').filter((l) => l && !l.startsWith('{')).slice(-4).join('\n');
  const password = /password|passphrase/i.test(said);
  return new UserError('COMMAND_FAILED', `${tool} ${what} failed (exit ${r.exitCode}): ${said || r.stdout.trim().split('\n').pop() || 'no message'}`, {
    hint: password ? (tool === 'restic' ? 'set RESTIC_PASSWORD_FILE (or RESTIC_PASSWORD, RESTIC_PASSWORD_COMMAND) for the repository' : 'set BORG_PASSPHRASE (or BORG_PASSCOMMAND) for the repository') : `see ${tool}'s message`,
  });
}

function mustExist(d: Dataset): void {
  if (!existsSync(d.path)) throw new UserError('DEVICE', `${d.path}: the dataset's path does not exist`);
}

async function repoAbsent(repo: string, fs: TargetFs = localFs): Promise<boolean> {
  return !(await fs.exists(repo)) || (await fs.readdir(repo)).length === 0;
}

export function rsyncEngine(runner: MutatingRunner, d: Dataset, dir: string, fs: TargetFs = localFs): Engine {
  return {
    list: async () => (await completeSnapshots(dir, fs)).map((s) => ({ ...s, id: s.name })),
    take: async (now, onLine) => {
      const r = await rsyncSnapshot(runner, { source: d.path, dir, now, onLine, fs });
      return { snapshot: r.snapshot, ...(r.base ? { base: r.base } : {}), ...(r.vanished ? { note: 'some files vanished while they were read (rsync exit 24)' } : {}) };
    },
    remove: async (snaps) => fs.rmrf(snaps.map((s) => join(dir, s.name))),
    restore: async (s, to, onLine) => {
      const r = await runner.mutate(['rsync', '-aHAX', '--numeric-ids', '--info=progress2', ...(fs.rsyncShell ? ['-e', fs.rsyncShell] : []), `${fs.rsyncPath(join(dir, s.name))}/`, `${to}/`], { okExitCodes: ANY_EXIT_CODE, processGroup: true, onLine: (l) => onLine(l.trimEnd()) });
      if (r.exitCode !== 0) throw failed('rsync', `from ${fs.show(join(dir, s.name))}`, r);
    },
  };
}

export function resticEngine(runner: MutatingRunner, d: Dataset, repo: string, fs: TargetFs = localFs, ssh?: SshTarget): Engine {
  const tag = `sysmanifest:${d.name}`;
  // Over ssh: restic's sftp backend, through the same ssh (batch mode, SYSMANIFEST_SSH) as the rest.
  const spec = ssh ? `sftp:${ssh.userHost}:${repo}` : repo;
  const sftp = ssh ? ['-o', `sftp.command=${[...sshArgv(ssh), '-s', 'sftp'].join(' ')}`] : [];
  const restic = async (argv: readonly string[], what: string, o: { cwd?: string; onLine?: (l: string) => void } = {}): Promise<CommandResult> => {
    const full = ['restic', '--repo', spec, '--no-cache', ...sftp, ...argv];
    const r = await runner.mutate(o.cwd ? inDir(o.cwd, full) : ['env', 'TZ=UTC', ...full], { okExitCodes: ANY_EXIT_CODE, processGroup: true, ...(o.onLine ? { onLine: o.onLine } : {}) });
    if (r.exitCode !== 0) throw failed('restic', what, r);
    return r;
  };
  const list = async (): Promise<EngineSnapshot[]> => {
    if (await repoAbsent(repo, fs)) return [];
    const r = await restic(['snapshots', '--json', '--tag', tag], 'snapshots');
    const all = JSON.parse(r.stdout || '[]') as { id: string; time: string }[];
    return all.map((s) => {
      const time = new Date(s.time);
      return { name: snapshotName(time), time, id: s.id };
    }).sort((a, b) => a.time.getTime() - b.time.getTime());
  };
  return {
    list,
    take: async (now, onLine) => {
      mustExist(d);
      if (await repoAbsent(repo, fs)) {
        onLine(`initialising the restic repository ${fs.show(repo)}`);
        await restic(['init'], `init ${fs.show(repo)}`);
      }
      const name = snapshotName(now);
      if ((await list()).some((s) => s.name === name)) throw new UserError('REFUSED', `${repo} already has a snapshot of ${d.name} at ${name}: one per second at most`, { hint: 'run it again in a second' });
      // --time: the snapshot's time is the run's (the name every report uses), in UTC.
      const stamp = now.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
      const r = await restic(['backup', '--json', '--tag', tag, '--time', stamp, '.'], `backup of ${d.path}`, {
        cwd: d.path,
        onLine: (l) => {
          try {
            const s = JSON.parse(l) as { message_type?: string; percent_done?: number; files_done?: number; total_files?: number; bytes_done?: number; total_bytes?: number };
            if (s.message_type === 'status') onLine(`${Math.round((s.percent_done ?? 0) * 100)}% ${s.bytes_done ?? 0} of ${s.total_bytes ?? 0} bytes, ${s.files_done ?? 0} of ${s.total_files ?? 0} files`);
          } catch {
            onLine(l.trimEnd());
          }
        },
      });
      const summary = r.stdout.split('\n').map((l) => (l.startsWith('{') ? (JSON.parse(l) as { message_type?: string; data_added?: number }) : {})).find((x) => x.message_type === 'summary');
      return { snapshot: name, ...(summary?.data_added !== undefined ? { addedBytes: summary.data_added } : {}) };
    },
    remove: async (snaps) => {
      if (snaps.length === 0) return;
      await restic(['forget', '--prune', ...snaps.map((s) => s.id)], `forget ${snaps.map((s) => s.name).join(' ')}`);
    },
    restore: async (s, to) => {
      await restic(['restore', s.id, '--target', to], `restore ${s.name}`);
    },
  };
}

export function borgEngine(runner: MutatingRunner, d: Dataset, path: string, fs: TargetFs = localFs, ssh?: SshTarget): Engine {
  const prefix = `${d.name}-`;
  // Over ssh: borg's own ssh:// URL (borg serve runs on the other host), through the same ssh.
  const repo = ssh ? `ssh://${ssh.userHost}${ssh.port ? `:${ssh.port}` : ''}${path}` : path;
  const rsh = ssh ? [`BORG_RSH=${sshProgram().join(' ')} -o BatchMode=yes -o ConnectTimeout=10`] : [];
  const borg = async (argv: readonly string[], what: string, o: { cwd?: string; onLine?: (l: string) => void } = {}): Promise<CommandResult> => {
    const r = await runner.mutate(o.cwd ? inDir(o.cwd, ['env', ...rsh, 'borg', ...argv]) : ['env', 'TZ=UTC', ...rsh, 'borg', ...argv], { okExitCodes: ANY_EXIT_CODE, processGroup: true, ...(o.onLine ? { onLine: o.onLine } : {}) });
    // borg: 1 is "warning" (a file changed or vanished while read): the archive is complete.
    if (r.exitCode !== 0 && r.exitCode !== 1) throw failed('borg', what, r);
    return r;
  };
  const list = async (): Promise<EngineSnapshot[]> => {
    if (await repoAbsent(path, fs)) return [];
    const r = await borg(['list', '--json', '--glob-archives', `${prefix}*`, repo], 'list');
    const all = (JSON.parse(r.stdout) as { archives: { name: string }[] }).archives;
    return all.flatMap((a) => {
      const time = snapshotTime(a.name.slice(prefix.length));
      return a.name.startsWith(prefix) && time ? [{ name: a.name.slice(prefix.length), time, id: a.name }] : [];
    }).sort((a, b) => a.time.getTime() - b.time.getTime());
  };
  return {
    list,
    take: async (now, onLine) => {
      mustExist(d);
      if (await repoAbsent(path, fs)) {
        if (!process.env.BORG_PASSPHRASE && !process.env.BORG_PASSCOMMAND && !process.env.BORG_PASSPHRASE_FD) throw new UserError('REFUSED', `${repo}: no borg repository there yet, and no passphrase to make an encrypted one`, { hint: 'set BORG_PASSPHRASE (or BORG_PASSCOMMAND), or make the repository yourself (borg init)' });
        onLine(`initialising the borg repository ${fs.show(path)} (repokey-blake2)`);
        await borg(['init', '--encryption=repokey-blake2', repo], `init ${repo}`);
      }
      const name = snapshotName(now);
      const r = await borg(['create', '--json', '--progress', '--timestamp', now.toISOString().replace(/\.\d{3}Z$/, ''), `${repo}::${prefix}${name}`, '.'], `create of ${d.path}`, { cwd: d.path, onLine: (l) => onLine(l.trimEnd()) });
      let added: number | undefined;
      try {
        added = (JSON.parse(r.stdout) as { archive?: { stats?: { deduplicated_size?: number } } }).archive?.stats?.deduplicated_size;
      } catch {
        added = undefined;
      }
      return { snapshot: name, ...(r.exitCode === 1 ? { note: 'borg warned (a file changed or vanished while it was read): see its message' } : {}), ...(added !== undefined ? { addedBytes: added } : {}) };
    },
    remove: async (snaps) => {
      if (snaps.length === 0) return;
      await borg(['delete', repo, ...snaps.map((s) => s.id)], `delete ${snaps.map((s) => s.name).join(' ')}`);
      await borg(['compact', repo], 'compact');
    },
    restore: async (s, to) => {
      await borg(['extract', '--numeric-ids', `${repo}::${s.id}`], `extract ${s.id}`, { cwd: to });
    },
  };
}

/**
 * git-annex: `path` is a git-annex repository; the target TARGET/NAME a bare clone of it made on
 * the first run (`git init --bare` + `git annex init`), added to the source as the remote
 * sysmanifest-<target's hash>. A run is `git annex sync --content` to that remote, with the
 * dataset's selection as the remote's preferred content (include=/exclude= globs) and minCopies
 * as git-annex's numcopies; git keeps the history, so there is one "snapshot": the time of the
 * last complete sync (TARGET/NAME/sysmanifest-synced), and no retention. A restore clones the
 * backup and gets the selected content from it (git keeps no owners, modes or times).
 */
export function gitAnnexEngine(runner: MutatingRunner, d: Dataset, dir: string, target: string): Engine {
  const remote = `sysmanifest-${createHash('sha256').update(target).digest('hex').slice(0, 8)}`;
  const stamp = join(dir, 'sysmanifest-synced');
  const git = async (argv: readonly string[], what: string, onLine?: (l: string) => void): Promise<CommandResult> => {
    const r = await runner.mutate(['git', ...argv], { okExitCodes: ANY_EXIT_CODE, processGroup: true, ...(onLine ? { onLine } : {}) });
    if (r.exitCode !== 0) throw failed('git-annex', what, r);
    return r;
  };
  const wanted = (): string => {
    const glob = (g: string): string => g.replace(/\*\*\/?/g, '*').replace(/\/$/, '/*');
    const inc = (d.include ?? []).map((g) => `include=${glob(g)}`);
    const exc = (d.exclude ?? []).map((g) => `exclude=${glob(g)}`);
    return [...(inc.length ? [inc.length > 1 ? `(${inc.join(' or ')})` : inc[0]!] : []), ...exc].join(' and ') || 'anything';
  };
  return {
    list: async () => {
      const name = existsSync(stamp) ? (await readFile(stamp, 'utf8')).trim() : '';
      const time = snapshotTime(name);
      return time ? [{ name, time, id: 'HEAD' }] : [];
    },
    take: async (now, onLine) => {
      if (!existsSync(join(d.path, '.git', 'annex'))) throw new UserError('REFUSED', `${d.path} is not a git-annex repository`, { hint: 'git annex init in it, or declare the dataset with another kind' });
      if (!existsSync(join(dir, 'config'))) {
        await mkdir(dir, { recursive: true });
        onLine(`making the bare git-annex repository ${dir}`);
        await git(['init', '--bare', '--quiet', dir], `init ${dir}`);
        await git(['-C', dir, 'annex', 'init', '--quiet', `sysmanifest backup ${target}`], `annex init ${dir}`);
      }
      const remotes = (await git(['-C', d.path, 'remote'], 'remote')).stdout.split('\n');
      if (!remotes.includes(remote)) await git(['-C', d.path, 'remote', 'add', remote, dir], `remote add ${remote}`);
      await git(['-C', d.path, 'annex', 'wanted', remote, wanted()], `wanted ${remote}`);
      if (d.minCopies !== undefined) await git(['-C', d.path, 'annex', 'numcopies', String(d.minCopies)], 'numcopies');
      await git(['-C', d.path, 'annex', 'sync', '--content', '--message', `sysmanifest datasets sync ${snapshotName(now)}`, remote], `sync --content ${remote}`, (l) => onLine(l.trimEnd()));
      await writeFileAtomic(stamp, `${snapshotName(now)}\n`);
      return { snapshot: snapshotName(now), note: `synced to the git-annex remote ${remote}` };
    },
    remove: async () => {},
    restore: async (_s, to, onLine) => {
      await git(['clone', '--quiet', dir, to], `clone ${dir}`);
      await git(['-C', to, 'annex', 'init', '--quiet'], 'annex init');
      const selection = [...(d.include ?? []).flatMap((g) => ['--include', g.replace(/\*\*\/?/g, '*')]), ...(d.exclude ?? []).flatMap((g) => ['--exclude', g.replace(/\*\*\/?/g, '*')])];
      await git(['-C', to, 'annex', 'get', '--from', 'origin', ...selection, '.'], 'annex get', (l) => onLine(l.trimEnd()));
    },
  };
}

/** The engine of a dataset on one reachable target: DIR is TARGET/NAME (rsync, git-annex), ROOT the repository (restic, borg); undefined for what is not written yet. */
export function engineFor(runner: MutatingRunner, d: Dataset, place: { dir: string; root: string; target: string; fs: TargetFs; ssh?: SshTarget }): Engine | undefined {
  switch (d.kind) {
    case 'rsync':
      return rsyncEngine(runner, d, place.dir, place.fs);
    case 'restic':
      return resticEngine(runner, d, place.root, place.fs, place.ssh);
    case 'borg':
      return borgEngine(runner, d, place.root, place.fs, place.ssh);
    case 'git-annex':
      return place.ssh ? undefined : gitAnnexEngine(runner, d, place.dir, place.target);
    default:
      return undefined;
  }
}
