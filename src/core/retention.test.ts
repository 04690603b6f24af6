import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUserError } from './errors.ts';
import { bucket, decide, parseDuration, parsePreserve, type RetentionPolicy, type Snapshot } from './retention.ts';

const at = (iso: string): Date => new Date(iso);
const snap = (iso: string): Snapshot => ({ id: iso, time: at(iso) });
const policy = (preserve: string, min = '0s'): RetentionPolicy => ({ preserve: parsePreserve(preserve, 'datasets[0].retention.preserve'), minMs: parseDuration(min, 'datasets[0].retention.preserveMin') });
const kept = (ds: ReturnType<typeof decide>): string[] => ds.filter((d) => d.keep).map((d) => d.id).sort();

test('parsePreserve: btrbk\'s notation, any subset and order, * for all', () => {
  assert.deepEqual(parsePreserve('24h 7d 4w 12m 5y', 'p').counts, { h: 24, d: 7, w: 4, m: 12, y: 5 });
  assert.deepEqual(parsePreserve(' 5y  7d ', 'p').counts, { h: 0, d: 7, w: 0, m: 0, y: 5 });
  assert.deepEqual(parsePreserve('*d', 'p').counts.d, Infinity);
});

test('parsePreserve: mistakes name the manifest path and show the form', () => {
  for (const [text, re] of [['', /empty/], ['7 days', /"7" is not N or \*/], ['7D', /"7D"/], ['7d 3d', /daily \(d\) given twice/], ['-1d', /"-1d"/], ['1.5h', /"1\.5h"/]] as const) {
    assert.throws(() => parsePreserve(text, 'datasets[2].retention.preserve'), (e: unknown) => isUserError(e) && e.message.startsWith('datasets[2].retention.preserve: ') && re.test(e.message), text);
  }
});

test('parseDuration: s, min, h, d, w; months and years have no fixed length', () => {
  assert.equal(parseDuration('2d', 'x'), 2 * 86_400_000);
  assert.equal(parseDuration('90min', 'x'), 90 * 60_000);
  assert.equal(parseDuration('1w', 'x'), 7 * 86_400_000);
  for (const bad of ['2m', '1y', '', 'd', '2 d', '10m']) assert.throws(() => parseDuration(bad, 'datasets[0].interval'), (e: unknown) => isUserError(e) && /^datasets\[0\]\.interval: /.test(e.message), bad);
});

test('bucket: UTC hours, days, months, years; ISO weeks across year ends', () => {
  assert.equal(bucket(at('2026-12-04T07:59:59Z'), 'h'), '2026-12-04T07');
  assert.equal(bucket(at('2026-12-04T23:30:00-02:00'), 'd'), '2026-12-05', 'UTC, not the writer\'s zone');
  assert.equal(bucket(at('2026-12-04T00:00:00Z'), 'w'), '2026-W49');
  assert.equal(bucket(at('2021-01-03T12:00:00Z'), 'w'), '2020-W53', 'a Sunday in early January belongs to the last ISO week of the year before');
  assert.equal(bucket(at('2024-12-30T12:00:00Z'), 'w'), '2025-W01', 'a Monday in late December can open week 1 of the next ISO year');
  assert.equal(bucket(at('2026-02-28T12:00:00Z'), 'm'), '2026-02');
  assert.equal(bucket(at('2026-02-28T12:00:00Z'), 'y'), '2026');
});

test('decide: the newest snapshot of each of the last N hourly/daily buckets, exactly', () => {
  // Every 20 minutes from 2026-12-01T00:00 to 2026-12-03T23:40 (216 snapshots).
  const snaps: Snapshot[] = [];
  for (let t = Date.parse('2026-12-01T00:00:00Z'); t < Date.parse('2026-12-04T00:00:00Z'); t += 20 * 60_000) snaps.push({ id: new Date(t).toISOString(), time: new Date(t) });
  const d = decide(snaps, policy('6h 2d'));
  // 6 hourly: the :40 snapshot of hours 18…23 of Dec 3; 2 daily: the newest of Dec 3 (already kept) and of Dec 2.
  const expected = ['18', '19', '20', '21', '22', '23'].map((h) => `2026-12-03T${h}:40:00.000Z`).concat(['2026-12-02T23:40:00.000Z']).sort();
  assert.deepEqual(kept(d), expected);
  const newest = d.find((x) => x.id === '2026-12-03T23:40:00.000Z')!;
  assert.deepEqual(newest.reasons, ['the newest complete snapshot', 'hourly 1 of 6 (2026-12-03T23)', 'daily 1 of 2 (2026-12-03)']);
  const gone = d.find((x) => x.id === '2026-12-01T12:00:00.000Z')!;
  assert.deepEqual([gone.keep, gone.reasons], [false, ['no rule of the policy keeps it']]);
  assert.equal(d.length, snaps.length, 'every snapshot gets a decision');
});

test('decide: buckets are counted where snapshots are (restic), so a month without backups ages nothing away', () => {
  const before = Array.from({ length: 10 }, (_, i) => snap(`2026-10-${String(i + 1).padStart(2, '0')}T03:00:00Z`));
  const after = [snap('2026-11-15T03:00:00Z')];
  // 7d: the newest + the 6 newest days before the gap, not just the one snapshot "of the last 7 days".
  assert.deepEqual(kept(decide([...before, ...after], policy('7d'))), ['2026-10-05', '2026-10-06', '2026-10-07', '2026-10-08', '2026-10-09', '2026-10-10'].map((d) => `${d}T03:00:00Z`).concat(['2026-11-15T03:00:00Z']).sort());
});

test('decide: preserveMin keeps everything within it of the NEWEST snapshot, whatever the clock says', () => {
  const s = ['2026-01-01T00:00:00Z', '2026-01-01T10:00:00Z', '2026-01-02T23:00:00Z', '2026-01-03T00:00:00Z'].map(snap);
  const d = decide(s, policy('1y', '1d'));
  assert.deepEqual(kept(d), ['2026-01-02T23:00:00Z', '2026-01-03T00:00:00Z']);
  assert.match(d.find((x) => x.id === '2026-01-02T23:00:00Z')!.reasons.join(';'), /within preserveMin of the newest \(1 h older\)/);
});

test('decide: the newest is never deleted, nor a parent an outstanding transfer needs, even with nothing to preserve', () => {
  const s = ['2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z', '2026-03-03T00:00:00Z'].map(snap);
  const d = decide(s, policy('0d'), new Map([['2026-03-01T00:00:00Z', ['uuid:1234/backups', 'ssh://nas/b']]]));
  assert.deepEqual(kept(d), ['2026-03-01T00:00:00Z', '2026-03-03T00:00:00Z']);
  assert.deepEqual(d.find((x) => x.id === '2026-03-01T00:00:00Z')!.reasons, ['needed by uuid:1234/backups; ssh://nas/b']);
  assert.deepEqual(decide([], policy('7d')), []);
});

test('decide: * keeps the newest of every bucket; equal times are ordered by id, so the choice is stable', () => {
  const s = [snap('2026-05-01T01:00:00Z'), snap('2026-05-01T02:00:00Z'), snap('2026-05-02T01:00:00Z'), { id: 'b', time: at('2026-05-03T00:00:00Z') }, { id: 'a', time: at('2026-05-03T00:00:00Z') }];
  assert.deepEqual(kept(decide(s, policy('*d'))), ['2026-05-01T02:00:00Z', '2026-05-02T01:00:00Z', 'b'].sort());
  assert.deepEqual(kept(decide([...s].reverse(), policy('*d'))), ['2026-05-01T02:00:00Z', '2026-05-02T01:00:00Z', 'b'].sort());
  assert.throws(() => decide([s[0]!, s[0]!], policy('1d')), /listed twice/);
});
