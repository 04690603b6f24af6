// Pure: the facts gathered from ROOT (state files, sources, key bytes) → the `packages` section.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { absolutePathProblem } from '../../../core/confine/index.ts';
import { ParseError } from '../../../core/errors.ts';
import type { AptKey, AptPin, AptSource, Packages } from '../../../core/manifest/types.gen.ts';
import { parseDeb822Sources, parseDpkgArchFile, parseDpkgStatus, parseExtendedStates, parseOneLineSources, parsePreferences, type ParsedSource } from './parse.ts';
import { bytewise, nativeArchitecture, selectPackages } from './select.ts';

export interface TextFile {
  /** Path on the captured system (without the --root prefix). */
  readonly path: string;
  readonly text: string;
}

export type KeyRead = { readonly bytes: Uint8Array } | { readonly missing: string };

export interface AptFacts {
  readonly status: string;
  readonly extendedStates: string | undefined;
  readonly archFile: string | undefined;
  /** Source files in the order apt reads them. */
  readonly sources: readonly TextFile[];
  readonly preferences: readonly TextFile[];
  /** apt.conf, then apt.conf.d/* in name order (apt's reading order); absent in older facts. */
  readonly aptConf?: readonly TextFile[];
  /** Global keyrings: trusted.gpg and trusted.gpg.d/*.{gpg,asc}, paths on the captured system. */
  readonly globalKeys: readonly string[];
  /** Bytes of every key file: the global ones and every Signed-By path (see keyPathsOf). */
  readonly keys: ReadonlyMap<string, KeyRead>;
}

export const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Where the capture service stores a key file, relative to the host's manifest folder. */
export const keyStorePath = (path: string): string => `apt-keys${path}`;

export function parseSources(files: readonly TextFile[]): Array<{ file: string; source: ParsedSource }> {
  return files.flatMap((f) => (f.path.endsWith('.sources') ? parseDeb822Sources(f.text, f.path) : parseOneLineSources(f.text, f.path)).map((source) => ({ file: f.path, source })));
}

/**
 * Signed-By values that are files (apt also accepts key fingerprints there), normalised
 * ("//" and "." dropped). A value with a ".." component or a control character is not
 * followed: the sources file (in sources[].options) still shows it as written.
 */
export function signedByPaths(sources: ReadonlyArray<{ source: ParsedSource }>): string[] {
  const files = sources.flatMap(({ source }) => (source.options.get('signed-by') ?? []).filter((v) => v.startsWith('/') && !v.split('/').includes('..')));
  return [...new Set(files.map((v) => posix.normalize(v).replace(/(.)\/$/, '$1')).filter((v) => absolutePathProblem(v) === undefined))].sort(bytewise);
}

function toSource(file: string, s: ParsedSource): AptSource {
  const options = Object.fromEntries([...s.options.entries()].sort(([a], [b]) => bytewise(a, b)));
  return {
    file,
    format: s.format,
    enabled: s.enabled,
    types: s.types as AptSource['types'],
    uris: s.uris,
    suites: s.suites,
    components: s.components,
    ...(Object.keys(options).length > 0 ? { options } : {}),
    ...(s.embeddedKey === undefined ? {} : { embeddedKey: { sha256: sha256(s.embeddedKey) } }),
  };
}

function toKey(path: string, scope: AptKey['scope'], read: KeyRead | undefined): AptKey {
  if (read === undefined) throw new Error(`apt capture: key ${path} was not gathered`);
  if ('missing' in read) return { path, scope, unsupported: { reason: read.missing } };
  return { path, scope, sha256: sha256(read.bytes), file: keyStorePath(path) };
}

/**
 * The captured system's APT::Install-Recommends: the last assignment in apt's reading order
 * wins, as in apt. Both spellings apt.conf(5) allows are read: the scoped
 * `APT::Install-Recommends "false";` and one level of `APT { Install-Recommends "0"; };`.
 * Comments (//, # and C-style blocks) are ignored. undefined: apt's default (true).
 */
export function installRecommends(files: readonly TextFile[]): boolean | undefined {
  let value: boolean | undefined;
  for (const f of files) {
    const text = f.text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|\s)(\/\/|#).*$/gm, '$1');
    const flat = /\bAPT::Install-Recommends\s+"([^"]*)"\s*;/gi;
    const block = /\bAPT\s*\{[^{}]*?\bInstall-Recommends\s+"([^"]*)"\s*;[^{}]*\}/gi;
    const hits: { at: number; v: string }[] = [];
    for (const m of text.matchAll(flat)) hits.push({ at: m.index, v: m[1]! });
    for (const m of text.matchAll(block)) hits.push({ at: m.index, v: m[1]! });
    for (const h of hits.sort((a, b) => a.at - b.at)) {
      const v = h.v.trim().toLowerCase();
      if (['false', '0', 'no', 'off'].includes(v)) value = false;
      else if (['true', '1', 'yes', 'on'].includes(v)) value = true;
    }
  }
  return value;
}

export function captureApt(facts: AptFacts): Packages {
  const status = parseDpkgStatus(facts.status);
  const archLines = facts.archFile === undefined ? [] : parseDpkgArchFile(facts.archFile);
  const native = nativeArchitecture(status, archLines);
  if (native === undefined) throw new ParseError('dpkg status file', 'dpkg itself is not installed, so the native architecture is unknown');
  const extended = facts.extendedStates === undefined ? [] : parseExtendedStates(facts.extendedStates);
  const sets = selectPackages(status, extended, native);

  const sources = parseSources(facts.sources);
  const global = new Set(facts.globalKeys);
  const keys = [...new Set([...facts.globalKeys, ...signedByPaths(sources)])]
    .sort(bytewise)
    .map((p) => toKey(p, global.has(p) ? 'global' : 'signed-by', facts.keys.get(p)));

  const pins: AptPin[] = facts.preferences.flatMap((f) => parsePreferences(f.text, f.path).map((p) => ({ file: f.path, ...p })));

  return {
    manager: 'apt',
    architecture: native,
    foreignArchitectures: [...new Set(archLines.filter((a) => a !== native))].sort(bytewise),
    manual: sets.manual,
    autoCount: sets.auto.length,
    ...(installRecommends(facts.aptConf ?? []) === false ? { installRecommends: false } : {}),
    held: sets.held,
    sources: sources.map(({ file, source }) => toSource(file, source)),
    keys,
    pins,
  };
}
