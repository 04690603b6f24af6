// Read-only: dpkg/apt state and configuration files under the captured root. No process is
// spawned: apt-mark would build apt's cache (about a second) and cannot look at --root.
// Paths follow apt's defaults (Dir::State::status, Dir::State::extended_states,
// Dir::Etc::sourcelist/sourceparts/preferences/preferencesparts/trusted/trustedparts);
// a system that moved them with apt.conf is not followed.
import { posix } from 'node:path';
import { readInRoot, type InRootFile, type RootFs } from '../../../core/confine/index.ts';
import { UserError } from '../../../core/errors.ts';
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import type { AptFacts, KeyRead, TextFile } from './capture.ts';
import { parseSources, signedByPaths } from './capture.ts';

export const STATUS = '/var/lib/dpkg/status';
export const EXTENDED_STATES = '/var/lib/apt/extended_states';
export const DPKG_ARCH = '/var/lib/dpkg/arch';
const SOURCES_LIST = '/etc/apt/sources.list';
const SOURCES_D = '/etc/apt/sources.list.d';
const PREFERENCES = '/etc/apt/preferences';
const PREFERENCES_D = '/etc/apt/preferences.d';
const APT_CONF = '/etc/apt/apt.conf';
const APT_CONF_D = '/etc/apt/apt.conf.d';
const TRUSTED = '/etc/apt/trusted.gpg';
const TRUSTED_D = '/etc/apt/trusted.gpg.d';

/** ROOT + a path of the captured system. */
export const underRoot = (root: string, path: string): string => posix.join(root, path);

// apt's GetListOfFilesInDir: names of [A-Za-z0-9_.-] only, with the expected extension
// (preferences.d: "pref" or none); anything else (*.save, *.dpkg-old, *.disabled) is ignored.
const VALID_NAME = /^[A-Za-z0-9_.-]+$/;
export const isSourcesPart = (name: string): boolean => VALID_NAME.test(name) && /\.(list|sources)$/.test(name);
export const isPreferencesPart = (name: string): boolean => VALID_NAME.test(name) && !name.startsWith('.') && (!name.includes('.') || name.endsWith('.pref'));
// apt.conf.d: no extension or ".conf" (apt's ConfigDir).
export const isConfPart = (name: string): boolean => VALID_NAME.test(name) && !name.startsWith('.') && (!name.includes('.') || name.endsWith('.conf'));
export const isTrustedPart = (name: string): boolean => VALID_NAME.test(name) && /\.(gpg|asc)$/.test(name);

async function listDir(r: ReadOnlyRunner, path: string): Promise<string[]> {
  return (await r.exists(path)) ? r.readDir(path) : [];
}

async function readTextFiles(r: ReadOnlyRunner, root: string, single: string, dir: string, accept: (n: string) => boolean): Promise<TextFile[]> {
  const paths = [single, ...(await listDir(r, underRoot(root, dir))).filter(accept).map((n) => `${dir}/${n}`)];
  const files: TextFile[] = [];
  for (const path of paths) {
    const text = await r.readFileOptional(underRoot(root, path));
    if (text !== undefined) files.push({ path, text });
  }
  return files;
}

/** A whole file's bytes through the runner (readBytes reads a range). */
export async function readWholeFile(r: ReadOnlyRunner, path: string): Promise<Uint8Array> {
  const chunk = 1 << 20;
  const parts: Uint8Array[] = [];
  for (let offset = 0; ; offset += chunk) {
    const part = await r.readBytes(path, offset, chunk);
    parts.push(part);
    if (part.length < chunk) break;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A key file of the captured system. With --root, `r` is the capture's confined runner
 * (core/confine): ROOT/path and every symlink on the way resolve inside ROOT.
 */
async function readKey(r: ReadOnlyRunner, root: string, path: string): Promise<KeyRead> {
  const at = underRoot(root, path);
  if (!(await r.exists(at))) return { missing: `key file ${path} does not exist` };
  return { bytes: await readWholeFile(r, at) };
}

/** The state files, or undefined when ROOT has no dpkg database (not a Debian-family system). */
export async function gatherApt(r: ReadOnlyRunner, root: string): Promise<AptFacts | undefined> {
  const status = await r.readFileOptional(underRoot(root, STATUS));
  if (status === undefined) return undefined;
  const [extendedStates, archFile, sources, preferences, aptConf] = await Promise.all([
    r.readFileOptional(underRoot(root, EXTENDED_STATES)),
    r.readFileOptional(underRoot(root, DPKG_ARCH)),
    readTextFiles(r, root, SOURCES_LIST, SOURCES_D, isSourcesPart),
    readTextFiles(r, root, PREFERENCES, PREFERENCES_D, isPreferencesPart),
    readTextFiles(r, root, APT_CONF, APT_CONF_D, isConfPart),
  ]);
  const globalKeys = [
    ...((await r.exists(underRoot(root, TRUSTED))) ? [TRUSTED] : []),
    ...(await listDir(r, underRoot(root, TRUSTED_D))).filter(isTrustedPart).map((n) => `${TRUSTED_D}/${n}`),
  ];
  const keyPaths = [...new Set([...globalKeys, ...signedByPaths(parseSources(sources))])];
  const keys = new Map<string, KeyRead>();
  for (const p of keyPaths) keys.set(p, await readKey(r, root, p));
  return { status, extendedStates, archFile, sources, preferences, aptConf, globalKeys, keys };
}

export interface KeyFile {
  /** Relative to the host's folder in the manifest repository: apt-keys/<path on the system>. */
  readonly file: string;
  readonly bytes: Uint8Array;
  /** Permission bits in the captured tree: the stored copy keeps them. */
  readonly mode: number;
}

/**
 * The public key files a packages section references, for the capture service to store: read
 * inside `root` (core/confine readInRoot: never a host file), with their modes.
 */
export async function readAptKeyFiles(
  root: string | RootFs,
  keys: ReadonlyArray<{ path: string; file?: string }>,
  read: (root: string | RootFs, path: string) => Promise<InRootFile | undefined> = readInRoot,
): Promise<KeyFile[]> {
  const out: KeyFile[] = [];
  for (const k of keys) {
    if (k.file === undefined) continue;
    const got = await read(root, k.path);
    if (got === undefined) throw new UserError('REFUSED', `apt key file ${k.path} disappeared while it was captured`, { hint: 'run the capture again' });
    out.push({ file: k.file, bytes: got.bytes, mode: got.mode });
  }
  return out;
}
