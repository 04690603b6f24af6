// Merge bases beside a host's manifest (issue 15): for a three-way merge after a reinstall, the
// common ancestor of the user's file ("ours", in the /etc or dotfiles repository) and the file
// the fresh install has ("theirs"):
//   - /etc: the pristine conffile of the installed package version, from its .deb, verified
//     against the md5 dpkg recorded for it (a ucf-managed file: ucf's pristine copy, verified
//     against ucf's hashfile; see providers/system/etc/bases.ts);
//   - homes: the /etc/skel files a user's dotfiles started from.
// Layout (never in manifest.yaml):
//   hosts/HOST/bases/index.json       which base belongs to which path (BasesIndex)
//   hosts/HOST/bases/<sha256 hex>     the bytes, content-addressed
// The repository is hostile input (hand edits, merges, a pulled branch): the index is checked
// field by field, and a blob is only returned when its bytes hash to its name.
import { createHash } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { lstat, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { absolutePathProblem, relativePathProblem } from '../confine/manifest-path.ts';
import { writeFileAtomic } from './files.ts';

export const BASES_DIR = 'bases';
export const BASES_INDEX = 'index.json';
/** A conffile or skel file larger than this is not a configuration file anyone merges by hand. */
export const MAX_BASE_BYTES = 8 << 20;
/** The index lists a few hundred paths at most; a bigger file is not ours. */
const MAX_INDEX_BYTES = 16 << 20;

export interface BaseEntry {
  /** The owning package (dpkg name, without architecture). */
  package: string;
  /** Its installed version, as in dpkg's status. */
  version: string;
  /**
   * The recorded md5 the base was verified against: dpkg's (the conffile's in status, else the
   * package's md5sums), or for a file ucf manages (sshd_config) the md5 in ucf's hashfile.
   */
  md5: string;
  /** Name of the blob holding the pristine bytes; absent when `unavailable`. */
  sha256?: string;
  /** Why the pristine file could not be recorded (what was tried). */
  unavailable?: string;
}

export interface BasesIndex {
  format: 1;
  /** Key: absolute path, "/etc/ssh/sshd_config". */
  etc: Record<string, BaseEntry>;
  /** Key: path relative to /etc/skel, ".bashrc", ".config/foo". */
  skel: Record<string, { sha256: string }>;
}

const SHA256 = /^[0-9a-f]{64}$/;
const MD5 = /^[0-9a-f]{32}$/;

export function sha256hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function basesDir(hostDir: string): string {
  return join(hostDir, BASES_DIR);
}

function malformed(file: string, what: string): UserError {
  return new UserError('REPO', `${file} is not a valid merge-bases index: ${what}`, {
    hint: 'it is written by capture; restore it from git (git checkout -- that file) or delete it and capture again',
  });
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Checks `data` (parsed JSON) field by field; returns the index or throws naming `file` and the field. */
export function checkBasesIndex(data: unknown, file: string): BasesIndex {
  if (!isRecord(data)) throw malformed(file, 'not a JSON object');
  const extra = Object.keys(data).filter((k) => !['format', 'etc', 'skel'].includes(k));
  if (extra.length) throw malformed(file, `unknown field ${JSON.stringify(extra[0])}`);
  if (data.format !== 1) throw malformed(file, `format ${JSON.stringify(data.format)} (this sysmanifest reads format 1; a newer one wrote it?)`);
  if (!isRecord(data.etc)) throw malformed(file, '"etc" is not an object');
  if (!isRecord(data.skel)) throw malformed(file, '"skel" is not an object');
  const etc: Record<string, BaseEntry> = {};
  for (const [path, v] of Object.entries(data.etc)) {
    const where = `etc[${JSON.stringify(path)}]`;
    const problem = absolutePathProblem(path) ?? (path.startsWith('/etc/') ? undefined : 'is not below /etc/');
    if (problem) throw malformed(file, `${where}: the path ${problem}`);
    if (!isRecord(v)) throw malformed(file, `${where} is not an object`);
    const unknown = Object.keys(v).filter((k) => !['package', 'version', 'md5', 'sha256', 'unavailable'].includes(k));
    if (unknown.length) throw malformed(file, `${where}: unknown field ${JSON.stringify(unknown[0])}`);
    if (typeof v.package !== 'string' || !/^[a-z0-9][a-z0-9+.-]*$/.test(v.package)) throw malformed(file, `${where}.package: not a Debian package name`);
    if (typeof v.version !== 'string' || !/^[A-Za-z0-9.+~:-]+$/.test(v.version)) throw malformed(file, `${where}.version: not a Debian version`);
    if (typeof v.md5 !== 'string' || !MD5.test(v.md5)) throw malformed(file, `${where}.md5: not 32 lower-case hex digits`);
    if ((v.sha256 === undefined) === (v.unavailable === undefined)) throw malformed(file, `${where}: needs exactly one of "sha256" and "unavailable"`);
    if (v.sha256 !== undefined && (typeof v.sha256 !== 'string' || !SHA256.test(v.sha256))) throw malformed(file, `${where}.sha256: not 64 lower-case hex digits`);
    if (v.unavailable !== undefined && (typeof v.unavailable !== 'string' || v.unavailable === '')) throw malformed(file, `${where}.unavailable: not a non-empty string`);
    etc[path] = { package: v.package, version: v.version, md5: v.md5, ...(v.sha256 !== undefined ? { sha256: v.sha256 as string } : { unavailable: v.unavailable as string }) };
  }
  const skel: Record<string, { sha256: string }> = {};
  for (const [path, v] of Object.entries(data.skel)) {
    const where = `skel[${JSON.stringify(path)}]`;
    const problem = relativePathProblem(path);
    if (problem) throw malformed(file, `${where}: the path ${problem}`);
    if (!isRecord(v) || Object.keys(v).some((k) => k !== 'sha256')) throw malformed(file, `${where}: expected {"sha256": …}`);
    if (typeof v.sha256 !== 'string' || !SHA256.test(v.sha256)) throw malformed(file, `${where}.sha256: not 64 lower-case hex digits`);
    skel[path] = { sha256: v.sha256 };
  }
  return { format: 1, etc, skel };
}

/** hosts/HOST/bases/index.json, checked; undefined when there is none (an older capture). */
export async function readBasesIndex(hostDir: string): Promise<BasesIndex | undefined> {
  const file = join(basesDir(hostDir), BASES_INDEX);
  let st;
  try {
    st = await lstat(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if (!st.isFile()) throw malformed(file, 'not a regular file (a symlink or directory)');
  if (st.size > MAX_INDEX_BYTES) throw malformed(file, `larger than ${MAX_INDEX_BYTES} bytes`);
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, { encoding: 'utf8', flag: fsc.O_RDONLY | fsc.O_NOFOLLOW }));
  } catch (e) {
    if (e instanceof SyntaxError) throw malformed(file, `not JSON (${e.message})`);
    throw e;
  }
  return checkBasesIndex(data, file);
}

/**
 * The bytes of blob `sha256` of the host folder. Refused (UserError REPO): a name that is not
 * 64 lower-case hex digits (no path can be formed from it), a blob that is missing, not a
 * regular file, larger than MAX_BASE_BYTES, or whose bytes do not hash to its name.
 */
export async function readBaseBlob(hostDir: string, sha256: string): Promise<Buffer> {
  if (typeof sha256 !== 'string' || !SHA256.test(sha256)) {
    throw new UserError('REPO', `refusing merge base ${JSON.stringify(sha256)}: a base is named by the sha256 of its bytes (64 lower-case hex digits)`, {
      hint: `the name came from ${join(basesDir(hostDir), BASES_INDEX)}; restore it from git or capture again`,
    });
  }
  const file = join(basesDir(hostDir), sha256);
  const hint = 'restore the folder from git (git checkout -- hosts/HOST/bases) or capture again on the machine';
  let fh;
  try {
    // O_NOFOLLOW: a blob replaced by a symlink (to /etc/shadow…) is refused, not followed.
    fh = await open(file, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError('REPO', `merge base ${file} is missing`, { hint });
    if (code === 'ELOOP') throw new UserError('REPO', `merge base ${file} is a symbolic link; refused`, { hint });
    throw e;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new UserError('REPO', `merge base ${file} is not a regular file; refused`, { hint });
    if (st.size > MAX_BASE_BYTES) throw new UserError('REPO', `merge base ${file} is larger than ${MAX_BASE_BYTES} bytes; refused`, { hint });
    const bytes = await fh.readFile();
    if (bytes.length > MAX_BASE_BYTES) throw new UserError('REPO', `merge base ${file} grew past ${MAX_BASE_BYTES} bytes while read; refused`, { hint });
    const actual = sha256hex(bytes);
    if (actual !== sha256) throw new UserError('REPO', `merge base ${file} does not match its name (its content hashes to ${actual}); refused`, { hint });
    return bytes;
  } finally {
    await fh.close();
  }
}

/** JSON with every object's keys sorted and two-space indentation: one byte sequence per index. */
export function formatBasesIndex(index: BasesIndex): string {
  const sortKeys = (x: unknown): unknown => {
    if (!isRecord(x)) return x;
    return Object.fromEntries(
      Object.keys(x)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((k) => [k, sortKeys(x[k])]),
    );
  };
  return `${JSON.stringify(sortKeys(index), null, 2)}\n`;
}

/**
 * Writes hosts/HOST/bases/: each blob of `blobs` (sha256 → bytes) that is referenced and not
 * there yet, atomically; then index.json when its bytes changed; then removes the blobs the
 * index no longer references. A blob the index references must be in `blobs` or on disk
 * already. Everything is checked before the first write.
 */
export async function writeBases(hostDir: string, index: BasesIndex, blobs: ReadonlyMap<string, Uint8Array>): Promise<{ written: number; removed: number }> {
  const dir = basesDir(hostDir);
  const text = formatBasesIndex(checkBasesIndex(index, '(the index being written)'));
  for (const [name, bytes] of blobs) {
    if (!SHA256.test(name) || sha256hex(bytes) !== name) throw new Error(`writeBases: blob ${name} does not hash to its name (a bug)`);
    if (bytes.length > MAX_BASE_BYTES) throw new Error(`writeBases: blob ${name} is larger than ${MAX_BASE_BYTES} bytes (a bug)`);
  }
  const referenced = new Set([...Object.values(index.etc).flatMap((e) => (e.sha256 ? [e.sha256] : [])), ...Object.values(index.skel).map((s) => s.sha256)]);
  const present = async (name: string): Promise<boolean> => {
    try {
      await readBaseBlob(hostDir, name);
      return true;
    } catch (e) {
      if (e instanceof UserError) return false; // missing, or damaged: written again
      throw e;
    }
  };
  const toWrite: string[] = [];
  for (const name of [...referenced].sort()) {
    if (await present(name)) continue;
    if (!blobs.has(name)) throw new Error(`writeBases: the index references blob ${name}, which is neither given nor in ${dir} (a bug)`);
    toWrite.push(name);
  }
  for (const name of toWrite) {
    // A damaged blob (wrong bytes, a symlink) is replaced: rename(2) replaces the link itself.
    await writeFileAtomic(join(dir, name), blobs.get(name)!, 0o644);
  }
  let old: string | undefined;
  try {
    old = await readFile(join(dir, BASES_INDEX), { encoding: 'utf8', flag: fsc.O_RDONLY | fsc.O_NOFOLLOW });
  } catch {
    old = undefined;
  }
  if (old !== text) await writeFileAtomic(join(dir, BASES_INDEX), text, 0o644);
  let removed = 0;
  for (const name of await readdir(dir)) {
    if (SHA256.test(name) && !referenced.has(name)) {
      await rm(join(dir, name), { force: true });
      removed++;
    }
  }
  return { written: toWrite.length, removed };
}
