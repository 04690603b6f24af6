// `datasets sync` and `datasets status` (issue 14), over the manifest's declarations.
// A target that cannot be reached (a path that is not there, a filesystem UUID that is not
// mounted) is skipped and reported; it never fails the others. Only datasets that are due run:
// the last complete snapshot on a target older than the interval (or no interval). After a
// snapshot, the target's retention is applied (core/retention.ts); --dry-run only says what
// would be done and why. Kinds other than rsync, and ssh:// targets, are named as not done yet.
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { childInside } from '../../core/confine/index.ts';
import type { Dataset, Manifest } from '../../core/manifest/types.gen.ts';
import { decide, parseDuration, parsePreserve, type Decision } from '../../core/retention.ts';
import { ANY_EXIT_CODE, type MutatingRunner, type ReadOnlyRunner } from '../../core/runner/types.ts';
import { computeExpect } from '../../providers/system/datasets/expect.ts';
import { completeSnapshots, rsyncSnapshot, snapshotTime } from './rsync.ts';
import type { HookRunner } from '../versioning/hooks.ts';

export type TargetPlace = { readonly reachable: true; readonly dir: string } | { readonly reachable: false; readonly why: string };

/** Where TARGET/NAME is on this machine, or why it cannot be reached now. */
export async function placeOf(runner: ReadOnlyRunner, target: string, name: string, where: string): Promise<TargetPlace> {
  if (target.startsWith('ssh://')) return { reachable: false, why: 'ssh:// targets are not written yet' };
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
  return { reachable: true, dir: childInside(root, name, where) };
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
}

export interface DatasetReport {
  readonly name: string;
  readonly kind: Dataset['kind'];
  readonly targets: readonly TargetReport[];
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
    const reports: TargetReport[] = [];
    for (const [j, target] of (d.targets ?? []).entries()) {
      const place = await placeOf(runner, target, d.name, `${at}.targets[${j}]`);
      if (!place.reachable) {
        reports.push({ target, state: 'unreachable', why: place.why });
        continue;
      }
      const before = await completeSnapshots(place.dir);
      const last = before.at(-1);
      const lastInfo = last ? { last: last.name, lastAgeMs: now.getTime() - last.time.getTime() } : {};
      if (d.kind !== 'rsync') {
        reports.push({ target, state: 'not-supported', why: `kind ${d.kind}: not synced yet (only rsync)`, ...lastInfo });
        continue;
      }
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
        reports.push({ target, state: 'would-run', why: last ? `would snapshot, linked to ${last.name}` : 'would take the first snapshot', ...lastInfo, ...(policy ? { retention: decide(snapshots, policy) } : {}) });
        continue;
      }
      const env = { SYSMANIFEST_DATASET: d.name, SYSMANIFEST_TARGET: target };
      const fire = async (event: 'dataset.snapshot' | 'dataset.error', doc: Record<string, unknown>): Promise<void> => {
        for (const f of (await o.hooks?.fire(event, { dataset: d.name, target, ...doc }, env)) ?? []) o.warn?.(`${event} hook ${f.hook} failed: ${f.message}`);
      };
      const cancel = (await o.hooks?.fire('dataset.begin', { dataset: d.name, target, ...lastInfo }, env)) ?? [];
      if (cancel.length) {
        reports.push({ target, state: 'failed', why: `cancelled: the dataset.begin hook ${cancel[0]!.hook} failed: ${cancel[0]!.message.replace(/\s*\n\s*/g, ' / ')}`, ...lastInfo });
        continue;
      }
      try {
        const r = await rsyncSnapshot(runner, { source: d.path, dir: place.dir, now, onLine: (l) => o.onLine?.(d.name, target, l) });
        await fire('dataset.snapshot', { snapshot: r.snapshot, ...(r.base ? { base: r.base } : {}) });
        const after = await completeSnapshots(place.dir);
        let retention: Decision[] | undefined;
        const removed: string[] = [];
        if (policy) {
          retention = decide(after.map((s) => ({ id: s.name, time: s.time })), policy);
          for (const x of retention.filter((x) => !x.keep)) {
            o.onLine?.(d.name, target, `retention: removing ${x.id} (${x.reasons.join('; ')})`);
            await rm(join(place.dir, x.id), { recursive: true, force: true });
            removed.push(x.id);
          }
        }
        reports.push({ target, state: 'done', snapshot: r.snapshot, ...(r.base ? { base: r.base } : {}), ...(r.vanished ? { why: 'some files vanished while they were read (rsync exit 24)' } : {}), last: r.snapshot, lastAgeMs: 0, ...(retention ? { retention, removed } : {}) });
      } catch (e) {
        reports.push({ target, state: 'failed', why: (e as Error).message, ...lastInfo });
        await fire('dataset.error', { message: (e as Error).message });
      }
    }
    const safeCopies = reports.filter((r) => r.last !== undefined && r.state !== 'failed' && r.state !== 'unreachable').length;
    const report: DatasetReport = { name: d.name, kind: d.kind, targets: reports, safeCopies, minCopies: d.minCopies ?? 1 };
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
  readonly onLine?: (line: string) => void;
}

export interface RestoreResult {
  readonly target: string;
  readonly snapshot: string;
  readonly to: string;
  /** Against the manifest's `expect` (absent when the manifest has none). */
  readonly verified?: { readonly files: number; readonly bytes: number; readonly listingSha256: string };
}

/**
 * A dataset back from the first reachable target that holds the snapshot: copied into TO.partial
 * and renamed to TO when complete; then checked against the manifest's `expect` (file count,
 * bytes, listing hash). Owners, modes, times, hard links and xattrs come back as they were.
 */
export async function restoreDataset(runner: MutatingRunner, m: Manifest, o: RestoreOptions): Promise<RestoreResult> {
  const [d] = selected(m, [o.name]);
  const i = (m.datasets ?? []).indexOf(d!);
  if (d!.kind !== 'rsync') throw new UserError('REFUSED', `datasets[${i}] (${d!.name}): kind ${d!.kind} cannot be restored yet (only rsync)`);
  if (existsSync(o.to) && (!statSync(o.to).isDirectory() || (await readdir(o.to)).length > 0)) throw new UserError('REFUSED', `${o.to} is not an empty directory: a restore never writes over files`, { hint: 'give --to a new or empty directory' });
  if (o.snapshot !== undefined && snapshotTime(o.snapshot) === undefined) throw new UserError('USAGE', `--snapshot ${o.snapshot}: not a snapshot name (YYYYMMDDTHHMMSSZ, as datasets status shows)`);
  const tried: string[] = [];
  for (const [j, target] of (d!.targets ?? []).entries()) {
    const place = await placeOf(runner, target, d!.name, `datasets[${i}].targets[${j}]`);
    if (!place.reachable) {
      tried.push(`${target}: ${place.why}`);
      continue;
    }
    const snaps = await completeSnapshots(place.dir);
    const snap = o.snapshot ?? snaps.at(-1)?.name;
    if (snap === undefined || !snaps.some((s) => s.name === snap)) {
      tried.push(`${target}: ${o.snapshot ? `no snapshot ${o.snapshot}` : 'no complete snapshot'}`);
      continue;
    }
    const partial = `${o.to.replace(/\/+$/, '')}.sysmanifest-partial`;
    await mkdir(dirname(partial), { recursive: true });
    await rm(partial, { recursive: true, force: true });
    const r = await runner.mutate(['rsync', '-aHAX', '--numeric-ids', '--info=progress2', `${join(place.dir, snap)}/`, `${partial}/`], { okExitCodes: ANY_EXIT_CODE, processGroup: true, onLine: (l) => o.onLine?.(l.trimEnd()) });
    if (r.exitCode !== 0) {
      await rm(partial, { recursive: true, force: true });
      throw new UserError('COMMAND_FAILED', `rsync from ${join(place.dir, snap)} failed (exit ${r.exitCode}); nothing was left in ${o.to}:\n${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
    }
    if (existsSync(o.to)) await rmdir(o.to); // empty (checked above)
    await rename(partial, o.to);
    const result = { target, snapshot: snap, to: o.to };
    if (!d!.expect) return result;
    const got = await computeExpect(o.to, { ...(d!.include ? { include: d!.include } : {}), ...(d!.exclude ? { exclude: d!.exclude } : {}) });
    const diff = (['files', 'bytes', 'listingSha256'] as const).filter((k) => got[k] !== d!.expect![k]);
    if (diff.length) throw new UserError('REFUSED', `${o.to}: restored from ${target} ${snap}, but it is not what the manifest expects: ${diff.map((k) => `${k} ${String(got[k])}, expected ${String(d!.expect![k])}`).join('; ')}`, { hint: 'an older or newer snapshot may match (--snapshot); the files stay in place to look at' });
    return { ...result, verified: got };
  }
  throw new UserError('DEVICE', `${d!.name}: no reachable target holds ${o.snapshot ?? 'a complete snapshot'} (${tried.join('; ') || 'no targets declared'})`);
}
