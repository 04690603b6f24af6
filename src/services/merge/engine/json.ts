// JSON and JSONC (VS Code's settings.json: comments, trailing commas). jsonc-parser's modify()
// computes a minimal text edit for one property path and leaves everything else — comments,
// key order, indentation — as theirs wrote it.
import { applyEdits, findNodeAtLocation, modify, parse, parseTree, type FormattingOptions, type ParseError } from 'jsonc-parser';
import { eolOf } from './lines.ts';
import { knownLines, lineStart, notesStart } from './notes.ts';
import { applyToTree, deepEqual, mergeTrees, type Edit } from './tree.ts';
import type { Structured } from './structured.ts';

const PARSE_OPTIONS = { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false };

function parseJsonc(text: string): { ok: true; value: unknown } | { ok: false } {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, PARSE_OPTIONS);
  return errors.length === 0 ? { ok: true, value } : { ok: false };
}

/** Indentation as theirs has it: the first indented line decides tabs or how many spaces. */
function formatting(text: string): FormattingOptions {
  const m = /^([ \t]+)\S/m.exec(text);
  const indent = m?.[1] ?? '  ';
  return indent.startsWith('\t') ? { insertSpaces: false, tabSize: 1, eol: eolOf(text) } : { insertSpaces: true, tabSize: indent.length, eol: eolOf(text) };
}

export function mergeJson(base: string, ours: string, theirs: string): Structured {
  // An empty base (no recorded ancestor: the file is new on both sides) is an empty object, so
  // keys added on either side merge instead of the whole file conflicting.
  const b: ReturnType<typeof parseJsonc> = base.trim() === '' ? { ok: true, value: undefined } : parseJsonc(base);
  const o = parseJsonc(ours);
  const t = parseJsonc(theirs);
  if (!b.ok || !o.ok || !t.ok) return { kind: 'unparsable' };
  const edits = mergeTrees(b.value, o.value, t.value);
  if (edits === undefined) return { kind: 'conflict' };
  // modify() cannot replace the root value or write into a non-object: leave those to diff3.
  if (edits.some((e) => e.path.length === 0)) return { kind: 'conflict' };
  const options = { formattingOptions: formatting(theirs) };
  let text = theirs;
  for (const e of edits) {
    // Keys are strings here; modify() takes numbers as array indices, which we never produce.
    text = applyEdits(text, modify(text, [...e.path], e.kind === 'set' ? e.value : undefined, options));
  }
  text = withNotes(text, ours, edits, knownLines(base, theirs));
  // What we wrote must read back as the merged tree; anything else is a bug we do not ship.
  const expected = applyToTree(t.value, edits);
  const same = (other: string): boolean => {
    const check = parseJsonc(other);
    return check.ok && deepEqual(check.value, expected);
  };
  if (!same(text)) return { kind: 'unparsable' };
  return { kind: 'merged', text, same };
}

const JSON_COMMENT = /^(\/\/|\/\*.*\*\/$)/;

/**
 * modify() writes values, never comments: the "// why" lines the user wrote right above a
 * property they set are put above that property in the result, when it starts its line there.
 */
function withNotes(text: string, ours: string, edits: readonly Edit[], known: ReadonlySet<string>): string {
  const oursTree = parseTree(ours);
  const tree = parseTree(text);
  if (!oursTree || !tree) return text;
  const inserts: Array<{ at: number; note: string }> = [];
  for (const e of edits) {
    if (e.kind !== 'set') continue;
    const mine = findNodeAtLocation(oursTree, [...e.path])?.parent;
    const there = findNodeAtLocation(tree, [...e.path])?.parent;
    if (mine?.type !== 'property' || there?.type !== 'property') continue;
    const oLine = lineStart(ours, mine.offset);
    const tLine = lineStart(text, there.offset);
    if (ours.slice(oLine, mine.offset).trim() !== '' || text.slice(tLine, there.offset).trim() !== '') continue;
    const from = notesStart(ours, mine.offset, known, JSON_COMMENT);
    if (from < oLine) inserts.push({ at: tLine, note: ours.slice(from, oLine) });
  }
  let out = text;
  for (const { at, note } of inserts.sort((a, b) => b.at - a.at)) out = out.slice(0, at) + note + out.slice(at);
  return out;
}
