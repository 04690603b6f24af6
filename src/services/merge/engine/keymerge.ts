// Key-level merges of the line-model formats: INI, git-config and TOML.
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { parseKeyFile, treeOf, type Dialect } from './keyfile.ts';
import { spliceEdits, type SpliceContext } from './splice.ts';
import type { Structured } from './structured.ts';
import { applyToTree, deepEqual, mergeTrees } from './tree.ts';

const asWritten = (raw: string | null): unknown => raw;

function mergeKeyFiles(base: string, ours: string, theirs: string, dialect: Dialect, value: (raw: string | null) => unknown = asWritten, render?: SpliceContext['render']): Structured {
  const kb = parseKeyFile(base, dialect);
  const ko = parseKeyFile(ours, dialect);
  const kt = parseKeyFile(theirs, dialect);
  if (!kb || !ko || !kt) return { kind: 'unparsable' };
  const lists = dialect !== 'toml';
  const theirsTree = treeOf(kt, value, lists);
  const oursTree = treeOf(ko, value, lists);
  const edits = mergeTrees(treeOf(kb, value, lists), oursTree, theirsTree);
  if (edits === undefined) return { kind: 'conflict' };
  const known = new Set([...kb.lines, ...kt.lines].map((l) => l.trim()));
  const text = spliceEdits(theirs, kt, ko, edits, { oursTree, value, known, ...(render ? { render } : {}) });
  if (text === undefined) return { kind: 'conflict' };
  // Read back what we wrote: it must hold exactly the merged keys.
  const expected = applyToTree(theirsTree, edits);
  const same = (other: string): boolean => {
    const back = parseKeyFile(other, dialect);
    return back !== undefined && deepEqual(treeOf(back, value, lists), expected);
  };
  if (!same(text)) return { kind: 'unparsable' };
  return { kind: 'merged', text, same };
}

export const mergeIni = (base: string, ours: string, theirs: string): Structured => mergeKeyFiles(base, ours, theirs, 'ini');
export const mergeGitconfig = (base: string, ours: string, theirs: string): Structured => mergeKeyFiles(base, ours, theirs, 'gitconfig');

/**
 * TOML. smol-toml (TOML 1.0, maintained, no dependencies) parses but cannot write comments
 * back, so it is the judge, not the writer: the line model decides which lines to splice,
 * values are compared as smol-toml reads them (1_000 equals 1000, 'a' equals "a"), and the
 * result must parse to what merging the parsed trees gives. Anything the line model gets
 * wrong (an [[array]] element inserted in the middle, a table split over dotted keys) shows
 * as a difference there, and the file goes to the diff3 merge instead.
 */
export function mergeToml(base: string, ours: string, theirs: string): Structured {
  const b = tryToml(base);
  const o = tryToml(ours);
  const t = tryToml(theirs);
  if (b === undefined || o === undefined || t === undefined) return { kind: 'unparsable' };
  const cache = new Map<string, unknown>();
  const value = (raw: string | null): unknown => {
    if (raw === null) return null;
    if (!cache.has(raw)) cache.set(raw, tryToml(`v = ${raw}`)?.['v']);
    return cache.get(raw);
  };
  const r = mergeKeyFiles(base, ours, theirs, 'toml', value, renderToml);
  if (r.kind !== 'merged') return r;
  const edits = mergeTrees(b, o, t);
  if (edits === undefined) return { kind: 'conflict' };
  const expected = applyToTree(t, edits);
  const same = (other: string): boolean => {
    const back = tryToml(other);
    return back !== undefined && deepEqual(back, expected) && r.same(other);
  };
  if (!same(r.text)) return { kind: 'conflict' };
  return { kind: 'merged', text: r.text, same };
}

function tryToml(text: string): Record<string, unknown> | undefined {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** `lead` + a merged value as smol-toml writes it, when that fits on the key's one line. */
function renderToml(lead: string, value: unknown): string | undefined {
  try {
    const m = /^v = ([^\n]*)\n?$/.exec(stringifyToml({ v: value }));
    return m ? lead + m[1] : undefined;
  } catch {
    return undefined;
  }
}
