// `datasets sync` for kind btrfs (issue 14): one read-only snapshot per run, sent to every
// reachable target that is due or has an outstanding transfer, incremental against the newest
// parent both sides hold; then each side's retention. See btrfs.ts for the parts.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { messageWithHint, UserError } from '../../core/errors.ts';
import type { Dataset } from '../../core/manifest/types.gen.ts';
import { decide, type Decision, type RetentionPolicy } from '../../core/retention.ts';
import type { MutatingRunner } from '../../core/runner/types.ts';
import { commonParent, deleteSubvolume, ledgerParents, listSnapshots, readLedger, sendReceive, snapshotDirOf, subvolume, takeSnapshot, writeLedger, type BtrfsSnapshot, type Ledger, type LedgerEntry } from './btrfs.ts';
import { snapshotTime, takeLock } from './rsync.ts';
import type { SourceReport, TargetPlace, TargetReport } from './sync.ts';

export interface BtrfsRun {
  readonly d: Dataset;
  readonly targets: readonly { readonly target: string; readonly place: TargetPlace }[];
  readonly now: Date;
  readonly intervalMs: number;
  readonly policy?: RetentionPolicy;
  readonly dryRun: boolean;
  readonly statusOnly: boolean;
  readonly say: (target: string, line: string) => void;
  /** dataset.begin: a message when a hook cancels this target's transfer. */
  readonly begin: (target: string, last: Record<string, unknown>) => Promise<string | undefined>;
  readonly fire: (target: string, event: 'dataset.snapshot' | 'dataset.error', doc: Record<string, unknown>) => Promise<void>;
}

const ageOf = (now: Date, name: string | undefined): Record<string, unknown> => {
  const t = name ? snapshotTime(name) : undefined;
  return name && t ? { last: name, lastAgeMs: now.getTime() - t.getTime() } : {};
};

export async function syncBtrfs(runner: MutatingRunner, r: BtrfsRun): Promise<{ targets: TargetReport[]; source: SourceReport }> {
  const { d, now } = r;
  const snapDir = snapshotDirOf(d.path, d.name, d.snapshotDir);
  const ledger: { targets: Record<string, LedgerEntry> } = { targets: { ...(await readLedger(snapDir)).targets } };
  let local = (await listSnapshots(runner, snapDir, false)).complete;
  const reports = new Map<string, TargetReport>();
  const reachable: { target: string; dir: string; complete: BtrfsSnapshot[]; garbled: string[]; due: boolean }[] = [];
  for (const { target, place } of r.targets) {
    if (place.reachable && place.ssh) {
      reports.set(target, { target, state: 'not-supported', why: 'kind btrfs to an ssh:// target is not written yet (btrfs send | ssh … btrfs receive)' });
      continue;
    }
    if (!place.reachable) {
      const e = ledger.targets[target];
      reports.set(target, { target, state: 'unreachable', why: `${place.why}${e?.outstanding ? `; outstanding: ${e.outstanding.snapshot}` : ''}`, ...ageOf(now, e?.last) });
      continue;
    }
    const listing = await listSnapshots(runner, place.dir, true);
    const last = listing.complete.at(-1);
    const due = last === undefined || r.intervalMs === 0 || now.getTime() - last.time.getTime() >= r.intervalMs;
    reachable.push({ target, dir: place.dir, ...listing, due });
  }
  const outstandingOf = (t: string): BtrfsSnapshot | undefined => {
    const o = ledger.targets[t]?.outstanding;
    return o ? local.find((s) => s.name === o.snapshot) : undefined;
  };
  const needsSnapshot = reachable.some((t) => t.due);
  const source: { dir: string; snapshot?: string; retention?: Decision[]; removed?: string[]; note?: string } = { dir: snapDir };

  if (r.statusOnly || r.dryRun) {
    for (const t of reachable) {
      const last = t.complete.at(-1);
      const out = outstandingOf(t.target);
      const parent = commonParent(local, t.complete);
      const work = [
        ...(t.garbled.length ? [`would delete ${t.garbled.length} half-received subvolume(s): ${t.garbled.join(', ')}`] : []),
        ...(out && !t.complete.some((c) => c.name === out.name) ? [`outstanding ${out.name} would be sent first`] : []),
        ...(t.due ? [parent ? `would send a new snapshot incrementally against ${parent.name}` : 'would send a new snapshot in full (no common parent)'] : []),
      ];
      const state = work.length ? 'would-run' : 'not-due';
      const why = work.length ? `${work.join('; ')}${last && r.intervalMs ? ` (the last good snapshot is ${Math.round((now.getTime() - last.time.getTime()) / 60_000)} min old, interval ${d.interval})` : ''}` : `the last good snapshot is younger than ${d.interval}`;
      const retention = r.dryRun && r.policy ? decide([...t.complete.map((s) => ({ id: s.name, time: s.time })), ...(t.due ? [{ id: '(the new snapshot)', time: now }] : [])], r.policy) : undefined;
      reports.set(t.target, { target: t.target, state, why, ...ageOf(now, last?.name), ...(retention ? { retention } : {}) });
    }
    if (r.dryRun && r.policy) source.retention = decide([...local.map((s) => ({ id: s.name, time: s.time })), ...(needsSnapshot ? [{ id: '(the new snapshot)', time: now }] : [])], r.policy, ledgerParents({ format: 1, targets: ledger.targets }));
    return { targets: r.targets.map((t) => reports.get(t.target)!), source };
  }

  await mkdir(snapDir, { recursive: true });
  const release = await takeLock(snapDir, (l) => r.say('(local)', l));
  const save = (): Promise<void> => writeLedger(snapDir, { format: 1, targets: ledger.targets } satisfies Ledger);
  try {
    let fresh: BtrfsSnapshot | undefined;
    // A snapshot that cannot be taken (not a subvolume, snapshotDir on another filesystem) fails
    // the targets that were due, in words; outstanding transfers to the others still go.
    let snapshotError: string | undefined;
    if (needsSnapshot) {
      try {
        const name = await takeSnapshot(runner, d.path, snapDir, now);
        // One `subvolume show` of the new snapshot, not a listing of all of them again.
        const info = await subvolume(runner, join(snapDir, name));
        if (!info?.readonly) throw new UserError('COMMAND_FAILED', `${join(snapDir, name)}: btrfs made no read-only snapshot`);
        fresh = { name, time: snapshotTime(name)!, ...info };
        local = [...local, fresh];
        source.snapshot = name;
        r.say('(local)', `snapshot ${join(snapDir, name)}`);
      } catch (e) {
        snapshotError = messageWithHint(e);
      }
    }
    for (const t of reachable) {
      const before = t.complete.at(-1)?.name;
      if (t.due && snapshotError !== undefined) {
        reports.set(t.target, { target: t.target, state: 'failed', why: snapshotError, ...ageOf(now, before) });
        await r.fire(t.target, 'dataset.error', { message: snapshotError });
        continue;
      }
      const queue = [outstandingOf(t.target), t.due ? fresh : undefined]
        .filter((s): s is BtrfsSnapshot => s !== undefined && !t.complete.some((c) => c.name === s.name))
        .filter((s, i, all) => all.findIndex((x) => x.name === s.name) === i)
        .sort((a, b) => a.time.getTime() - b.time.getTime());
      if (queue.length === 0) {
        ledger.targets[t.target] = { ...ledger.targets[t.target], ...lastEntry(local, t.complete) };
        reports.set(t.target, { target: t.target, state: 'not-due', why: `the last good snapshot ${before} is younger than ${d.interval}`, ...ageOf(now, before) });
        continue;
      }
      const cancel = await r.begin(t.target, ageOf(now, before));
      if (cancel !== undefined) {
        ledger.targets[t.target] = { ...lastEntry(local, t.complete), outstanding: { snapshot: queue.at(-1)!.name, since: now.toISOString(), why: cancel } };
        reports.set(t.target, { target: t.target, state: 'failed', why: cancel, ...ageOf(now, before) });
        continue;
      }
      const sent: { snapshot: string; parent?: string; bytes: number }[] = [];
      try {
        for (const g of t.garbled) {
          r.say(t.target, `deleting ${g}: a receive that did not finish (writable, no Received UUID)`);
          await deleteSubvolume(runner, join(t.dir, g));
        }
        for (const s of queue) {
          const parent = commonParent(local, t.complete, s.time);
          ledger.targets[t.target] = { ...lastEntry(local, t.complete), outstanding: { snapshot: s.name, since: ledger.targets[t.target]?.outstanding?.since ?? now.toISOString(), why: 'in progress' } };
          await save();
          r.say(t.target, parent ? `sending ${s.name} incrementally against ${parent.name}` : `sending ${s.name} in full (no common parent)`);
          const res = await sendReceive(runner, { snapDir, snapshot: s.name, ...(parent ? { parent: parent.name } : {}), to: t.dir, onLine: (l) => r.say(t.target, l) });
          sent.push({ snapshot: s.name, ...(parent ? { parent: parent.name } : {}), bytes: res.bytes });
          const got = await subvolume(runner, join(t.dir, s.name));
          if (!got?.readonly || !got.receivedUuid) throw new UserError('COMMAND_FAILED', `${join(t.dir, s.name)}: btrfs receive ended without a complete read-only copy (the next run deletes it and sends again)`);
          t.complete = [...t.complete, { name: s.name, time: s.time, ...got }].sort((a, b) => a.time.getTime() - b.time.getTime());
          ledger.targets[t.target] = lastEntry(local, t.complete);
          await save();
          await r.fire(t.target, 'dataset.snapshot', { snapshot: s.name, ...(parent ? { base: parent.name } : {}), bytes: res.bytes });
        }
      } catch (e) {
        const message = messageWithHint(e);
        const o = ledger.targets[t.target]?.outstanding;
        if (o) ledger.targets[t.target] = { ...ledger.targets[t.target], outstanding: { ...o, why: message } };
        await save();
        reports.set(t.target, { target: t.target, state: 'failed', why: `${message}${o ? ` (outstanding: ${o.snapshot}; the next run sends it)` : ''}`, ...ageOf(now, t.complete.at(-1)?.name), ...(sent.length ? { sent } : {}) });
        await r.fire(t.target, 'dataset.error', { message });
        continue;
      }
      let retention: Decision[] | undefined;
      const removed: string[] = [];
      let retentionError: string | undefined;
      if (r.policy) {
        retention = decide(t.complete.map((s) => ({ id: s.name, time: s.time })), r.policy);
        retentionError = await removeAll(runner, t.dir, retention, removed, (l) => r.say(t.target, l));
      }
      const last = sent.at(-1)!;
      reports.set(t.target, { target: t.target, state: 'done', snapshot: last.snapshot, ...(last.parent ? { base: last.parent } : {}), sent, ...ageOf(now, last.snapshot), ...(retention ? { retention, removed } : {}), ...(retentionError ? { why: retentionError } : {}) });
    }
    // A target that was not reached this run is owed the new snapshot (a newer one supersedes an
    // older outstanding one: it carries every change since their common parent).
    if (fresh) {
      for (const { target, place } of r.targets) {
        if (place.reachable) continue;
        ledger.targets[target] = { ...ledger.targets[target], outstanding: { snapshot: fresh.name, since: ledger.targets[target]?.outstanding?.since ?? now.toISOString(), why: place.why } };
        reports.set(target, { ...reports.get(target)!, why: `${place.why}; outstanding: ${fresh.name}` });
      }
    }
    await save();
    if (r.policy) {
      source.retention = decide(local.map((s) => ({ id: s.name, time: s.time })), r.policy, ledgerParents({ format: 1, targets: ledger.targets }));
      source.removed = [];
      const error = await removeAll(runner, snapDir, source.retention, source.removed, (l) => r.say('(local)', l));
      if (error) source.note = error;
    }
  } finally {
    await release();
  }
  return { targets: r.targets.map((t) => reports.get(t.target)!), source };
}

/** Deletes the snapshots in DIR a retention does not keep; a deletion that fails stops it and is returned in words (the snapshots stay: nothing is lost). */
async function removeAll(runner: MutatingRunner, dir: string, decisions: readonly Decision[], removed: string[], say: (l: string) => void): Promise<string | undefined> {
  for (const x of decisions.filter((x) => !x.keep)) {
    say(`retention: removing ${x.id} (${x.reasons.join('; ')})`);
    try {
      await deleteSubvolume(runner, join(dir, x.id));
    } catch (e) {
      return `retention stopped: ${messageWithHint(e)}`;
    }
    removed.push(x.id);
  }
  return undefined;
}

/** The ledger's view of a reachable target: the newest local snapshot it holds. */
function lastEntry(local: readonly BtrfsSnapshot[], target: readonly BtrfsSnapshot[]): LedgerEntry {
  const p = commonParent(local, target);
  return p ? { last: p.name } : {};
}
