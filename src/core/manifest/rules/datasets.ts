// Datasets: names unique (they name snapshot directories and lock files), targets whose paths stay
// confined, each target once, a retention policy that parses (btrbk's notation), minCopies no more
// than the targets that can hold the copies.
import { absolutePathProblem } from '../../confine/manifest-path.ts';
import { parsePreserve } from '../../retention.ts';
import type { Manifest } from '../types.gen.ts';
import { arr, duplicates, num, rec, str, type RuleIssue } from './util.ts';

/** The path part of a target (what must stay an absolute, confined path), or undefined for a form the schema refuses. */
export function targetPath(t: string): string | undefined {
  if (t.startsWith('/')) return t;
  const m = /^(?:uuid:[0-9A-Fa-f-]{4,36}|ssh:\/\/[A-Za-z0-9._@%:[\]-]+)(\/.*)$/.exec(t);
  return m?.[1];
}

export function datasetsRule(m: Manifest): RuleIssue[] {
  const out: RuleIssue[] = [];
  const ds = arr((m as unknown as Record<string, unknown>).datasets);
  out.push(...duplicates(ds.map((d, i) => [str(d.name), ['datasets', i, 'name']]), 'dataset name'));
  ds.forEach((d, i) => {
    const targets = Array.isArray(d.targets) ? (d.targets as unknown[]) : [];
    targets.forEach((t, j) => {
      const p = typeof t === 'string' ? targetPath(t) : undefined;
      if (p === undefined) return; // the schema's pattern says what is wrong
      const problem = absolutePathProblem(p);
      if (problem !== undefined) out.push({ path: ['datasets', i, 'targets', j], message: `target path ${problem}` });
    });
    const snapDir = str(d.snapshotDir);
    if (snapDir !== undefined) {
      const problem = absolutePathProblem(snapDir);
      if (problem !== undefined) out.push({ path: ['datasets', i, 'snapshotDir'], message: problem });
      else if (d.kind !== 'btrfs') out.push({ path: ['datasets', i, 'snapshotDir'], message: `only kind btrfs takes local snapshots (this dataset is ${String(d.kind)})` });
    }
    out.push(...duplicates(targets.map((t, j) => [typeof t === 'string' ? t.replace(/\/+$/, '') : undefined, ['datasets', i, 'targets', j]]), 'target'));
    const preserve = str(rec(d.retention).preserve);
    if (preserve !== undefined) {
      try {
        parsePreserve(preserve, 'preserve');
      } catch (e) {
        out.push({ path: ['datasets', i, 'retention', 'preserve'], message: (e as Error).message.replace(/^preserve: /, '') });
      }
    }
    const min = num(d.minCopies);
    if (min !== undefined && min > targets.length) out.push({ path: ['datasets', i, 'minCopies'], message: `${min} copies asked for, but ${targets.length} target(s) declared` });
  });
  return out;
}
