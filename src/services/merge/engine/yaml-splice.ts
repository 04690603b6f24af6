// Ours' YAML edits written straight into theirs' text, using the source ranges the parser
// keeps on every node: a changed scalar or flow collection is replaced in place, a deleted key
// loses its lines, a new key is copied from ours after the last key of its map. Everything else
// in theirs stays byte for byte. Edits of another shape (a block sequence that changed, a key
// at another indentation) are not attempted: the caller then goes through the Document API.
import { isCollection, isMap, isScalar, isSeq, type Document, type Node, type Pair, type Scalar } from 'yaml';
import { eolOf } from './lines.ts';
import { lineEnd, lineStart, notesStart } from './notes.ts';
import { deepEqual, getPath, type Edit } from './tree.ts';

type Cut = { from: number; to: number; text: string };

const YAML_COMMENT = /^#/;

const inline = (n: unknown): n is Node =>
  (isScalar(n) && n.type !== 'BLOCK_LITERAL' && n.type !== 'BLOCK_FOLDED') || (isCollection(n) && n.flow === true);

/** Where a pair's text ends: the end of its value (or of its key when the value is empty). */
const pairEnd = (p: Pair): number | undefined => ((p.value as Node | null)?.range ?? (p.key as Node).range)?.[1];

function pairIn(map: unknown, key: string): Pair | undefined {
  if (!isMap(map)) return undefined;
  return map.items.find((p) => isScalar(p.key) && p.key.value === key);
}

export function spliceYaml(theirs: string, t: Document, ours: string, o: Document, oursValue: unknown, edits: readonly Edit[], known: ReadonlySet<string>): string | undefined {
  const cuts: Cut[] = [];
  for (const e of edits) {
    const parentPath = e.path.slice(0, -1);
    const key = e.path.at(-1)!;
    const tParent = parentPath.length ? t.getIn(parentPath, true) : t.contents;
    const tPair = pairIn(tParent, key);
    if (!isMap(tParent) || tParent.flow) return undefined;
    if (e.kind === 'delete') {
      const end = tPair && pairEnd(tPair);
      const start = tPair && (tPair.key as Node).range?.[0];
      if (start === undefined || end === undefined || theirs.slice(lineStart(theirs, start), start).trim() !== '') return undefined;
      cuts.push({ from: lineStart(theirs, start), to: lineEnd(theirs, end - 1), text: '' });
      continue;
    }
    // Only ours' own value has ours' text to copy (a merged list is written item by item).
    const own = deepEqual(getPath(oursValue, e.path), e.value);
    const oParent = parentPath.length ? o.getIn(parentPath, true) : o.contents;
    const oPair = pairIn(oParent, key);
    if (tPair) {
      const there = tPair.value;
      const mine = oPair?.value;
      if (own && inline(there) && inline(mine) && there.range && mine.range) {
        cuts.push({ from: there.range[0], to: there.range[1], text: ours.slice(mine.range[0], mine.range[1]) });
        // The user's note above the key, when there is one and the key starts its line in both.
        const oKey = (oPair!.key as Node).range?.[0];
        const tKey = (tPair.key as Node).range?.[0];
        if (oKey !== undefined && tKey !== undefined && ours.slice(lineStart(ours, oKey), oKey).trim() === '' && theirs.slice(lineStart(theirs, tKey), tKey).trim() === '') {
          const from = notesStart(ours, oKey, known, YAML_COMMENT);
          if (from < lineStart(ours, oKey)) cuts.push({ from: lineStart(theirs, tKey), to: lineStart(theirs, tKey), text: ours.slice(from, lineStart(ours, oKey)) });
        }
        continue;
      }
      const seq = blockSeq(theirs, there, ours, mine, e.value);
      if (!seq) return undefined;
      cuts.push(seq);
      continue;
    }
    if (!own || !oPair) return undefined;
    // A new key: ours' lines for it, after theirs' last key of the same map, if both sit at the same column.
    const last = tParent.items.at(-1);
    const oStart = (oPair.key as Node).range?.[0];
    const oEnd = pairEnd(oPair);
    const lastStart = last && (last.key as Node).range?.[0];
    const lastEnd = last && pairEnd(last);
    if (oStart === undefined || oEnd === undefined || lastStart === undefined || lastEnd === undefined) return undefined;
    const col = oStart - lineStart(ours, oStart);
    if (col !== lastStart - lineStart(theirs, lastStart) || ours.slice(lineStart(ours, oStart), oStart).trim() !== '') return undefined;
    const eol = eolOf(theirs);
    let text = ours.slice(notesStart(ours, oStart, known, YAML_COMMENT), lineEnd(ours, oEnd - 1));
    if (!text.endsWith('\n')) text += eol;
    const at = lineEnd(theirs, lastEnd - 1);
    cuts.push({ from: at, to: at, text: at === theirs.length && !theirs.endsWith('\n') ? `${eol}${text}` : text });
  }
  // Applied from the end of the text backwards; at one position, the later edit first, so
  // that two keys added after the same key come out in ours' order.
  const order = cuts.map((c, i) => ({ c, i })).sort((a, b) => b.c.from - a.c.from || b.c.to - a.c.to || b.i - a.i);
  let out = theirs;
  let floor = Infinity;
  for (const { c } of order) {
    if (c.to > floor) return undefined; // two edits on overlapping text: not ours to sort out
    out = out.slice(0, c.from) + c.text + out.slice(c.to);
    floor = c.from;
  }
  return out;
}

/**
 * A block list of scalars (cloud-init's module lists) rewritten item by item in theirs' layout
 * ("<indent>- item"), each item's text taken from theirs or ours. Only when the list's lines are
 * its items and nothing else: a comment among them would be lost.
 */
function blockSeq(theirs: string, there: unknown, ours: string, mine: unknown, value: unknown): Cut | undefined {
  if (!isSeq(there) || there.flow || !Array.isArray(value) || value.length === 0) return undefined;
  const items = there.items.filter((n): n is Scalar => isScalar(n) && n.range !== undefined && n.range !== null);
  if (items.length === 0 || items.length !== there.items.length) return undefined;
  const first = items[0]!;
  const from = lineStart(theirs, first.range![0]);
  const prefix = theirs.slice(from, first.range![0]);
  if (!/^[ \t]*-[ \t]+$/.test(prefix)) return undefined;
  for (const n of items) {
    const start = lineStart(theirs, n.range![0]);
    if (theirs.slice(start, n.range![0]) !== prefix || theirs.slice(n.range![1], lineEnd(theirs, n.range![1])).trim() !== '') return undefined;
  }
  const to = lineEnd(theirs, items.at(-1)!.range![1]);
  if (theirs.slice(from, to).split('\n').filter((l) => l !== '').length !== items.length) return undefined;
  const pool: Array<{ n: Scalar; src: string }> = [
    ...items.map((n) => ({ n, src: theirs })),
    ...(isSeq(mine) ? mine.items.filter((n): n is Scalar => isScalar(n) && !!n.range).map((n) => ({ n, src: ours })) : []),
  ];
  const eol = eolOf(theirs);
  let text = '';
  for (const v of value) {
    const c = pool.find((p) => p.n.value === v);
    if (!c) return undefined;
    text += `${prefix}${c.src.slice(c.n.range![0], c.n.range![1])}${eol}`;
  }
  return { from, to, text };
}
