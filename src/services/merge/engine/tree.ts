// The key-level three-way merge shared by every structured format: the three files as plain
// trees (objects of objects; scalars are values, lists are merged element-wise when both sides
// changed them), and the list of
// changes ours made relative to base that can be laid onto theirs without touching a key
// theirs changed differently. The formats turn these edits back into text their own way.
import { diff3Merge } from 'node-diff3';

export type Path = readonly string[];
export type Edit = { readonly kind: 'set'; readonly path: Path; readonly value: unknown } | { readonly kind: 'delete'; readonly path: Path };

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Structural equality; object key order does not count (it carries no meaning in any of our formats). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  // NaN in a TOML file (nan) equals itself for our purpose: it did not change.
  return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
}

/**
 * Ours' changes to carry onto theirs, or `undefined` when a key changed on both sides in
 * different ways (or one side deleted what the other changed): a real conflict, which the
 * caller shows as diff3 markers. `undefined` as a value means "absent".
 */
export function mergeTrees(base: unknown, ours: unknown, theirs: unknown): Edit[] | undefined {
  const edits: Edit[] = [];
  return walk([], base, ours, theirs, edits) ? edits : undefined;
}

function walk(path: string[], base: unknown, ours: unknown, theirs: unknown, edits: Edit[]): boolean {
  if (deepEqual(ours, base)) return true; // ours left it alone: theirs' version stands
  // Both sides hold a table here (base had one too, or both added one): merge key by key,
  // so that edits to different keys of the same table never meet.
  if (isPlainObject(ours) && isPlainObject(theirs) && (base === undefined || isPlainObject(base))) {
    const b = base ?? {};
    const keys = new Set([...Object.keys(ours), ...Object.keys(theirs), ...Object.keys(b)]);
    for (const k of keys) {
      // A key named __proto__ cannot be carried through plain objects safely: leave it to diff3.
      if (k === '__proto__') return false;
      if (!walk([...path, k], own(b, k), own(ours, k), own(theirs, k), edits)) return false;
    }
    return true;
  }
  if (deepEqual(ours, theirs)) return true; // the same change on both sides
  if (deepEqual(theirs, base)) {
    edits.push(ours === undefined ? { kind: 'delete', path } : { kind: 'set', path, value: ours });
    return true;
  }
  // Both changed a list (cloud-init's module lists, git-config multi-values): merge its
  // elements as diff3 merges lines, so an element added on one side and another removed on
  // the other both hold. Insertions at the same place, or an element changed on both sides,
  // stay a conflict.
  if (Array.isArray(base) && Array.isArray(ours) && Array.isArray(theirs)) {
    const merged = mergeArrays(base, ours, theirs);
    if (merged === undefined) return false;
    edits.push({ kind: 'set', path, value: merged });
    return true;
  }
  return false; // both changed it, differently
}

function mergeArrays(base: unknown[], ours: unknown[], theirs: unknown[]): unknown[] | undefined {
  const byToken = new Map<string, unknown>();
  const tokens = (list: unknown[]): string[] =>
    list.map((v) => {
      const t = JSON.stringify(v) ?? 'undefined';
      byToken.set(t, v);
      return t;
    });
  const merged: unknown[] = [];
  for (const r of diff3Merge(tokens(ours), tokens(base), tokens(theirs), { excludeFalseConflicts: true })) {
    if (!r.ok) return undefined;
    for (const t of r.ok) merged.push(byToken.get(t));
  }
  return merged;
}

/** The value at `path` in a tree, undefined when absent. */
export function getPath(tree: unknown, path: Path): unknown {
  let node = tree;
  for (const k of path) {
    if (!isPlainObject(node) || !Object.hasOwn(node, k)) return undefined;
    node = node[k];
  }
  return node;
}

const own = (o: Record<string, unknown>, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);

/** The tree the edits should produce: what a format's text result is checked against. */
export function applyToTree(tree: unknown, edits: readonly Edit[]): unknown {
  let root = structuredClone(tree);
  for (const e of edits) {
    if (e.path.length === 0) {
      root = e.kind === 'set' ? structuredClone(e.value) : undefined;
      continue;
    }
    if (!isPlainObject(root)) root = {};
    let node = root as Record<string, unknown>;
    for (const k of e.path.slice(0, -1)) {
      const next = own(node, k);
      if (!isPlainObject(next)) node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    const last = e.path.at(-1)!;
    if (e.kind === 'set') node[last] = structuredClone(e.value);
    else delete node[last];
  }
  return root;
}
