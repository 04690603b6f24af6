// Structural diff of two manifest values, reported by manifest path. Arrays of entries that
// carry an identity (id, on, name, number, path) are compared by that identity, not by
// position, so one inserted partition does not make every later one "different".
import { formatPath } from './validate.ts';

export interface Difference {
  readonly path: readonly (string | number)[];
  /** undefined: absent on that side. */
  readonly expected: unknown;
  readonly actual: unknown;
}

const KEYS = ['id', 'on', 'name', 'number', 'path', 'file', 'spec'] as const;

function identityKey(items: readonly unknown[]): string | undefined {
  if (items.length === 0 || !items.every((x) => x && typeof x === 'object' && !Array.isArray(x))) return undefined;
  return KEYS.find((k) => {
    const vals = items.map((x) => (x as Record<string, unknown>)[k]);
    return vals.every((v) => typeof v === 'string' || typeof v === 'number') && new Set(vals).size === vals.length;
  });
}

export function diffValues(expected: unknown, actual: unknown, path: (string | number)[] = []): Difference[] {
  if (Object.is(expected, actual)) return [];
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const key = identityKey([...expected, ...actual].length ? expected : actual) ?? undefined;
    const keyBoth = key && identityKey(actual) === key ? key : undefined;
    if (keyBoth) {
      const out: Difference[] = [];
      const act = new Map(actual.map((x) => [(x as Record<string, unknown>)[keyBoth], x]));
      expected.forEach((e, i) => {
        const id = (e as Record<string, unknown>)[keyBoth];
        if (!act.has(id)) out.push({ path: [...path, i], expected: e, actual: undefined });
        else out.push(...diffValues(e, act.get(id), [...path, i]));
        act.delete(id);
      });
      for (const extra of act.values()) out.push({ path: [...path, `+${String((extra as Record<string, unknown>)[keyBoth])}`], expected: undefined, actual: extra });
      return out;
    }
    const out: Difference[] = [];
    const n = Math.max(expected.length, actual.length);
    for (let i = 0; i < n; i++) out.push(...diffValues(expected[i], actual[i], [...path, i]));
    return out;
  }
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(expected) && isObj(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    return keys.flatMap((k) => diffValues(expected[k], actual[k], [...path, k]));
  }
  return [{ path, expected, actual }];
}

export function formatDifference(d: Difference): string {
  const show = (v: unknown): string => (v === undefined ? '(absent)' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return `${formatPath(d.path)}: expected ${show(d.expected)}, found ${show(d.actual)}`;
}
