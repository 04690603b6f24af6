// `datasets sync` and `datasets status` (issue 14), over the manifest's declarations.
// A target that cannot be reached (a path that is not there, a filesystem UUID that is not
// mounted) is skipped and reported; it never fails the others. Only datasets that are due run:
// the last complete snapshot on a target older than the interval (or no interval). After a
// snapshot, the target's retention is applied (core/retention.ts); --dry-run only says what
// would be done and why. Kinds other than rsync, and ssh:// targets, are named as not done yet.
import { existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { childInside } from '../../core/confine/index.ts';
import type { Dataset, Manifest } from '../../core/manifest/types.gen.ts';
import { decide, parseDuration, parsePreserve, type Decision } from '../../core/retention.ts';
import type { MutatingRunner, ReadOnlyRunner } from '../../core/runner/types.ts';
import { completeSnapshots, rsyncSnapshot } from './rsync.ts';

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
      try {
        const r = await rsyncSnapshot(runner, { source: d.path, dir: place.dir, now, onLine: (l) => o.onLine?.(d.name, target, l) });
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
      }
    }
    const safeCopies = reports.filter((r) => r.last !== undefined && r.state !== 'failed' && r.state !== 'unreachable').length;
    out.push({ name: d.name, kind: d.kind, targets: reports, safeCopies, minCopies: d.minCopies ?? 1 });
  }
  return out;
}
