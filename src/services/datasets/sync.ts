// `datasets sync` and `datasets status` (issue 14), over the manifest's declarations.
// A target that cannot be reached (a path that is not there, a filesystem UUID that is not
// mounted, a host that does not answer) is skipped and reported; it never fails the others. Only
// datasets that are due run: the last complete snapshot on a target older than the interval (or
// no interval). After a snapshot, the target's retention is applied (core/retention.ts);
// --dry-run only says what would be done and why. Kind btrfs is btrfs-sync.ts (one local
// snapshot sent to every target); rsync, restic, borg and git-annex are engines.ts, one target
// at a time; targets here or over ssh (target-fs.ts).
import { existsSync, statSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readdir, rename, rm, rmdir, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { messageWithHint, UserError } from '../../core/errors.ts';
import { childInside } from '../../core/confine/index.ts';
import type { Dataset, Manifest } from '../../core/manifest/types.gen.ts';
import { decide, parseDuration, parsePreserve, type Decision } from '../../core/retention.ts';
import { ANY_EXIT_CODE, type MutatingRunner } from '../../core/runner/types.ts';
import { shq } from '../../core/text.ts';
import { localFs, parseSshTarget, sshArgv, sshFs, type SshTarget, type TargetFs } from './target-fs.ts';
import { computeExpect } from '../../providers/system/datasets/expect.ts';
import { snapshotTime } from './rsync.ts';
import { syncBtrfs } from './btrfs-sync.ts';
import { engineFor, type EngineSnapshot } from './engines.ts';
import { listSnapshots, readLedger, restoreBtrfs, snapshotDirOf, writeLedger } from './btrfs.ts';
import type { HookRunner } from '../versioning/hooks.ts';

/**
 * dir: TARGET/NAME (rsync, btrfs, git-annex); root: TARGET itself (the restic or borg repository);
 * fs: where they are (this machine, or another host over ssh).
 */
export type TargetPlace = { readonly reachable: true; readonly dir: string; readonly root: string; readonly fs: TargetFs; readonly ssh?: SshTarget } | { readonly reachable: false; readonly why: string };

/** Where TARGET/NAME is, or why it cannot be reached now. */
export async function placeOf(runner: MutatingRunner, target: string, name: string, where: string): Promise<TargetPlace> {
  if (target.startsWith('ssh://')) {
    const ssh = parseSshTarget(target);
    if (!ssh) throw new UserError('MANIFEST_RULE', `${where}: ${target} is not ssh://[user@]host[:port]/path`);
    // One round trip: the host answers, we may log in, and TARGET is a directory there.
    const r = await runner.mutate([...sshArgv(ssh), `test -d ${shq(ssh.path)}`], { okExitCodes: ANY_EXIT_CODE });
    if (r.exitCode === 255) return { reachable: false, why: `ssh to ${ssh.userHost}${ssh.port ? ` port ${ssh.port}` : ''} failed: ${r.stderr.trim().split('\n').pop() ?? 'no answer'}` };
    if (r.exitCode !== 0) return { reachable: false, why: `${ssh.path} is not a directory on ${ssh.userHost} (a disk not mounted there?)` };
    return { reachable: true, dir: childInside(ssh.path, name, where), root: ssh.path, fs: sshFs(runner, ssh), ssh };
  }
  let root: string;
  if (target.startsWith('uuid:')) {
    const m = /^uuid:([0-9A-Fa-f-]{4,36})(\/.*)$/.exec(target);
    if (!m) throw new UserError('MANIFEST_RULE', `${where}: ${target} is not uuid:UUID/path`);
    const r = await runner.run(['findmnt', '-rn', '-S', `UUID=${m[1]}`, '-o', 'TARGET'], { okExitCodes: [1] });
    const mount = r.stdout.split('\n').map((l) => l.replace(/\\x20/g, ' ')).find(Boolean);
    if (r.exitCode !== 0 || !mount) return { reachable: false, why: `the filesystem ${m[1]} is not mounted` };
    root = join(mount, m[2]!);
  } else {
    root = target;
  }
  if (!existsSync(root) || !statSync(root).isDirectory()) return { reachable: false, why: `${root} is not there (a disk not mounted?)` };
  return { reachable: true, dir: childInside(root, name, where), root, fs: localFs };
}

export interface TargetReport {
  readonly target: string;
  readonly state: 'done' | 'not-due' | 'unreachable' | 'failed' | 'would-run' | 'not-supported';
  readonly why?: string;
  readonly snapshot?: string;
  readonly base?: string;
  /** The newest complete snapshot now (after this run). */
  readonly last?: string;
  readonly lastAgeMs?: number;
  /** Retention: every complete snapshot's decision (kept or removed / would be removed) and why. */
  readonly retention?: readonly Decision[];
  readonly removed?: readonly string[];
  /** restic, borg: what the snapshot added to the repository (after deduplication). */
  readonly addedBytes?: number;
  /** btrfs: what this run sent (an outstanding snapshot first), each with its parent and the stream's bytes. */
  readonly sent?: readonly { readonly snapshot: string; readonly parent?: string; readonly bytes: number }[];
}

/** btrfs: the local snapshot directory, the snapshot this run took, its retention. */
export interface SourceReport {
  readonly dir: string;
  readonly snapshot?: string;
  readonly retention?: readonly Decision[];
  readonly removed?: readonly string[];
  /** What went wrong with the local retention (the snapshots it could not delete stay). */
  readonly note?: string;
}

export interface DatasetReport {
  readonly name: string;
  readonly kind: Dataset['kind'];
  readonly targets: readonly TargetReport[];
  readonly source?: SourceReport;
  readonly safeCopies: number;
  readonly minCopies: number;
}

export interface SyncOptions {
  readonly names: readonly string[];
  readonly dryRun: boolean;
  /** status only: look, write nothing, take no snapshot. */
  readonly statusOnly?: boolean;
  readonly now?: Date;
  readonly onLine?: (dataset: string, target: string, line: string) => void;
  /** The user's hooks: dataset.begin (a failure cancels that snapshot), dataset.snapshot, dataset.error, dataset.end. */
  readonly hooks?: HookRunner;
  /** Hook failures other than a cancelling dataset.begin: said, never fatal. */
  readonly warn?: (message: string) => void;
}

function selected(m: Manifest, names: readonly string[]): Dataset[] {
  const all = m.datasets ?? [];
  for (const n of names) if (!all.some((d) => d.name === n)) throw new UserError('USAGE', `no dataset ${JSON.stringify(n)} in the manifest (it declares: ${all.map((d) => d.name).join(', ') || 'none'})`);
  return names.length ? all.filter((d) => names.includes(d.name)) : all;
}

export async function syncDatasets(runner: MutatingRunner, m: Manifest, o: SyncOptions): Promise<DatasetReport[]> {
  const now = o.now ?? new Date();
  const out: DatasetReport[] = [];
  for (const d of selected(m, o.names)) {
    const i = (m.datasets ?? []).indexOf(d);
    const at = `datasets[${i}]`;
    const interval = d.interval ? parseDuration(d.interval, `${at}.interval`) : 0;
    const policy = d.retention ? { preserve: parsePreserve(d.retention.preserve, `${at}.retention.preserve`), minMs: d.retention.preserveMin ? parseDuration(d.retention.preserveMin, `${at}.retention.preserveMin`) : 0 } : undefined;
    const env = (target: string) => ({ SYSMANIFEST_DATASET: d.name, SYSMANIFEST_TARGET: target });
    const fire = async (target: string, event: 'dataset.snapshot' | 'dataset.error', doc: Record<string, unknown>): Promise<void> => {
      for (const f of (await o.hooks?.fire(event, { dataset: d.name, target, ...doc }, env(target))) ?? []) o.warn?.(`${event} hook ${f.hook} failed: ${f.message}`);
    };
    const begin = async (target: string, lastInfo: Record<string, unknown>): Promise<string | undefined> => {
      const cancel = (await o.hooks?.fire('dataset.begin', { dataset: d.name, target, ...lastInfo }, env(target))) ?? [];
      return cancel.length ? `cancelled: the dataset.begin hook ${cancel[0]!.hook} failed: ${cancel[0]!.message.replace(/\s*\n\s*/g, ' / ')}` : undefined;
    };
    let reports: TargetReport[] = [];
    let source: SourceReport | undefined;
    if (d.kind === 'btrfs') {
      const targets = [];
      for (const [j, target] of (d.targets ?? []).entries()) targets.push({ target, place: await placeOf(runner, target, d.name, `${at}.targets[${j}]`) });
      ({ targets: reports, source } = await syncBtrfs(runner, { d, targets, now, intervalMs: interval, ...(policy ? { policy } : {}), dryRun: o.dryRun, statusOnly: o.statusOnly === true, say: (t, l) => o.onLine?.(d.name, t, l), begin, fire }));
    }
    for (const [j, target] of (d.kind === 'btrfs' ? [] : (d.targets ?? [])).entries()) {
      const place = await placeOf(runner, target, d.name, `${at}.targets[${j}]`);
      if (!place.reachable) {
        reports.push({ target, state: 'unreachable', why: place.why });
        continue;
      }
      const engine = engineFor(runner, d, { ...place, target });
      if (!engine) {
        reports.push({ target, state: 'not-supported', why: `kind ${d.kind} to an ssh:// target is not written yet (rsync, restic and borg go over ssh)` });
        continue;
      }
      let before: EngineSnapshot[];
      try {
        before = await engine.list();
      } catch (e) {
        reports.push({ target, state: 'failed', why: messageWithHint(e) });
        continue;
      }
      const last = before.at(-1);
      const lastInfo = last ? { last: last.name, lastAgeMs: now.getTime() - last.time.getTime() } : {};
      const due = last === undefined || interval === 0 || now.getTime() - last.time.getTime() >= interval;
      if (o.statusOnly) {
        reports.push({ target, state: due ? 'would-run' : 'not-due', why: due ? (last ? `the last good snapshot is ${Math.round((now.getTime() - last.time.getTime()) / 60_000)} min old${interval ? `, interval ${d.interval}` : ''}` : 'no snapshot yet') : `the last good snapshot is younger than ${d.interval}`, ...lastInfo });
        continue;
      }
      if (!due) {
        reports.push({ target, state: 'not-due', why: `the last good snapshot ${last!.name} is younger than ${d.interval}`, ...lastInfo });
        continue;
      }
      if (o.dryRun) {
        const snapshots = [...before.map((s) => ({ id: s.name, time: s.time })), { id: '(the new snapshot)', time: now }];
        reports.push({ target, state: 'would-run', why: last ? (d.kind === 'rsync' ? `would snapshot, linked to ${last.name}` : `would snapshot (the last is ${last.name})`) : 'would take the first snapshot', ...lastInfo, ...(policy ? { retention: decide(snapshots, policy) } : {}) });
        continue;
      }
      const cancel = await begin(target, lastInfo);
      if (cancel !== undefined) {
        reports.push({ target, state: 'failed', why: cancel, ...lastInfo });
        continue;
      }
      try {
        const r = await engine.take(now, (l) => o.onLine?.(d.name, target, l));
        await fire(target, 'dataset.snapshot', { snapshot: r.snapshot, ...(r.base ? { base: r.base } : {}), ...(r.addedBytes !== undefined ? { addedBytes: r.addedBytes } : {}) });
        const after = await engine.list();
        let retention: Decision[] | undefined;
        const removed: string[] = [];
        if (policy && d.kind !== 'git-annex') {
          retention = decide(after.map((s) => ({ id: s.name, time: s.time })), policy);
          const gone = after.filter((s) => retention!.some((x) => x.id === s.name && !x.keep));
          for (const x of retention.filter((x) => !x.keep)) o.onLine?.(d.name, target, `retention: removing ${x.id} (${x.reasons.join('; ')})`);
          await engine.remove(gone);
          removed.push(...gone.map((s) => s.name));
        }
        reports.push({ target, state: 'done', snapshot: r.snapshot, ...(r.base ? { base: r.base } : {}), ...(r.note ? { why: r.note } : {}), ...(r.addedBytes !== undefined ? { addedBytes: r.addedBytes } : {}), last: r.snapshot, lastAgeMs: 0, ...(retention ? { retention, removed } : {}) });
      } catch (e) {
        reports.push({ target, state: 'failed', why: messageWithHint(e), ...lastInfo });
        await fire(target, 'dataset.error', { message: (e as Error).message });
      }
    }
    const safeCopies = reports.filter((r) => r.last !== undefined && r.state !== 'failed' && r.state !== 'unreachable').length;
    const report: DatasetReport = { name: d.name, kind: d.kind, targets: reports, ...(source ? { source } : {}), safeCopies, minCopies: d.minCopies ?? 1 };
    out.push(report);
    if (!o.dryRun && !o.statusOnly) for (const f of (await o.hooks?.fire('dataset.end', { dataset: d.name, report }, { SYSMANIFEST_DATASET: d.name })) ?? []) o.warn?.(`dataset.end hook ${f.hook} failed: ${f.message}`);
  }
  return out;
}

export interface RestoreOptions {
  readonly name: string;
  /** A snapshot name (YYYYMMDDTHHMMSSZ); default: the newest complete one. */
  readonly snapshot?: string;
  /** Where the dataset's files go: an absent or empty directory (never over existing files). */
  readonly to: string;
  /** btrfs: where the snapshot is received (default: the dataset's snapshot directory when TO is its path, else beside TO). */
  readonly snapshotDir?: string;
  readonly onLine?: (line: string) => void;
}

/** The directory a restore into an existing TO writes first (moved up when complete). */
const INSIDE_PARTIAL = '.sysmanifest-partial';

export interface RestoreResult {
  readonly target: string;
  readonly snapshot: string;
  readonly to: string;
  /** Against the manifest's `expect` (absent when the manifest has none). */
  readonly verified?: { readonly files: number; readonly bytes: number; readonly listingSha256: string };
}

/**
 * A dataset back from the first reachable target that holds the snapshot, written beside or
 * inside TO and put in place only when complete (see below; btrfs: a subvolume made at TO), then
 * checked against the manifest's `expect` (file count, bytes, listing hash). Owners, modes,
 * times, hard links and xattrs come back as they were (git-annex: content only).
 */
export async function restoreDataset(runner: MutatingRunner, m: Manifest, o: RestoreOptions): Promise<RestoreResult> {
  const [d] = selected(m, [o.name]);
  const i = (m.datasets ?? []).indexOf(d!);
  if (d!.kind === 'git-annex' && o.snapshot !== undefined) throw new UserError('USAGE', `--snapshot: kind git-annex keeps its history in git, not in snapshots`, { hint: 'restore, then git checkout the commit you want (git annex get for its content)' });
  // TO may exist as an empty directory (a mount point of its own filesystem keeps its lost+found),
  // or hold what a restore that was cut off left in it (INSIDE_PARTIAL and what it had moved up).
  const present = existsSync(o.to) ? (statSync(o.to).isDirectory() ? await readdir(o.to) : undefined) : [];
  const resumed = present?.includes(INSIDE_PARTIAL) === true;
  if (present === undefined || (!resumed && present.some((e) => e !== 'lost+found'))) throw new UserError('REFUSED', `${o.to} is not an empty directory: a restore never writes over files`, { hint: 'give --to a new or empty directory' });
  if (o.snapshot !== undefined && snapshotTime(o.snapshot) === undefined) throw new UserError('USAGE', `--snapshot ${o.snapshot}: not a snapshot name (YYYYMMDDTHHMMSSZ, as datasets status shows)`);
  const tried: string[] = [];
  for (const [j, target] of (d!.targets ?? []).entries()) {
    const place = await placeOf(runner, target, d!.name, `datasets[${i}].targets[${j}]`);
    if (!place.reachable) {
      tried.push(`${target}: ${place.why}`);
      continue;
    }
    const engine = engineFor(runner, d!, { ...place, target });
    if (place.ssh && (d!.kind === 'btrfs' || d!.kind === 'git-annex')) {
      tried.push(`${target}: kind ${d!.kind} from an ssh:// target is not written yet`);
      continue;
    }
    let snaps: { name: string }[];
    try {
      snaps = d!.kind === 'btrfs' ? (await listSnapshots(runner, place.dir, true)).complete : await engine!.list();
    } catch (e) {
      tried.push(`${target}: ${(e as Error).message}`);
      continue;
    }
    const snap = o.snapshot ?? snaps.at(-1)?.name;
    if (snap === undefined || !snaps.some((s) => s.name === snap)) {
      tried.push(`${target}: ${o.snapshot ? `no snapshot ${o.snapshot}` : 'no complete snapshot'}`);
      continue;
    }
    if (d!.kind === 'btrfs') {
      // Received back into the snapshot directory of where it goes (the dataset's own when TO is
      // its path): a local snapshot the target knows by its Received UUID, so the next sync sends
      // incrementally against it; the ledger says so, and local retention keeps it.
      const snapDir = o.snapshotDir ?? (o.to.replace(/\/+$/, '') === d!.path.replace(/\/+$/, '') ? snapshotDirOf(d!.path, d!.name, d!.snapshotDir) : snapshotDirOf(o.to, d!.name));
      if (existsSync(o.to) && statSync(o.to).dev !== statSync(dirname(o.to)).dev) throw new UserError('REFUSED', `${o.to} is a mount point: kind btrfs restores a dataset as a subvolume made there`, { hint: 'unmount it (the dataset becomes a subvolume of the filesystem above), or restore with --to elsewhere' });
      await restoreBtrfs(runner, { targetDir: place.dir, snapshot: snap, snapDir, to: o.to, ...(o.onLine ? { onLine: o.onLine } : {}) });
      const ledger = await readLedger(snapDir);
      await writeLedger(snapDir, { format: 1, targets: { ...ledger.targets, [target]: { ...ledger.targets[target], last: snap } } });
      return verifyRestore(d!, { target, snapshot: snap, to: o.to });
    }
    // TO absent: into TO.sysmanifest-partial, renamed to TO when complete. TO present (a mount
    // point, an empty directory): into TO/.sysmanifest-partial (the same filesystem), whose entries
    // and root metadata are moved up when complete. A failed restore leaves nothing in TO.
    const inside = existsSync(o.to);
    const partial = inside ? join(o.to, INSIDE_PARTIAL) : `${o.to.replace(/\/+$/, '')}.sysmanifest-partial`;
    if (resumed) for (const e of present!) if (e !== 'lost+found') await rm(join(o.to, e), { recursive: true, force: true });
    await mkdir(dirname(partial), { recursive: true });
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial);
    try {
      await engine!.restore(snaps.find((s) => s.name === snap) as EngineSnapshot, partial, (l) => o.onLine?.(l));
    } catch (e) {
      await rm(partial, { recursive: true, force: true });
      throw new UserError('COMMAND_FAILED', `${(e as Error).message}\n(nothing was left in ${o.to})`);
    }
    if (inside) {
      for (const e of await readdir(partial)) await rename(join(partial, e), join(o.to, e));
      const st = await lstat(partial);
      await chown(o.to, st.uid, st.gid);
      await chmod(o.to, st.mode & 0o7777);
      await rmdir(partial);
      await utimes(o.to, st.atime, st.mtime);
    } else await rename(partial, o.to);
    return verifyRestore(d!, { target, snapshot: snap, to: o.to });
  }
  throw new UserError('DEVICE', `${d!.name}: no reachable target holds ${o.snapshot ?? 'a complete snapshot'} (${tried.join('; ') || 'no targets declared'})`);
}

/** The restored tree against the manifest's `expect` (file count, bytes, listing hash). */
async function verifyRestore(d: Dataset, result: RestoreResult): Promise<RestoreResult> {
  if (!d.expect) return result;
  // As capture computes it (providers/system/datasets/capture.ts): a git-annex repository's own .git left out.
  const got = await computeExpect(result.to, { ...(d.include ? { include: d.include } : {}), ...(d.exclude ? { exclude: d.exclude } : {}), skipTopGit: d.kind === 'git-annex' });
  const diff = (['files', 'bytes', 'listingSha256'] as const).filter((k) => got[k] !== d.expect![k]);
  if (diff.length) throw new UserError('REFUSED', `${result.to}: restored from ${result.target} ${result.snapshot}, but it is not what the manifest expects: ${diff.map((k) => `${k} ${String(got[k])}, expected ${String(d.expect![k])}`).join('; ')}`, { hint: 'an older or newer snapshot may match (--snapshot); the files stay in place to look at' });
  return { ...result, verified: got };
}
