// Retention of dataset snapshots (issue 14): btrbk's notation, restic's calendar semantics.
//   preserve: "24h 7d 4w 12m 5y"   keep the newest snapshot of each of the last 24 hours, 7 days,
//                                  4 ISO weeks, 12 months and 5 years THAT HAVE A SNAPSHOT (restic's
//                                  --keep-hourly … : buckets are counted only where a snapshot is,
//                                  so a machine that was off for a month loses nothing to the gap);
//                                  `all` keeps every snapshot of that unit ("*d"); `0d` / absent none.
//   preserveMin: "2d"              keep every snapshot taken within 2 days before the NEWEST complete
//                                  snapshot (restic's --keep-within: measured from the newest, never
//                                  from the clock, so backups that stopped do not age history away).
// Whatever the policy, never deleted: the newest complete snapshot, and a snapshot an outstanding
// transfer needs as its parent. Incomplete snapshots are not this module's business (a sync
// removes its own partial work); nothing is ever chosen by free space. Calendar buckets are UTC.
// Pure: it decides, it deletes nothing; every decision carries its reasons (for --dry-run).
import { UserError } from './errors.ts';

export const UNITS = ['h', 'd', 'w', 'm', 'y'] as const;
export type Unit = (typeof UNITS)[number];
const UNIT_NAME: Record<Unit, string> = { h: 'hourly', d: 'daily', w: 'weekly', m: 'monthly', y: 'yearly' };

export interface Preserve {
  /** How many buckets of each unit keep their newest snapshot; Infinity for `*` (all). */
  readonly counts: Readonly<Record<Unit, number>>;
}

export interface RetentionPolicy {
  readonly preserve: Preserve;
  /** Everything within this many ms before the newest complete snapshot is kept. */
  readonly minMs: number;
}

const MS: Record<'s' | 'min' | 'h' | 'd' | 'w', number> = { s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** "24h 7d 4w 12m 5y" (any subset, any order, each unit once; N or * before each unit). `where` names the manifest path in errors. */
export function parsePreserve(text: string, where: string): Preserve {
  const counts: Record<Unit, number> = { h: 0, d: 0, w: 0, m: 0, y: 0 };
  const seen = new Set<Unit>();
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new UserError('MANIFEST_RULE', `${where}: empty; write e.g. "24h 7d 4w 12m 5y" (hourly, daily, weekly, monthly, yearly)`);
  for (const w of words) {
    const m = /^(\d{1,6}|\*)([hdwmy])$/.exec(w);
    if (!m) throw new UserError('MANIFEST_RULE', `${where}: ${JSON.stringify(w)} is not N or * followed by h, d, w, m or y (e.g. "24h 7d 4w 12m 5y")`);
    const unit = m[2] as Unit;
    if (seen.has(unit)) throw new UserError('MANIFEST_RULE', `${where}: ${UNIT_NAME[unit]} (${unit}) given twice`);
    seen.add(unit);
    counts[unit] = m[1] === '*' ? Infinity : Number(m[1]);
  }
  return { counts };
}

/** "2d", "36h", "90min", "1w" → ms (preserveMin, interval). Months and years have no fixed length: refused. */
export function parseDuration(text: string, where: string): number {
  const m = /^(\d{1,9})(s|min|h|d|w)$/.exec(text.trim());
  if (!m) throw new UserError('MANIFEST_RULE', `${where}: ${JSON.stringify(text)} is not a duration like 10min, 1h, 2d or 1w (s, min, h, d, w)`);
  return Number(m[1]) * MS[m[2] as keyof typeof MS];
}

/** The calendar bucket a time falls in, per unit (UTC; weeks are ISO weeks, Monday first, in their ISO year). */
export function bucket(t: Date, unit: Unit): string {
  const y = t.getUTCFullYear();
  const mo = String(t.getUTCMonth() + 1).padStart(2, '0');
  const d = String(t.getUTCDate()).padStart(2, '0');
  switch (unit) {
    case 'h':
      return `${y}-${mo}-${d}T${String(t.getUTCHours()).padStart(2, '0')}`;
    case 'd':
      return `${y}-${mo}-${d}`;
    case 'm':
      return `${y}-${mo}`;
    case 'y':
      return String(y);
    case 'w': {
      // ISO 8601: the week with the year's first Thursday is week 1.
      const day = new Date(Date.UTC(y, t.getUTCMonth(), t.getUTCDate()));
      const dow = day.getUTCDay() || 7;
      day.setUTCDate(day.getUTCDate() + 4 - dow); // the Thursday of this week
      const isoYear = day.getUTCFullYear();
      const week = Math.ceil(((day.getTime() - Date.UTC(isoYear, 0, 1)) / MS.d + 1) / 7);
      return `${isoYear}-W${String(week).padStart(2, '0')}`;
    }
  }
}

export interface Snapshot {
  readonly id: string;
  readonly time: Date;
}

export interface Decision {
  readonly id: string;
  readonly time: Date;
  readonly keep: boolean;
  /** Why it is kept (every rule that keeps it), or why it would go. */
  readonly reasons: readonly string[];
}

/**
 * Which complete snapshots a policy keeps, newest first, each with its reasons. `parents` maps a
 * snapshot id to why targets still need it (the parent of a target's next send, a snapshot not yet sent).
 */
export function decide(snapshots: readonly Snapshot[], policy: RetentionPolicy, parents: ReadonlyMap<string, readonly string[]> = new Map()): Decision[] {
  const ids = new Set<string>();
  for (const s of snapshots) {
    if (ids.has(s.id)) throw new Error(`retention: snapshot ${s.id} listed twice`);
    if (Number.isNaN(s.time.getTime())) throw new Error(`retention: snapshot ${s.id} has no valid time`);
    ids.add(s.id);
  }
  // Newest first; equal times by id, so the order (and the choice in a bucket) is stable.
  const sorted = [...snapshots].sort((a, b) => b.time.getTime() - a.time.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const reasons = new Map<string, string[]>(sorted.map((s) => [s.id, []]));
  const newest = sorted[0];
  if (newest) reasons.get(newest.id)!.push('the newest complete snapshot');
  if (newest && policy.minMs > 0) {
    for (const s of sorted) if (newest.time.getTime() - s.time.getTime() <= policy.minMs) reasons.get(s.id)!.push(`within preserveMin of the newest (${formatMs(newest.time.getTime() - s.time.getTime())} older)`);
  }
  for (const unit of UNITS) {
    const n = policy.preserve.counts[unit];
    if (n <= 0) continue;
    const taken = new Set<string>();
    for (const s of sorted) {
      if (taken.size >= n) break;
      const b = bucket(s.time, unit);
      if (taken.has(b)) continue; // the newest of this bucket was already kept
      taken.add(b);
      reasons.get(s.id)!.push(`${UNIT_NAME[unit]} ${taken.size}${Number.isFinite(n) ? ` of ${n}` : ''} (${b})`);
    }
  }
  for (const [id, targets] of parents) if (reasons.has(id) && targets.length) reasons.get(id)!.push(`needed by ${targets.join('; ')}`);
  return sorted.map((s) => {
    const r = reasons.get(s.id)!;
    return r.length ? { id: s.id, time: s.time, keep: true, reasons: r } : { id: s.id, time: s.time, keep: false, reasons: ['no rule of the policy keeps it'] };
  });
}

function formatMs(ms: number): string {
  if (ms % MS.d === 0) return `${ms / MS.d} d`;
  if (ms % MS.h === 0) return `${ms / MS.h} h`;
  return `${Math.round(ms / MS.min)} min`;
}
