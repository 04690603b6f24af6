// A line model of section/key files: INI (desktop entries, mimeapps.list), git-config and TOML.
// None of them has a parser that writes comments back, so we never re-serialise: the merged
// file is theirs' lines with ours' lines for the changed keys spliced in. The model only has
// to find which lines hold which key.
import { splitLines } from './lines.ts';

export type Dialect = 'ini' | 'gitconfig' | 'toml';

export interface Entry {
  /** Normalised: git-config keys are case-insensitive (git-config(1) "Syntax"), TOML's "a" is a. */
  readonly key: string;
  /** Lines [start, end) hold the key, its value and any continuation lines. */
  readonly start: number;
  readonly end: number;
  /** The value as written (null: a git-config key without "=", which means true). */
  readonly value: string | null;
}

export interface Block {
  /** The section it belongs to; "" for the keys before the first header. */
  readonly id: string;
  /** Line of the header, -1 for the part before the first header. */
  readonly header: number;
  /** First line after the block (the next header, or the end of the file). */
  end: number;
  readonly entries: Entry[];
}

export interface KeyFile {
  readonly lines: readonly string[];
  readonly blocks: readonly Block[];
}

const bare = (line: string): string => line.replace(/\r?\n$/, '');

/** The model of `text`, or undefined when a line is none of comment, header or key. */
export function parseKeyFile(text: string, dialect: Dialect): KeyFile | undefined {
  const lines = splitLines(text);
  const blocks: Block[] = [{ id: '', header: -1, end: lines.length, entries: [] }];
  const seen = new Map<string, number>();
  for (let i = 0; i < lines.length; ) {
    const t = bare(lines[i]!).trim();
    if (t === '' || t.startsWith('#') || (dialect !== 'toml' && t.startsWith(';'))) {
      i++;
      continue;
    }
    if (t.startsWith('[')) {
      let id = headerId(t, dialect);
      if (id === undefined || id === '__proto__') return undefined;
      // A TOML table may not be defined twice, but [[array]] elements and their sub-tables
      // repeat: number them in order. INI and git-config simply continue a repeated section.
      if (dialect === 'toml') {
        const n = seen.get(id) ?? 0;
        seen.set(id, n + 1);
        if (n > 0) id = `${id}#${n}`;
      }
      blocks.at(-1)!.end = i;
      blocks.push({ id, header: i, end: lines.length, entries: [] });
      i++;
      continue;
    }
    const entry = dialect === 'toml' ? tomlEntry(lines, i) : iniEntry(lines, i, dialect);
    if (entry === undefined || entry.key === '__proto__') return undefined;
    blocks.at(-1)!.entries.push(entry);
    i = entry.end;
  }
  return { lines, blocks };
}

function headerId(t: string, dialect: Dialect): string | undefined {
  if (dialect === 'toml') {
    const m = /^(\[\[?)\s*([^\]#]+?)\s*(\]\]?)\s*(#.*)?$/.exec(t);
    if (!m || m[1]!.length !== m[3]!.length) return undefined;
    const name = tomlKey(m[2]!);
    return name === undefined ? undefined : m[1] === '[[' ? `[[${name}]]` : name;
  }
  if (dialect === 'gitconfig') {
    // [section "subsection"]: the section is case-insensitive, the subsection is not;
    // the old [section.subsection] form is case-insensitive throughout.
    const m = /^\[\s*([A-Za-z0-9.-]+)\s*(?:"((?:[^"\\]|\\.)*)")?\s*\]\s*([#;].*)?$/.exec(t);
    if (!m) return undefined;
    return m[2] === undefined ? m[1]!.toLowerCase() : `${m[1]!.toLowerCase()} "${m[2]}"`;
  }
  const m = /^\[([^\]]*)\]\s*([#;].*)?$/.exec(t);
  return m ? m[1]! : undefined;
}

function iniEntry(lines: readonly string[], i: number, dialect: Dialect): Entry | undefined {
  // git-config continues a value on the next line after a trailing backslash.
  let end = i + 1;
  let raw = bare(lines[i]!);
  while (dialect === 'gitconfig' && /(^|[^\\])(\\\\)*\\$/.test(raw) && end < lines.length) raw = `${raw.slice(0, -1)}\n${bare(lines[end++]!)}`;
  const eq = raw.indexOf('=');
  const keyText = (eq < 0 ? raw : raw.slice(0, eq)).trim();
  if (keyText === '') return undefined;
  if (dialect === 'gitconfig') {
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(keyText)) return undefined;
    return { key: keyText.toLowerCase(), start: i, end, value: eq < 0 ? null : raw.slice(eq + 1).trim() };
  }
  // "key: value" is another INI dialect; read as a bare key its value would be part of its name.
  if (eq < 0 && keyText.includes(':')) return undefined;
  return { key: keyText, start: i, end, value: eq < 0 ? null : raw.slice(eq + 1).trim() };
}

/** A TOML key (bare, quoted or dotted) without the spaces around dots, quotes dropped where they change nothing. */
function tomlKey(text: string): string | undefined {
  const parts: string[] = [];
  const re = /\s*(?:([A-Za-z0-9_-]+)|"((?:[^"\\]|\\.)*)"|'([^']*)')\s*(\.|$)/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return undefined;
    const part = m[1] ?? m[2] ?? m[3]!;
    parts.push(/^[A-Za-z0-9_-]+$/.test(part) ? part : JSON.stringify(part));
    at = re.lastIndex;
    if (m[4] === '') break;
  }
  return parts.length ? parts.join('.') : undefined;
}

function tomlEntry(lines: readonly string[], i: number): Entry | undefined {
  const first = bare(lines[i]!);
  const eq = keyEnd(first);
  if (eq === undefined) return undefined;
  const key = tomlKey(first.slice(0, eq));
  if (key === undefined) return undefined;
  const end = valueEnd(lines, i, eq + 1);
  if (end === undefined) return undefined;
  const value = [first.slice(eq + 1), ...lines.slice(i + 1, end).map(bare)].join('\n').trim();
  return { key, start: i, end, value };
}

/** Index of the "=" after a TOML key (quoted keys may contain "="). */
function keyEnd(line: string): number | undefined {
  let q: string | undefined;
  for (let j = 0; j < line.length; j++) {
    const c = line[j]!;
    if (q) {
      if (c === '\\' && q === '"') j++;
      else if (c === q) q = undefined;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '=') return j;
    else if (c === '#') return undefined;
  }
  return undefined;
}

/**
 * The line after a TOML value: a value goes on while a bracket or brace is open or a multi-line
 * string ("""…""", '''…''') is not closed. Undefined when the file ends first.
 */
function valueEnd(lines: readonly string[], i: number, col: number): number | undefined {
  let depth = 0;
  let str: '"' | "'" | '"""' | "'''" | undefined;
  for (let n = i; n < lines.length; n++) {
    const s = bare(lines[n]!);
    for (let j = n === i ? col : 0; j < s.length; j++) {
      const c = s[j]!;
      if (str === '"""' || str === "'''") {
        if (c === '\\' && str === '"""') j++;
        else if (s.startsWith(str, j)) {
          // """a"""" closes on the last three quotes (TOML allows up to two quotes inside).
          while (s[j + 3] === str[0] && s.startsWith(str, j + 1)) j++;
          j += 2;
          str = undefined;
        }
      } else if (str) {
        if (c === '\\' && str === '"') j++;
        else if (c === str) str = undefined;
      } else if (s.startsWith('"""', j) || s.startsWith("'''", j)) {
        str = s.slice(j, j + 3) as '"""' | "'''";
        j += 2;
      } else if (c === '"' || c === "'") str = c;
      else if (c === '#') break;
      else if (c === '[' || c === '{') depth++;
      else if (c === ']' || c === '}') depth--;
    }
    if (str === '"' || str === "'") return undefined; // a single-line string may not span lines
    if (depth <= 0 && str === undefined) return n + 1;
  }
  return undefined;
}

/**
 * section → key → value. In INI and git-config a key may be given more than once (git-config's
 * multi-values: safe.directory, remote.*.fetch), so there every key is the list of its values
 * and one value removed or added is a list edit like any other; in TOML a key is one value.
 */
export function treeOf(kf: KeyFile, value: (raw: string | null) => unknown = (v) => v, lists = false): Record<string, Record<string, unknown>> {
  const all = new Map<string, Map<string, unknown[]>>();
  for (const b of kf.blocks) {
    if (b.header < 0 && b.entries.length === 0) continue;
    let section = all.get(b.id);
    if (!section) all.set(b.id, (section = new Map()));
    for (const e of b.entries) {
      const list = section.get(e.key);
      if (list) list.push(value(e.value));
      else section.set(e.key, [value(e.value)]);
    }
  }
  const tree: Record<string, Record<string, unknown>> = {};
  for (const [id, section] of all) {
    const keys: Record<string, unknown> = {};
    for (const [k, values] of section) keys[k] = values.length === 1 && !lists ? values[0] : values;
    tree[id] = keys;
  }
  return tree;
}
