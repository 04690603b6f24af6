// rsync snapshots of a dataset (issue 14): TARGET/NAME/<UTC timestamp>/, each a whole tree in
// which files unchanged since the newest COMPLETE snapshot are hard links to it (--link-dest).
//   - A run writes into TARGET/NAME/.partial-<timestamp>/ and renames it only when rsync
//     succeeded (exit 0, or 24: files vanished while being read — success with a warning). A
//     partial tree is never a base: bases are only names of the timestamp form, which only a
//     rename makes. A run that fails removes its partial tree; one that was killed leaves it, and
//     the next run removes it first.
//   - One run per dataset and target at a time: TARGET/NAME/.sysmanifest-lock (a directory, made
//     atomically, holding the owner's host and pid; a lock whose process is gone is taken over,
//     and said; one written from another machine is never taken over).
//   - TARGET may be on another host (ssh://): the same steps through target-fs.ts.
// Owners, modes, times, hard links, ACLs and xattrs are kept (-aHAX --numeric-ids); times are
// compared to the nanosecond (see below).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { ANY_EXIT_CODE, type MutatingRunner } from '../../core/runner/types.ts';
import { localFs, lockOwner, type TargetFs } from './target-fs.ts';

/** A complete snapshot's name: the UTC time it was started, to the second (no colons: FAT and SMB targets). */
export const SNAPSHOT_NAME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const PARTIAL = /^\.partial-\d{8}T\d{6}Z$/;
const LOCK = '.sysmanifest-lock';

export function snapshotName(t: Date): string {
  return t.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

export function snapshotTime(name: string): Date | undefined {
  const m = SNAPSHOT_NAME.exec(name);
  if (!m) return undefined;
  const t = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  return snapshotName(t) === name ? t : undefined; // 20261399T… is no time
}

/** The complete snapshots in DIR (TARGET/NAME, here or over ssh), oldest first. */
export async function completeSnapshots(dir: string, fs: TargetFs = localFs): Promise<{ name: string; time: Date }[]> {
  return (await fs.readdir(dir)).flatMap((name) => {
    const time = snapshotTime(name);
    return time ? [{ name, time }] : [];
  }).sort((a, b) => a.time.getTime() - b.time.getTime());
}

/** Takes the dataset's lock in DIR; returns its release. Refuses while another live run holds it. */
export async function takeLock(dir: string, say: (s: string) => void = () => {}, fs: TargetFs = localFs): Promise<() => Promise<void>> {
  const lock = join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await fs.mkdirExclusive(lock)) {
      await fs.writeText(join(lock, 'pid'), `${lockOwner()}\n`);
      return async () => {
        await fs.rmrf([lock]);
      };
    }
    const owner = ((await fs.readText(join(lock, 'pid'))) ?? '').trim();
    if (!fs.ownerGone(owner || '0')) {
      const [host, pid] = owner.split(/\s+/);
      throw new UserError('REFUSED', `${fs.show(dir)}: another run (${pid ? `pid ${pid} on ${host}` : `pid ${host || '?'}`}) is writing this dataset's snapshots`, { hint: `wait for it to end; two runs never write one target (if that run is gone for good, remove ${fs.show(lock)})` });
    }
    say(`${fs.show(lock)}: left by a run that is gone (${owner || 'no owner recorded'}); taking it over`);
    await fs.rmrf([lock]);
  }
  throw new UserError('REFUSED', `${fs.show(lock)}: could not take the lock`);
}

export interface RsyncSnapshotOptions {
  /** The dataset's files (its path on this machine). */
  readonly source: string;
  /** TARGET/NAME: where this dataset's snapshots live on the target. */
  readonly dir: string;
  readonly now?: Date;
  /** Progress lines (rsync --info=progress2, and what this run does). */
  readonly onLine?: (line: string) => void;
  /** Where DIR is: this machine (default) or another host over ssh. */
  readonly fs?: TargetFs;
}

export interface RsyncSnapshotResult {
  readonly snapshot: string;
  /** The complete snapshot unchanged files were linked to, if there was one. */
  readonly base?: string;
  /** Partial trees of killed runs removed before this one. */
  readonly removedPartials: readonly string[];
  /** rsync exit 24: some files vanished while they were read. */
  readonly vanished: boolean;
}

export async function rsyncSnapshot(runner: MutatingRunner, o: RsyncSnapshotOptions): Promise<RsyncSnapshotResult> {
  const say = o.onLine ?? (() => {});
  const fs = o.fs ?? localFs;
  if (!existsSync(o.source)) throw new UserError('DEVICE', `${o.source}: the dataset's path does not exist`);
  await fs.mkdirp(o.dir);
  const release = await takeLock(o.dir, say, fs);
  try {
    const removedPartials = (await fs.readdir(o.dir)).filter((n) => PARTIAL.test(n));
    for (const name of removedPartials) say(`removing ${name}: left by a run that did not finish (never a base)`);
    await fs.rmrf(removedPartials.map((n) => join(o.dir, n)));
    const name = snapshotName(o.now ?? new Date());
    if (await fs.exists(join(o.dir, name))) throw new UserError('REFUSED', `${fs.show(join(o.dir, name))} already exists: one snapshot per second at most`, { hint: 'run it again in a second' });
    const base = (await completeSnapshots(o.dir, fs)).at(-1)?.name;
    const partial = join(o.dir, `.partial-${name}`);
    // --modify-window=-1: times compared to the nanosecond. With whole seconds (rsync's default), a
    // file rewritten at the same size within the second of the last run would be taken for
    // unchanged and linked to its OLD content. (A target that keeps coarser times, FAT, copies
    // every file again instead: more space, nothing lost.) --link-dest=../BASE: relative to the
    // destination, so that it names the same tree here and on a remote host.
    const argv = ['rsync', '-aHAX', '--numeric-ids', '--modify-window=-1', '--info=progress2', ...(fs.rsyncShell ? ['-e', fs.rsyncShell] : []), ...(base ? [`--link-dest=../${base}`] : []), `${o.source.replace(/\/*$/, '')}/`, `${fs.rsyncPath(partial)}/`];
    const r = await runner.mutate(argv, { okExitCodes: ANY_EXIT_CODE, processGroup: true, onLine: (l) => say(l.trimEnd()) });
    if (r.exitCode !== 0 && r.exitCode !== 24) {
      await fs.rmrf([partial]).catch(() => {});
      throw new UserError('COMMAND_FAILED', `rsync into ${fs.show(partial)} failed (exit ${r.exitCode}); the partial snapshot was removed, ${base ? `${base} stays the newest` : 'there is no snapshot yet'}:\n${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
    }
    await fs.rename(partial, join(o.dir, name));
    await fs.syncDir(o.dir);
    return { snapshot: name, ...(base ? { base } : {}), removedPartials, vanished: r.exitCode === 24 };
  } finally {
    await release();
  }
}
