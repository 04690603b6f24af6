// Pure parsers for dpkg/apt state files (deb822 control format, one-line sources, dpkg's arch
// list). They read the same files apt reads, so capture needs neither apt-mark nor a
// package cache, and works on a system mounted under --root.
import { ParseError } from '../../../core/errors.ts';

/** One deb822 stanza: lower-cased field name → value (continuation lines joined by "\n"). */
export type Stanza = ReadonlyMap<string, string>;

export interface Deb822Options {
  /** deb822 sources allow "#" comment lines (sources.list(5)); dpkg's status file does not. */
  readonly comments: boolean;
}

/**
 * deb822(5): stanzas separated by blank lines, "Field: value", continuation lines begin with
 * a space or tab. Field names are case-insensitive, hence lower-cased here.
 */
export function parseDeb822(text: string, what: string, options: Deb822Options): Stanza[] {
  const stanzas: Stanza[] = [];
  let current = new Map<string, string>();
  let last: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (options.comments && line.startsWith('#')) continue;
    if (line.trim() === '') {
      if (current.size > 0) stanzas.push(current);
      current = new Map();
      last = undefined;
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last === undefined) throw new ParseError(what, `line ${i + 1}: continuation line outside a field`);
      current.set(last, `${current.get(last)!}\n${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ParseError(what, `line ${i + 1}: not a "Field: value" line: ${JSON.stringify(line)}`);
    last = line.slice(0, colon).trim().toLowerCase();
    current.set(last, line.slice(colon + 1).trim());
  }
  if (current.size > 0) stanzas.push(current);
  return stanzas;
}

// ---------------------------------------------------------------------------------------
// dpkg status

/** dpkg's package states (dpkg-query(1), "Status" third word). */
export const DPKG_STATES = ['not-installed', 'config-files', 'half-installed', 'unpacked', 'half-configured', 'triggers-awaited', 'triggers-pending', 'installed'] as const;
export type DpkgState = (typeof DPKG_STATES)[number];
export const DPKG_WANTS = ['unknown', 'install', 'hold', 'deinstall', 'purge'] as const;
export type DpkgWant = (typeof DPKG_WANTS)[number];

export interface DpkgEntry {
  readonly name: string;
  /** Architecture field; undefined when the stanza has none (a selection of a package never installed). */
  readonly arch: string | undefined;
  readonly want: DpkgWant;
  readonly state: DpkgState;
}

/**
 * ROOT/var/lib/dpkg/status. Only Package, Status and Architecture are kept: this runs over
 * thousands of stanzas, so it scans lines instead of building a map per stanza.
 */
export function parseDpkgStatus(text: string): DpkgEntry[] {
  const what = 'dpkg status file';
  const out: DpkgEntry[] = [];
  let name: string | undefined;
  let arch: string | undefined;
  let status: string | undefined;
  let start = 0;
  const flush = (line: number): void => {
    if (name === undefined && status === undefined && arch === undefined) return;
    if (name === undefined || status === undefined) throw new ParseError(what, `stanza ending at line ${line}: no ${name === undefined ? 'Package' : 'Status'} field`);
    const [want, , state, extra] = status.split(/\s+/);
    if (extra !== undefined || !(DPKG_WANTS as readonly string[]).includes(want ?? '') || !(DPKG_STATES as readonly string[]).includes(state ?? '')) {
      throw new ParseError(what, `package ${name}: unknown Status "${status}"`);
    }
    out.push({ name, arch, want: want as DpkgWant, state: state as DpkgState });
    name = arch = status = undefined;
  };
  let lineNo = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.slice(start, end);
    start = end + 1;
    if (line === '') {
      flush(lineNo);
      if (end === text.length) break;
      continue;
    }
    const c = line.charCodeAt(0);
    if (c === 32 || c === 9) continue; // continuation of Description, Conffiles…
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ParseError(what, `line ${lineNo}: not a "Field: value" line`);
    // Field names are case-insensitive, but dpkg writes them in this exact case; check the
    // cheap exact form first.
    const field = line.slice(0, colon);
    const f = field === 'Package' || field === 'Status' || field === 'Architecture' ? field : field.toLowerCase();
    if (f === 'Package' || f === 'package') name = line.slice(colon + 1).trim();
    else if (f === 'Status' || f === 'status') status = line.slice(colon + 1).trim();
    else if (f === 'Architecture' || f === 'architecture') arch = line.slice(colon + 1).trim();
  }
  flush(lineNo);
  return out;
}

// ---------------------------------------------------------------------------------------
// apt extended_states

export interface ExtendedState {
  readonly name: string;
  /** undefined: the entry has no Architecture field; apt then applies it to every architecture of the name. */
  readonly arch: string | undefined;
  readonly auto: boolean;
}

/** ROOT/var/lib/apt/extended_states (written by apt; read by pkgDepCache::readStateFile). */
export function parseExtendedStates(text: string): ExtendedState[] {
  return parseDeb822(text, 'apt extended_states', { comments: false }).map((s, i) => {
    const name = s.get('package');
    if (name === undefined || name === '') throw new ParseError('apt extended_states', `stanza ${i + 1} has no Package field`);
    const raw = s.get('auto-installed') ?? '0';
    // apt reads it with FindI (strtol) and tests "> 0".
    const n = Number.parseInt(raw, 10);
    if (Number.isNaN(n)) throw new ParseError('apt extended_states', `package ${name}: Auto-Installed is not a number: ${raw}`);
    const arch = s.get('architecture');
    return { name, arch: arch === '' ? undefined : arch, auto: n > 0 };
  });
}

/** ROOT/var/lib/dpkg/arch: one architecture per line (native and foreign), written by dpkg --add-architecture. */
export function parseDpkgArchFile(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

// ---------------------------------------------------------------------------------------
// sources

export interface ParsedSource {
  readonly format: 'one-line' | 'deb822';
  readonly enabled: boolean;
  readonly types: string[];
  readonly uris: string[];
  readonly suites: string[];
  readonly components: string[];
  /** Option name (deb822 field name, lower-cased) → values. Signed-By keeps its raw text here. */
  readonly options: ReadonlyMap<string, string[]>;
  /** An ASCII-armoured key block given inline in Signed-By (deb822 only). */
  readonly embeddedKey?: string;
}

const SOURCE_TYPES = new Set(['deb', 'deb-src']);

/** One-line option names (sources.list(5)) → the deb822 field that means the same. */
const ONE_LINE_OPTION: Readonly<Record<string, string>> = {
  arch: 'architectures',
  'arch+': 'architectures-add',
  'arch-': 'architectures-remove',
  lang: 'languages',
  'lang+': 'languages-add',
  'lang-': 'languages-remove',
  target: 'targets',
  'target+': 'targets-add',
  'target-': 'targets-remove',
};

/** Fields of a deb822 source that are not options. */
const DEB822_CORE = new Set(['types', 'uris', 'suites', 'components', 'enabled']);

/**
 * sources.list(5) one-line style: `deb [ opt=v1,v2 … ] uri suite [component…]`.
 * apt cuts a line at "#"; blank lines are skipped.
 */
export function parseOneLineSources(text: string, file: string): ParsedSource[] {
  const out: ParsedSource[] = [];
  text.split('\n').forEach((rawLine, i) => {
    const hash = rawLine.indexOf('#');
    const line = (hash >= 0 ? rawLine.slice(0, hash) : rawLine).trim();
    if (line === '') return;
    const where = `${file} line ${i + 1}`;
    const m = /^(\S+)\s*(?:\[([^\]]*)\])?\s*(.*)$/.exec(line);
    if (m === null) throw new ParseError(where, line);
    const type = m[1]!;
    if (!SOURCE_TYPES.has(type)) throw new ParseError(where, `unknown source type "${type}"`);
    const options = new Map<string, string[]>();
    for (const opt of (m[2] ?? '').trim().split(/\s+/).filter((x) => x !== '')) {
      const om = /^([A-Za-z0-9_-]+)([+-]?)=(.*)$/.exec(opt);
      if (om === null) throw new ParseError(where, `option "${opt}" is not key=value`);
      const key = om[1]!.toLowerCase() + om[2]!;
      const name = ONE_LINE_OPTION[key] ?? key;
      options.set(name, [...(options.get(name) ?? []), ...om[3]!.split(',').filter((v) => v !== '')]);
    }
    const [uri, suite, ...components] = m[3]!.split(/\s+/).filter((x) => x !== '');
    if (uri === undefined || suite === undefined) throw new ParseError(where, 'a source needs a URI and a suite');
    out.push({ format: 'one-line', enabled: true, types: [type], uris: [uri], suites: [suite], components, options });
  });
  return out;
}

const words = (v: string | undefined): string[] => (v ?? '').split(/\s+/).filter((x) => x !== '');

/** sources.list(5) deb822 style (`*.sources`). "Enabled: no" stanzas are kept, marked disabled. */
export function parseDeb822Sources(text: string, file: string): ParsedSource[] {
  return parseDeb822(text, file, { comments: true }).map((s, i) => {
    const where = `${file} stanza ${i + 1}`;
    const types = words(s.get('types'));
    const uris = words(s.get('uris'));
    const suites = words(s.get('suites'));
    if (types.length === 0 || uris.length === 0 || suites.length === 0) throw new ParseError(where, 'Types, URIs and Suites are required');
    for (const t of types) if (!SOURCE_TYPES.has(t)) throw new ParseError(where, `unknown source type "${t}"`);
    const enabledRaw = (s.get('enabled') ?? 'yes').toLowerCase();
    // apt's StringToBool: yes/true/with/on/enable/1 and no/false/without/off/disable/0.
    const off = ['no', 'false', 'without', 'off', 'disable', '0'].includes(enabledRaw);
    if (!off && !['yes', 'true', 'with', 'on', 'enable', '1'].includes(enabledRaw)) throw new ParseError(where, `Enabled: ${enabledRaw}`);
    const options = new Map<string, string[]>();
    let embeddedKey: string | undefined;
    for (const [k, v] of s) {
      if (DEB822_CORE.has(k)) continue;
      if (k === 'signed-by' && v.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) {
        // deb822 continuation: a line of " ." stands for an empty line.
        embeddedKey = `${v
          .split('\n')
          .map((l) => (l.trim() === '.' ? '' : l.trim()))
          .join('\n')
          .trim()}\n`;
        continue;
      }
      options.set(k, k === 'signed-by' ? v.split(/[\s,]+/).filter((x) => x !== '') : words(v));
    }
    return {
      format: 'deb822',
      enabled: !off,
      types,
      uris,
      suites,
      components: words(s.get('components')),
      options,
      ...(embeddedKey === undefined ? {} : { embeddedKey }),
    };
  });
}

// ---------------------------------------------------------------------------------------
// preferences (apt_preferences(5))

export interface ParsedPin {
  readonly package: string;
  readonly pin: string;
  readonly priority: number;
}

export function parsePreferences(text: string, file: string): ParsedPin[] {
  return parseDeb822(text, file, { comments: true }).map((s, i) => {
    const where = `${file} stanza ${i + 1}`;
    const pkg = s.get('package');
    const pin = s.get('pin');
    const prio = s.get('pin-priority');
    if (pkg === undefined || pin === undefined || prio === undefined) throw new ParseError(where, 'Package, Pin and Pin-Priority are required');
    if (!/^-?\d+$/.test(prio)) throw new ParseError(where, `Pin-Priority is not an integer: ${prio}`);
    return { package: pkg.replace(/\s+/g, ' '), pin: pin.replace(/\s+/g, ' '), priority: Number(prio) };
  });
}
