// Pure parsers for pacman's own files: the local database's desc files, the sync databases
// (compressed tar archives made by repo-add) and pacman.conf. They read what libalpm reads,
// so capture needs no pacman and works on a system mounted under --root.
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { ParseError } from '../../../core/errors.ts';

/**
 * A desc file of the local or a sync database: "%KEY%" lines, each followed by its value lines,
 * blocks separated by a blank line (libalpm be_local.c / be_sync.c, sync_db_read).
 */
export function parseDesc(text: string, what: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let key: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') {
      key = undefined;
      continue;
    }
    const m = /^%([A-Z0-9]+)%$/.exec(line);
    if (m && key === undefined) {
      key = m[1]!;
      out.set(key, []);
      continue;
    }
    if (key === undefined) throw new ParseError(what, `a value outside a %KEY% block: ${JSON.stringify(line)}`);
    out.get(key)!.push(line);
  }
  return out;
}

export interface LocalPackage {
  readonly name: string;
  /** alpm_pkgreason_t: 0 explicitly installed (also when %REASON% is absent), 1 installed as a dependency. */
  readonly reason: 0 | 1;
}

export function parseLocalDesc(text: string, what: string): LocalPackage {
  const desc = parseDesc(text, what);
  const name = desc.get('NAME')?.[0];
  if (name === undefined || name === '') throw new ParseError(what, 'no %NAME%');
  const reason = desc.get('REASON')?.[0] ?? '0';
  if (reason !== '0' && reason !== '1') throw new ParseError(what, `%REASON% is ${JSON.stringify(reason)}, not 0 or 1`);
  return { name, reason: reason === '1' ? 1 : 0 };
}

// ---- sync databases ------------------------------------------------------------------------

/** A sync database file (ROOT/var/lib/pacman/sync/<repo>.db): tar, plain or gzip/zstd compressed. */
export function decompressSyncDb(bytes: Uint8Array, what: string): Uint8Array {
  const b = bytes;
  if (b[0] === 0x1f && b[1] === 0x8b) return gunzipSync(b);
  if (b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return zstdDecompressSync(b);
  if (b.length >= 263 && new TextDecoder().decode(b.subarray(257, 262)) === 'ustar') return b;
  if (b.length === 0) return b; // repo-add never writes this; an empty file holds no packages
  // repo-add also knows xz, bzip2, lzip, lz4, compress (libarchive reads them all).
  throw new ParseError(what, 'a compression sysmanifest cannot read (it reads tar, gzip and zstd)');
}

export interface TarFile {
  readonly path: string;
  readonly content: Uint8Array;
}

const ascii = (b: Uint8Array): string => {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end === -1 ? b : b.subarray(0, end));
};

function octal(b: Uint8Array, what: string): number {
  if ((b[0]! & 0x80) !== 0) {
    // GNU base-256 for sizes that do not fit the octal field.
    let n = 0;
    for (let i = 1; i < b.length; i++) n = n * 256 + b[i]!;
    return n;
  }
  const s = ascii(b).trim();
  if (!/^[0-7]*$/.test(s)) throw new ParseError(what, `tar header size ${JSON.stringify(s)} is not octal`);
  return s === '' ? 0 : parseInt(s, 8);
}

/** pax extended header records: "LEN key=value\n" (POSIX pax format). */
function paxPath(content: Uint8Array): string | undefined {
  const text = new TextDecoder().decode(content);
  for (const rec of text.split('\n')) {
    const m = /^\d+ path=(.*)$/.exec(rec);
    if (m) return m[1];
  }
  return undefined;
}

/** The regular files of a tar archive (ustar, pax and GNU long names: what bsdtar writes). */
export function tarFiles(tar: Uint8Array, what: string): TarFile[] {
  const files: TarFile[] = [];
  let longName: string | undefined;
  for (let at = 0; at + 512 <= tar.length; ) {
    const h = tar.subarray(at, at + 512);
    if (h.every((x) => x === 0)) break; // end of archive
    const size = octal(h.subarray(124, 136), what);
    const type = String.fromCharCode(h[156]!);
    const prefix = ascii(h.subarray(257, 263)).startsWith('ustar') ? ascii(h.subarray(345, 500)) : '';
    const name = prefix === '' ? ascii(h.subarray(0, 100)) : `${prefix}/${ascii(h.subarray(0, 100))}`;
    const start = at + 512;
    if (start + size > tar.length) throw new ParseError(what, `tar member ${name} is truncated`);
    const content = tar.subarray(start, start + size);
    at = start + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      longName = paxPath(content) ?? longName;
      continue;
    }
    if (type === 'L') {
      longName = ascii(content);
      continue;
    }
    const path = longName ?? name;
    longName = undefined;
    if (type === '0' || type === '\0') files.push({ path, content });
  }
  return files;
}

/** Package names in a sync database: the %NAME% of every <name>-<version>/desc. */
export function syncDbPackageNames(bytes: Uint8Array, what: string): string[] {
  const names: string[] = [];
  for (const f of tarFiles(decompressSyncDb(bytes, what), what)) {
    if (!/^[^/]+\/desc$/.test(f.path)) continue;
    const name = parseDesc(new TextDecoder().decode(f.content), `${what}: ${f.path}`).get('NAME')?.[0];
    if (name === undefined) throw new ParseError(what, `${f.path} has no %NAME%`);
    names.push(name);
  }
  return names;
}

// ---- pacman.conf ---------------------------------------------------------------------------

/** One line of pacman.conf or of a file it includes, in the order pacman reads them. */
export interface ConfLine {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

export type ConfItem = { readonly section: string } | { readonly key: string; readonly value: string | undefined };

/**
 * One line as pacman's ini parser sees it (pacman 6 src/common/ini.c): trimmed; empty lines and
 * lines starting with "#" are skipped (a "#" after a value is part of the value); "[name]"
 * opens a section; otherwise "Key = Value" split at the first "=", or a bare "Key".
 */
export function confItem(l: ConfLine): ConfItem | undefined {
  const t = l.text.trim();
  if (t === '' || t.startsWith('#')) return undefined;
  if (t.startsWith('[') && t.endsWith(']')) {
    const section = t.slice(1, -1);
    if (section === '') throw new ParseError(l.file, `line ${l.line}: empty section name`);
    return { section };
  }
  const eq = t.indexOf('=');
  if (eq === -1) return { key: t, value: undefined };
  const key = t.slice(0, eq).trim();
  const value = t.slice(eq + 1).trim();
  if (key === '' || value === '') throw new ParseError(l.file, `line ${l.line}: ${JSON.stringify(t)} has an empty key or value`);
  return { key, value };
}

export interface PacmanRepoConf {
  name: string;
  servers: string[];
  includes: string[];
  sigLevel?: string[];
  usage?: string[];
}

export interface PacmanConf {
  /** [options] DBPath (default /var/lib/pacman/). */
  readonly dbPath: string;
  readonly ignorePkg: string[];
  readonly repos: PacmanRepoConf[];
}

const words = (v: string): string[] => v.split(/\s+/).filter((w) => w !== '');

/**
 * pacman.conf(5) from its lines with Include files already spliced in after their Include
 * line (gather does that: pacman reads an Include file in place, and a section the file
 * opens stays open after it).
 */
export function parsePacmanConf(lines: readonly ConfLine[]): PacmanConf {
  let dbPath = '/var/lib/pacman/';
  const ignorePkg: string[] = [];
  const repos: PacmanRepoConf[] = [];
  let section: string | undefined;
  let repo: PacmanRepoConf | undefined;
  for (const l of lines) {
    const item = confItem(l);
    if (item === undefined) continue;
    if ('section' in item) {
      section = item.section;
      if (section === 'options') repo = undefined;
      else {
        // A repository named twice is one repository (pacman registers the db once).
        repo = repos.find((r) => r.name === section);
        if (repo === undefined) repos.push((repo = { name: section, servers: [], includes: [] }));
      }
      continue;
    }
    if (section === undefined) throw new ParseError(l.file, `line ${l.line}: ${item.key} outside any section`);
    const { key, value } = item;
    if (repo === undefined) {
      if (key === 'DBPath' && value !== undefined) dbPath = value;
      if (key === 'IgnorePkg' && value !== undefined) ignorePkg.push(...words(value));
      continue;
    }
    if (value === undefined) continue;
    if (key === 'Server') repo.servers.push(value);
    else if (key === 'Include') repo.includes.push(value);
    else if (key === 'SigLevel') repo.sigLevel = [...(repo.sigLevel ?? []), ...words(value)];
    else if (key === 'Usage') repo.usage = [...(repo.usage ?? []), ...words(value)];
  }
  return { dbPath, ignorePkg, repos };
}
