// Properties over generated files, in every structured format: edits to *different* keys by the
// user and by the new default always merge by key into exactly the union of both; a key both
// changed differently always ends as a conflict.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse as parseJsonc } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseKeyFile, treeOf } from './keyfile.ts';
import { mergeFile } from './merge.ts';
import type { MergeFormat } from './format.ts';

type Tree = Record<string, Record<string, string>>;
type Op = { readonly section: string; readonly key: string; readonly kind: 'delete' | 'change' | 'add'; readonly value: string };

const SECTIONS = ['core', 'user', 'alias'];
const KEYS = ['k0', 'k1', 'k2', 'k3'];
const value = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
const tree = fc.record(Object.fromEntries(SECTIONS.map((s) => [s, fc.record(Object.fromEntries(KEYS.map((k) => [k, value])))]))) as fc.Arbitrary<Tree>;
// Slots are (section, key) pairs; the user's and the default's edits take disjoint slots.
const slots = SECTIONS.flatMap((section) => KEYS.map((key) => ({ section, key })));
const ops = fc.shuffledSubarray(slots, { minLength: 2, maxLength: 6 }).chain((chosen) =>
  fc.tuple(...chosen.map((s) => fc.record({ kind: fc.constantFrom('delete', 'change', 'add'), value }).map((o) => ({ ...s, ...o }) as Op))),
);

function apply(t: Tree, list: readonly Op[]): Tree {
  const c = structuredClone(t);
  for (const o of list) {
    if (o.kind === 'delete') delete c[o.section]![o.key];
    else if (o.kind === 'change') c[o.section]![o.key] = `${o.value}x`;
    else c[o.section]![`new${o.key}`] = o.value;
  }
  return c;
}

const WRITE: Record<Exclude<MergeFormat, 'text'>, (t: Tree) => string> = {
  ini: (t) => Object.entries(t).map(([s, kv]) => `; ${s} settings\n[${s}]\n${Object.entries(kv).map(([k, v]) => `${k}=${v}\n`).join('')}`).join('\n'),
  gitconfig: (t) => Object.entries(t).map(([s, kv]) => `[${s}]\n${Object.entries(kv).map(([k, v]) => `\t${k} = ${v}\n`).join('')}`).join(''),
  toml: (t) => Object.entries(t).map(([s, kv]) => `# ${s}\n[${s}]\n${Object.entries(kv).map(([k, v]) => `${k} = "${v}"\n`).join('')}`).join('\n'),
  json: (t) => `{\n  // generated\n${Object.entries(t).map(([s, kv]) => `  "${s}": {\n${Object.entries(kv).map(([k, v]) => `    "${k}": "${v}"`).join(',\n')}\n  }`).join(',\n')}\n}\n`,
  yaml: (t) => `# generated\n${stringifyYaml(t)}`,
};

const READ: Record<Exclude<MergeFormat, 'text'>, (text: string) => unknown> = {
  ini: (text) => flatLists(treeOf(parseKeyFile(text, 'ini')!, undefined, true)),
  gitconfig: (text) => flatLists(treeOf(parseKeyFile(text, 'gitconfig')!, undefined, true)),
  toml: (text) => JSON.parse(JSON.stringify(parseToml(text))), // smol-toml's tables have no prototype
  json: (text) => parseJsonc(text),
  yaml: (text) => parseYaml(text),
};

// A section emptied by the edits still has its header in the INI-like files; the line model reads
// every key as a list of its values: one value → the value.
function flatLists(t: Record<string, Record<string, unknown>>): unknown {
  return Object.fromEntries(Object.entries(t).map(([s, kv]) => [s, Object.fromEntries(Object.entries(kv).map(([k, v]) => [k, (v as unknown[])[0]]))]));
}

describe('property: edits to different keys merge by key, to the union of both', () => {
  for (const format of Object.keys(WRITE) as Array<Exclude<MergeFormat, 'text'>>) {
    it(format, () => {
      fc.assert(
        fc.property(tree, ops, fc.boolean(), (base, edits, crlf) => {
          const half = Math.ceil(edits.length / 2);
          const write = (t: Tree): string => (crlf ? WRITE[format](t).replaceAll('\n', '\r\n') : WRITE[format](t));
          const r = mergeFile({ base: write(base), ours: write(apply(base, edits.slice(0, half))), theirs: write(apply(base, edits.slice(half))), format });
          assert.equal(r.conflicts, 0);
          assert.notEqual(r.method, 'lines', r.text);
          assert.deepEqual(READ[format](r.text), apply(base, edits));
          if (crlf) assert.doesNotMatch(r.text, /(?<!\r)\n/, 'a CRLF file stays CRLF');
        }),
        { numRuns: 150, seed: 20261204 },
      );
    });
  }
});

describe('property: a key both sides changed differently is never decided silently', () => {
  for (const format of Object.keys(WRITE) as Array<Exclude<MergeFormat, 'text'>>) {
    it(format, () => {
      fc.assert(
        fc.property(tree, fc.constantFrom(...slots), (base, slot) => {
          const set = (v: string): Tree => ({ ...base, [slot.section]: { ...base[slot.section], [slot.key]: v } });
          const r = mergeFile({ base: WRITE[format](base), ours: WRITE[format](set('mine')), theirs: WRITE[format](set('theirs')), format });
          assert.equal(r.method, 'lines');
          assert.ok(r.conflicts >= 1);
          assert.match(r.text, /<<<<<<< ours[^]*mine[^]*\|\|\|\|\|\|\| base[^]*=======[^]*theirs[^]*>>>>>>> theirs/);
        }),
        { numRuns: 50, seed: 20261204 },
      );
    });
  }
});

// Nested documents (JSON, YAML): maps in maps, lists and scalars of several types.
type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
const scalar: fc.Arbitrary<Json> = fc.oneof(value, fc.integer({ min: -5, max: 500 }), fc.boolean(), fc.constant(null));
const { doc } = fc.letrec<{ doc: { [k: string]: Json }; node: Json }>((tie) => ({
  doc: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e'), tie('node'), { minKeys: 2, maxKeys: 5 }),
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, scalar, fc.array(scalar, { maxLength: 3 }), tie('doc')),
}));

/** Paths of every map entry, deepest first: the places an edit can go. */
function paths(node: Json, at: string[] = []): string[][] {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return [];
  return Object.entries(node).flatMap(([k, v]) => [...paths(v, [...at, k]), [...at, k]]);
}

function edit(root: { [k: string]: Json }, path: string[], kind: number): { [k: string]: Json } {
  const c = structuredClone(root);
  let n = c as { [k: string]: Json };
  for (const k of path.slice(0, -1)) n = n[k] as { [k: string]: Json };
  const last = path.at(-1)!;
  if (kind === 0) delete n[last];
  else if (kind === 1) n[last] = `changed-${path.join('-')}`;
  else n[`${last}new`] = [1, 'two'];
  return c;
}

describe('property: nested JSON and YAML, edits under different keys', () => {
  const formats = {
    json: { write: (d: unknown) => `// settings\n${JSON.stringify(d, null, 4)}\n`, read: (t: string) => parseJsonc(t) },
    yaml: { write: (d: unknown) => `# settings\n${stringifyYaml(d)}`, read: (t: string) => parseYaml(t) },
  };
  for (const [format, io] of Object.entries(formats)) {
    it(format, () => {
      fc.assert(
        fc.property(doc, fc.nat(), fc.nat(), fc.nat({ max: 2 }), fc.nat({ max: 2 }), (base, i, j, ki, kj) => {
          const all = paths(base);
          const p = all[i % all.length]!;
          const q = all[j % all.length]!;
          // Disjoint: neither path inside the other (a table both touch is not "different keys").
          const inside = (x: string[], y: string[]): boolean => x.length <= y.length && x.every((k, n) => y[n] === k);
          fc.pre(!inside(p, q) && !inside(q, p));
          const ours = edit(base, p, ki);
          const theirs = edit(base, q, kj);
          const r = mergeFile({ base: io.write(base), ours: io.write(ours), theirs: io.write(theirs), format: format as MergeFormat });
          assert.equal(r.conflicts, 0);
          assert.notEqual(r.method, 'lines', r.text);
          assert.deepEqual(io.read(r.text), edit(edit(base, q, kj), p, ki));
        }),
        { numRuns: 300, seed: 20261204 },
      );
    });
  }
});
