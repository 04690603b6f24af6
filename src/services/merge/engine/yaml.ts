// YAML through the `yaml` package, which keeps comments and each node's place in the source.
// First choice: ours' edits spliced into theirs' text by those places (yaml-splice.ts). When an
// edit has a shape the splice does not take, ours' changed keys are set into theirs' Document
// (a scalar keeps theirs' node, and so its comment, and only takes ours' value). The Document
// re-prints the whole file, normalising some layout (indentation of sequences, quoting); that
// normalisation is undone by a diff3 of (printed theirs → printed result) onto theirs' own
// text, so untouched lines stay byte for byte. When that does not merge, the re-print is
// flagged, and mergeFile prefers a clean line merge that reads the same.
import { isCollection, isMap, isNode, isScalar, parseDocument, visit, type Document, type ToStringOptions } from 'yaml';
import { mergeLines } from './lines.ts';
import type { Structured } from './structured.ts';
import { knownLines } from './notes.ts';
import { spliceYaml } from './yaml-splice.ts';
import { applyToTree, deepEqual, getPath, mergeTrees } from './tree.ts';

// lineWidth 0: never fold a long scalar that theirs wrote on one line.
const PRINT: ToStringOptions = { lineWidth: 0, flowCollectionPadding: false };

type Parsed = { doc: Document; value: unknown };

/**
 * One document whose maps have string keys only, without merge keys: the shape the key merge
 * can address by path. Anything else (multi-document streams, numbers as keys) → diff3.
 */
function parseYaml(text: string): Parsed | undefined {
  const doc = parseDocument(text, { keepSourceTokens: false, uniqueKeys: true });
  if (doc.errors.length > 0) return undefined;
  let plain = true;
  // Aliases are fine: the tree has them resolved, an edit that would have to go through one
  // fails to apply or to read back, and the file goes to the line merge. Merge keys (<<) are
  // not: YAML 1.2 reads them as a plain key "<<", YAML 1.1 tools as a merge.
  visit(doc, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || typeof pair.key.value !== 'string' || pair.key.value === '<<' || pair.key.value === '__proto__') {
        plain = false;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (!plain) return undefined;
  try {
    return { doc, value: doc.toJS() }; // throws past 100 alias expansions (a "billion laughs" file)
  } catch {
    return undefined;
  }
}

export function mergeYaml(base: string, ours: string, theirs: string): Structured {
  if (hasSecondDocument(base) || hasSecondDocument(ours) || hasSecondDocument(theirs)) return { kind: 'unparsable' };
  const b = parseYaml(base);
  const o = parseYaml(ours);
  const t = parseYaml(theirs);
  if (!b || !o || !t) return { kind: 'unparsable' };
  // An empty base (no recorded ancestor) has no keys: both sides' keys merge.
  const edits = mergeTrees(b.value ?? undefined, o.value, t.value);
  if (edits === undefined) return { kind: 'conflict' };
  if (edits.some((e) => e.path.length === 0) || !isMap(t.doc.contents)) return { kind: 'conflict' };

  const expected = applyToTree(t.value, edits);
  const same = (other: string): boolean => {
    const back = parseYaml(other);
    return back !== undefined && deepEqual(back.value, expected);
  };
  const spliced = spliceYaml(theirs, t.doc, ours, o.doc, o.value, edits, knownLines(base, theirs));
  if (spliced !== undefined && same(spliced)) return { kind: 'merged', text: spliced, same };

  const printedTheirs = t.doc.toString(PRINT);
  const doc = t.doc.clone();
  for (const e of edits) {
    if (e.kind === 'delete') {
      doc.deleteIn(e.path);
      continue;
    }
    const mine = o.doc.getIn(e.path, true);
    const there = doc.getIn(e.path, true);
    if (!deepEqual(getPath(o.value, e.path), e.value)) {
      // A list merged from both sides: a new node, in the style (flow or block) theirs used.
      const node = doc.createNode(e.value);
      if (isCollection(there) && isCollection(node)) node.flow = there.flow ?? false;
      doc.setIn(e.path, node);
    } else if (isScalar(there) && isScalar(mine)) {
      // Keep theirs' node, with its comment; ours' value and quoting style.
      there.value = mine.value;
      there.type = mine.type;
    } else {
      doc.setIn(e.path, isNode(mine) ? mine.clone() : mine);
    }
  }
  const printed = doc.toString(PRINT);
  // Put theirs' own layout back where the edits did not touch it; when that does not merge
  // cleanly, or does not read back right, the Document's own print is still correct.
  const relaid = printedTheirs === theirs ? printed : mergeLines(printedTheirs, printed, theirs);
  if (typeof relaid === 'string' ? same(relaid) : relaid.conflicts === 0 && same(relaid.text)) return { kind: 'merged', text: typeof relaid === 'string' ? relaid : relaid.text, same };
  return same(printed) ? { kind: 'merged', text: printed, same, reprinted: true } : { kind: 'unparsable' };
}

// "---" after content starts a second document; the key merge handles one.
function hasSecondDocument(text: string): boolean {
  return /\n---(\s|$)/.test(text.replace(/^(\s*(#.*)?\n)*---(\s|$)/, ''));
}

