// Writing a key-level merge into a line-model file: theirs' lines stay as they are (comments,
// order, spacing of the new default), and for every key ours changed, theirs' lines of that key
// are replaced by ours' lines of it. A new key goes after the last key of its section; a new
// section goes at the end; a deleted key or section loses its lines.
import { type Block, type Entry, type KeyFile } from './keyfile.ts';
import { eolOf } from './lines.ts';
import { deepEqual, getPath, type Edit } from './tree.ts';

export interface SpliceContext {
  /** Ours as a tree: a key set to ours' own value is written with ours' own lines. */
  readonly oursTree: unknown;
  /** A raw value as the tree holds it (TOML compares values as read, INI as written). */
  readonly value: (raw: string | null) => unknown;
  /**
   * A merged list is neither side's text. With `render` (TOML) it is written as one
   * `key = value` line after `lead` (the key and "=" as theirs wrote them); without it
   * (git-config multi-values) each element is one side's own line for that value.
   */
  readonly render?: (lead: string, value: unknown) => string | undefined;
  /** Every line of base and of theirs, trimmed: a comment found in neither was written by the user. */
  readonly known: ReadonlySet<string>;
}

/** The first of the comment lines directly above line `n` (n itself when there are none). */
function lead(kf: KeyFile, n: number): number {
  let i = n;
  while (i > 0 && /^\s*[#;]/.test(kf.lines[i - 1]!)) i--;
  return i;
}

/** The first of the comment lines above line `n` that are in neither base nor theirs (n when none). */
function notes(kf: KeyFile, n: number, known: ReadonlySet<string>): number {
  let i = n;
  while (i > 0 && /^\s*[#;]/.test(kf.lines[i - 1]!) && !known.has(kf.lines[i - 1]!.trim())) i--;
  return i;
}

/** The merged text, or undefined when an edit is of a shape the line model cannot write. */
export function spliceEdits(theirsText: string, theirs: KeyFile, ours: KeyFile, edits: readonly Edit[], ctx: SpliceContext): string | undefined {
  const eol = eolOf(theirsText);
  const removed = new Set<number>();
  // Lines to write after line n (-1: before the first line).
  const after = new Map<number, string[]>();
  const insert = (n: number, add: string[]): void => void after.set(n, [...(after.get(n) ?? []), ...add]);
  // ours' lines in theirs' line ending, each with a newline.
  const copyFrom = (kf: KeyFile, from: number, to: number): string[] => kf.lines.slice(from, to).map((l) => `${l.replace(/\r?\n$/, '')}${eol}`);
  const copy = (from: number, to: number): string[] => copyFrom(ours, from, to);
  const blocksOf = (kf: KeyFile, id: string): Block[] => kf.blocks.filter((b) => b.id === id && (b.header >= 0 || b.entries.length > 0));

  for (const e of edits) {
    const [id, key] = e.path;
    if (id === undefined || e.path.length > 2) return undefined;
    const tb = blocksOf(theirs, id);
    if (key === undefined) {
      if (e.kind === 'delete') {
        for (const b of tb) {
          const from = b.header >= 0 ? b.header : (b.entries[0]?.start ?? b.end);
          const to = b.header >= 0 ? b.end : (b.entries.at(-1)?.end ?? b.end);
          for (let n = from; n < to; n++) removed.add(n);
        }
        continue;
      }
      if (tb.length) return undefined; // a set of a whole existing section: never produced by mergeTrees
      const ob = blocksOf(ours, id);
      // A new section comes with the comment lines the user wrote right above its header.
      const lines = ob.flatMap((b) => (b.header >= 0 ? copy(notes(ours, b.header, ctx.known), b.end) : copy(b.entries[0]!.start, b.entries.at(-1)!.end)));
      if (id === '') {
        insert(-1, lines); // keys before the first header must stay before it
      } else {
        // Separate it by a blank line when theirs separates its sections so (desktop files,
        // TOML), not in a file written by `git config`, which never does.
        const spaced = theirs.blocks.some((b) => b.header > 0 && theirs.lines[lead(theirs, b.header) - 1]?.trim() === '');
        const last = theirs.lines.at(-1);
        const gap = spaced && last !== undefined && last.trim() !== '' ? [eol] : [];
        insert(theirs.lines.length - 1, [...gap, ...lines]);
      }
      continue;
    }
    const mine = tb.flatMap((b) => b.entries.filter((x) => x.key === key));
    for (const x of mine) for (let n = x.start; n < x.end; n++) removed.add(n);
    if (e.kind === 'delete') continue;
    const oursOwn = blocksOf(ours, id).flatMap((b) => b.entries.filter((x) => x.key === key));
    let lines: string[];
    if (deepEqual(getPath(ctx.oursTree, e.path), e.value)) {
      // With the comment lines the user wrote right above the key (why they changed it).
      const first = oursOwn[0];
      lines = first ? [...copy(notes(ours, first.start, ctx.known), first.start), ...oursOwn.flatMap((x) => copy(x.start, x.end))] : [];
    } else {
      const merged = mergedLines(e.value, [...oursOwn.map((x) => ({ kf: ours, x })), ...mine.map((x) => ({ kf: theirs, x }))], ctx);
      if (merged === undefined) return undefined;
      lines = merged.map((l) => `${l}${eol}`);
    }
    if (mine.length) {
      insert(mine[0]!.start - 1, lines);
    } else {
      const b = tb.at(-1);
      if (!b) return undefined;
      const lastEntry = b.entries.at(-1);
      insert(lastEntry ? lastEntry.end - 1 : b.header, lines);
    }
  }

  const out: string[] = [...(after.get(-1) ?? [])];
  theirs.lines.forEach((line, n) => {
    const more = after.get(n) ?? [];
    if (!removed.has(n)) out.push(more.length && !line.endsWith('\n') ? line + eol : line);
    out.push(...more);
  });
  const text = out.join('');
  // A file that ended without a newline still does (our inserted lines each bring one).
  return !theirsText.endsWith('\n') && text.endsWith(eol) ? text.slice(0, -eol.length) : text;
}

/** Lines (without their newline) for a merged value that neither side wrote as such. */
function mergedLines(value: unknown, have: Array<{ kf: KeyFile; x: Entry }>, ctx: SpliceContext): string[] | undefined {
  const text = (c: { kf: KeyFile; x: Entry }): string[] => c.kf.lines.slice(c.x.start, c.x.end).map((l) => l.replace(/\r?\n$/, ''));
  if (ctx.render) {
    const spelling = have.at(-1); // theirs' spelling of the key when theirs has it (listed last)
    const line = spelling && text(spelling)[0];
    const lead = line === undefined ? undefined : /^[^=]*=[ \t]*/.exec(line)?.[0];
    const one = lead === undefined ? undefined : ctx.render(lead, value);
    return one === undefined ? undefined : [one];
  }
  const used = new Set<number>();
  const out: string[] = [];
  for (const v of Array.isArray(value) ? value : [value]) {
    const i = have.findIndex((c, n) => !used.has(n) && deepEqual(ctx.value(c.x.value), v));
    if (i < 0) return undefined;
    used.add(i);
    out.push(...text(have[i]!));
  }
  return out;
}
