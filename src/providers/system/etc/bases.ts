// Merge bases recorded at capture (issue 15), read-only. For /etc, "ours" in a later merge is
// what the /etc repository holds; the base is the file as the installed package version shipped
// it, for every file that needs one:
//   - a modified owned file (conffile or md5sums-listed) and a deleted conffile: extracted from
//     the package's .deb — ROOT/var/cache/apt/archives/<apt's file name>, or (running system
//     only) a download of that exact version — checked to be that package and version
//     (dpkg-deb --field) and verified against the md5 dpkg recorded (status Conffiles, else the
//     package's md5sums). Anything else: the entry is `unavailable`, with what was tried.
//   - a file managed by ucf(1) (sshd_config: written by a maintainer script, unknown to dpkg as
//     a conffile, so tracked as unowned): ucf's copy of the pristine version,
//     ROOT/var/lib/ucf/cache/:etc:ssh:sshd_config, verified against ucf's hashfile.
// For homes: every regular file under ROOT/etc/skel, by sha256.
// A --root tree is hostile: its files are read through core/confine, its apt configuration is
// never run (only its cache is read), a .deb is a file handed to dpkg-deb and tar, whose output
// is bounded. Nothing here fails the capture for a missing base.
import { join } from 'node:path';
import { readInRoot, relativePathProblem, RootFs } from '../../../core/confine/index.ts';
import { isUserError, UserError } from '../../../core/errors.ts';
import { checkBasesIndex, MAX_BASE_BYTES, sha256hex, type BaseEntry, type BasesIndex } from '../../../core/repo/bases.ts';
import { aptDownload } from '../../../core/runner/apt-download.ts';
import { readOnlyPipeline } from '../../../core/runner/pipe.ts';
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import { parseDebFields, parseStatusPackages, parseUcfHashfile, parseUcfRegistry, type StatusPackage } from './parse.ts';
import { computeEtcTree, md5hex, type EtcTree } from './tree.ts';

export const APT_ARCHIVES = '/var/cache/apt/archives';
const UCF = '/var/lib/ucf';
/** dpkg states in which a package's files are on disk as its version shipped them. */
const ON_DISK: ReadonlySet<string> = new Set(['installed', 'half-configured', 'triggers-awaited', 'triggers-pending']);
const CONFIG_FILES: ReadonlySet<string> = new Set(['config-files']);

/**
 * apt's QuoteString (apt-pkg/contrib/strutl.cc): "%" + two lower-case hex digits for each byte
 * in `bad`, "%" itself, and anything outside printable ASCII.
 */
function aptQuote(s: string, bad: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += bad.includes(c) || c === '%' || b <= 0x20 || b >= 0x7f ? `%${b.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}

/**
 * The file name apt stores a downloaded package under (pkgAcqArchive in apt-pkg/acquire-item.cc):
 * name_version_arch.deb with "_" and ":" quoted in name and version (the epoch's ":" as "%3a")
 * and also "." in the architecture.
 */
export function debArchiveName(name: string, version: string, arch: string): string {
  return `${aptQuote(name, '_:')}_${aptQuote(version, '_:')}_${aptQuote(arch, '_:.')}.deb`;
}

export interface BaseOwner {
  readonly pkg: StatusPackage;
  /** dpkg's md5 of the shipped file. */
  readonly md5: string;
}

/** The installed package (and dpkg's md5) a base of `abs` comes from, or why there is none. */
export function baseOwner(abs: string, tree: EtcTree, packages: ReadonlyMap<string, readonly StatusPackage[]>): BaseOwner | { problem: string; owner?: BaseOwner } {
  const dpkg = tree.dpkgEtc;
  const pick = (name: string, states: ReadonlySet<string>, arch?: string): StatusPackage | undefined =>
    (packages.get(name) ?? []).filter((p) => states.has(p.state) && p.version !== '' && (arch === undefined || p.arch === arch || p.arch === 'all')).sort((a, b) => (a.arch < b.arch ? -1 : 1))[0];
  const installed = (name: string, arch?: string): StatusPackage | undefined => pick(name, ON_DISK, arch);
  const conffiles = dpkg.conffiles.get(abs);
  if (conffiles !== undefined) {
    // A conffile listed by two packages (moved between them): the installed, current owner.
    for (const c of conffiles) {
      const pkg = installed(c.pkg);
      if (pkg && !c.obsolete && c.md5 !== undefined) return { pkg, md5: c.md5 };
    }
    // A removed package's conffiles stay (config-files state, its Version kept): that version's .deb has them.
    for (const c of conffiles) {
      const pkg = pick(c.pkg, CONFIG_FILES);
      if (pkg && !c.obsolete && c.md5 !== undefined) return { pkg, md5: c.md5 };
    }
    // An obsolete conffile: the installed version no longer ships it; its .deb cannot give the base.
    for (const c of conffiles) {
      const pkg = installed(c.pkg) ?? pick(c.pkg, CONFIG_FILES);
      if (pkg && c.md5 !== undefined) return { problem: `${pkg.name} ${pkg.version} no longer ships it (an obsolete conffile of an older version)`, owner: { pkg, md5: c.md5 } };
    }
    return { problem: `no package in dpkg's status ships it with a known md5 (${conffiles.map((c) => c.pkg).join(', ')})` };
  }
  const md5 = dpkg.md5sums.get(abs);
  for (const stem of dpkg.owners.get(abs) ?? []) {
    const [name, arch] = stem.split(':') as [string, string | undefined];
    const pkg = installed(name, arch);
    if (pkg && md5 !== undefined) return { pkg, md5 };
  }
  return { problem: md5 === undefined ? 'dpkg has no md5 of the shipped file' : 'its owning package is not installed' };
}

export interface CapturedBases {
  readonly index: BasesIndex;
  /** sha256 → bytes of the bases read in this capture (reused ones are not re-read). */
  readonly blobs: ReadonlyMap<string, Uint8Array>;
  /** /etc bases recorded (with bytes) and unavailable; skel files. */
  readonly counts: { readonly etc: number; readonly unavailable: number; readonly skel: number };
}

export interface PreviousBases {
  readonly index: BasesIndex;
  /** readBaseBlob of the host folder: throws when the blob is missing or damaged. */
  readonly read: (sha256: string) => Promise<Uint8Array>;
}

export interface CaptureBasesOptions {
  /** Reads confined to `root` (core/confine), or the host runner when root is "/". */
  readonly runner: ReadOnlyRunner;
  readonly root: string;
  /** The user's repos.etc.exclude (secrets are not in the /etc repository: no base either). */
  readonly exclude?: readonly string[];
  /** The bases of the last capture: an entry for the same package version and md5 is kept. */
  readonly previous?: PreviousBases;
  /** Whether a .deb missing from the cache may be downloaded (only for the running system). */
  readonly download: boolean;
  /** How long each download may take, in ms (default 120 s). */
  readonly downloadTimeoutMs?: number;
  /** The /etc tree this capture computed already (with `exclude`); else it is computed here. */
  readonly tree?: EtcTree;
}

const why = (e: unknown): string => (isUserError(e) || e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' / ');

interface Need {
  readonly abs: string;
  readonly owner: BaseOwner;
}

/** apt-get's words for a mirror it cannot reach (as opposed to a version the mirror lacks). */
const NO_NETWORK = /timed out|Temporary failure resolving|Could not resolve|Could not connect|Unable to connect|Network is unreachable|Connection (refused|timed out)|Failed to fetch/i;

/** The bases of one package version: from the cache, else (running system) downloaded. */
async function fromPackage(o: CaptureBasesOptions, fs: RootFs, state: { offline?: string }, pkg: StatusPackage, needs: readonly Need[], out: Map<string, BaseEntry>, blobs: Map<string, Uint8Array>): Promise<void> {
  const name = debArchiveName(pkg.name, pkg.version, pkg.arch);
  const inCache = join(APT_ARCHIVES, name);
  const fail = (reason: string, only?: readonly Need[]): void => {
    for (const n of only ?? needs) out.set(n.abs, { package: pkg.name, version: pkg.version, md5: n.owner.md5, unavailable: reason });
  };
  // No Debian name, version or architecture has a "/" (deb-version(7)); one from a hostile status would make a path.
  if (name.includes('/')) return fail(`${JSON.stringify(`${pkg.name} ${pkg.version} ${pkg.arch}`)} is not a Debian package name, version and architecture`);
  let deb: string | undefined;
  let cleanup: (() => void) | undefined;
  let tried = `${name} is not in ${APT_ARCHIVES}`;
  const cached = await fs.resolve(inCache);
  if (cached !== undefined && cached.stat.type === 'file') deb = cached.path;
  else if (cached !== undefined) tried = `${inCache} is not a regular file`;
  if (deb === undefined && !o.download) return fail(`${tried} (the apt configuration of a --root tree is never run to download it)`);
  if (deb === undefined) {
    const spec = `${pkg.name}${pkg.arch === 'all' ? '' : `:${pkg.arch}`}=${pkg.version}`;
    if (state.offline !== undefined) return fail(`${tried}; not downloaded, since an earlier download failed: ${state.offline}`);
    try {
      const got = await aptDownload(spec, o.downloadTimeoutMs);
      deb = got.deb;
      cleanup = got.cleanup;
    } catch (e) {
      // No network (a live system, a guest): one wait for it per capture, not one per package.
      if (NO_NETWORK.test(why(e))) state.offline = why(e);
      return fail(`${tried}, and apt-get download ${spec} failed: ${why(e)}`);
    }
  }
  const shown = cleanup ? `the downloaded ${name}` : inCache;
  const quiet = (text: string): string => text.split(deb!).join(shown);
  try {
    let fields;
    try {
      fields = parseDebFields((await o.runner.run(['dpkg-deb', '--field', deb, 'Package', 'Version', 'Architecture'])).stdout, `dpkg-deb --field ${shown}`);
    } catch (e) {
      return fail(`${shown} is not a readable package: ${quiet(why(e))}`);
    }
    const got = `${fields.get('Package')} ${fields.get('Version')} ${fields.get('Architecture')}`;
    if (got !== `${pkg.name} ${pkg.version} ${pkg.arch}`) return fail(`${shown} is ${got}, not the installed ${pkg.name} ${pkg.version} ${pkg.arch}`);
    for (const n of needs) {
      let bytes: Buffer;
      try {
        // The data member's paths are "./etc/…" (dpkg-deb(1) --fsys-tarfile; deb(5)).
        bytes = await readOnlyPipeline([['dpkg-deb', '--fsys-tarfile', deb], ['tar', '--extract', '--to-stdout', '--file=-', '--no-wildcards', '--', `.${n.abs}`]], { maxBytes: MAX_BASE_BYTES, timeoutMs: 120_000 });
      } catch (e) {
        fail(`${n.abs} could not be extracted from ${shown}: ${quiet(why(e))}`, [n]);
        continue;
      }
      const md5 = md5hex(bytes);
      if (md5 !== n.owner.md5) {
        fail(`${n.abs} in ${shown} has md5 ${md5}, not the ${n.owner.md5} dpkg recorded`, [n]);
        continue;
      }
      const sha256 = sha256hex(bytes);
      blobs.set(sha256, bytes);
      out.set(n.abs, { package: pkg.name, version: pkg.version, md5, sha256 });
    }
  } finally {
    cleanup?.();
  }
}

/** ucf-managed files tracked in the /etc repository: ucf's pristine copy, by its hashfile. */
async function fromUcf(o: CaptureBasesOptions, fs: RootFs, tree: EtcTree, packages: ReadonlyMap<string, readonly StatusPackage[]>, out: Map<string, BaseEntry>, blobs: Map<string, Uint8Array>): Promise<void> {
  const [registry, hashfile] = await Promise.all([o.runner.readFileOptional(join(o.root, UCF, 'registry')), o.runner.readFileOptional(join(o.root, UCF, 'hashfile'))]);
  if (registry === undefined) return;
  const hashes = parseUcfHashfile(hashfile ?? '');
  for (const [abs, pkgName] of [...parseUcfRegistry(registry)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!abs.startsWith('/etc/') || tree.blobs.get(abs.slice('/etc/'.length))?.why !== 'unowned') continue;
    const pkg = (packages.get(pkgName) ?? []).find((p) => ON_DISK.has(p.state));
    const md5 = hashes.get(abs);
    if (pkg === undefined || md5 === undefined) continue; // no version or no record to verify against: not a base
    const entry = { package: pkg.name, version: pkg.version, md5 };
    // ucf's cache: the path with every "/" written ":" (ucf(1), --three-way).
    const cache = join(UCF, 'cache', abs.replaceAll('/', ':'));
    let file;
    try {
      file = await readInRoot(fs, cache, MAX_BASE_BYTES);
    } catch (e) {
      out.set(abs, { ...entry, unavailable: `${cache}: ${why(e)}` });
      continue;
    }
    if (file === undefined) {
      out.set(abs, { ...entry, unavailable: `ucf keeps no pristine copy (${cache} is missing)` });
      continue;
    }
    const got = md5hex(file.bytes);
    if (got !== md5) {
      out.set(abs, { ...entry, unavailable: `${cache} has md5 ${got}, not the ${md5} of ucf's hashfile` });
      continue;
    }
    const sha256 = sha256hex(file.bytes);
    blobs.set(sha256, file.bytes);
    out.set(abs, { ...entry, sha256 });
  }
}

/** Every regular file under ROOT/etc/skel (symlinks not followed, names a repository can hold). */
async function captureSkel(o: CaptureBasesOptions, fs: RootFs, blobs: Map<string, Uint8Array>): Promise<Record<string, { sha256: string }>> {
  const skel = await fs.resolve('/etc/skel');
  if (skel === undefined || skel.stat.type !== 'dir') return {};
  // find -P (the default) follows no symlink below the resolved directory.
  const out = (await o.runner.run(['find', skel.path, '-mindepth', '1', '-printf', '%y\\0%P\\0'])).stdout.split('\0');
  const entries: Record<string, { sha256: string }> = {};
  for (let i = 0; i + 1 < out.length; i += 2) {
    const [type, rel] = [out[i]!, out[i + 1]!];
    if (type !== 'f' || relativePathProblem(rel) !== undefined) continue;
    let file;
    try {
      file = await readInRoot(fs, `/etc/skel/${rel}`, MAX_BASE_BYTES);
    } catch (e) {
      if (isUserError(e)) continue; // larger than a base may be, or swapped meanwhile: not a skel file to merge
      throw e;
    }
    if (file === undefined) continue;
    const sha256 = sha256hex(file.bytes);
    blobs.set(sha256, file.bytes);
    entries[rel] = { sha256 };
  }
  return entries;
}

/** Reuses the previous capture's bases of the same package version and md5 (blob intact). */
async function reusable(o: CaptureBasesOptions, abs: string, owner: BaseOwner): Promise<BaseEntry | undefined> {
  const prev = o.previous?.index.etc[abs];
  if (prev?.sha256 === undefined || prev.package !== owner.pkg.name || prev.version !== owner.pkg.version || prev.md5 !== owner.md5) return undefined;
  try {
    const bytes = await o.previous!.read(prev.sha256);
    return md5hex(bytes) === owner.md5 ? prev : undefined;
  } catch (e) {
    if (e instanceof UserError) return undefined;
    throw e;
  }
}

export async function captureBases(o: CaptureBasesOptions): Promise<CapturedBases> {
  const fs = new RootFs(o.root);
  const blobs = new Map<string, Uint8Array>();
  const etc = new Map<string, BaseEntry>();
  const tree = o.tree ?? (await computeEtcTree(o.runner, o.root, o.exclude));
  const status = tree.dpkg ? await o.runner.readFileOptional(join(o.root, 'var/lib/dpkg/status')) : undefined;
  if (status !== undefined) {
    const packages = parseStatusPackages(status);
    const wanted = [...[...tree.blobs].filter(([, b]) => b.why === 'modified').map(([rel]) => `/etc/${rel}`), ...tree.deleted].sort();
    const byPackage = new Map<string, { pkg: StatusPackage; needs: Need[] }>();
    for (const abs of wanted) {
      const owner = baseOwner(abs, tree, packages);
      if ('problem' in owner) {
        // Said in the index when there is a package and version to name; a file no package in
        // dpkg's status accounts for has no version to fetch and is left out.
        if (owner.owner) etc.set(abs, { package: owner.owner.pkg.name, version: owner.owner.pkg.version, md5: owner.owner.md5, unavailable: owner.problem });
        continue;
      }
      const kept = await reusable(o, abs, owner);
      if (kept) {
        etc.set(abs, kept);
        continue;
      }
      const key = `${owner.pkg.name}:${owner.pkg.arch}=${owner.pkg.version}`;
      const group = byPackage.get(key) ?? { pkg: owner.pkg, needs: [] };
      group.needs.push({ abs, owner });
      byPackage.set(key, group);
    }
    const state: { offline?: string } = {};
    for (const key of [...byPackage.keys()].sort()) {
      const { pkg, needs } = byPackage.get(key)!;
      await fromPackage(o, fs, state, pkg, needs, etc, blobs);
    }
    await fromUcf(o, fs, tree, packages, etc, blobs);
  }
  const skel = await captureSkel(o, fs, blobs);
  // A hostile status file can name paths ("/etc/../x") or versions the index cannot hold: those
  // entries are left out rather than failing the capture when the index is written.
  for (const [abs, entry] of etc) {
    try {
      checkBasesIndex({ format: 1, etc: { [abs]: entry }, skel: {} }, 'entry');
    } catch (e) {
      if (!isUserError(e)) throw e;
      etc.delete(abs);
    }
  }
  const referenced = new Set([...[...etc.values()].flatMap((e) => (e.sha256 ? [e.sha256] : [])), ...Object.values(skel).map((x) => x.sha256)]);
  for (const name of [...blobs.keys()]) if (!referenced.has(name)) blobs.delete(name);
  const sorted = Object.fromEntries([...etc].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const unavailable = [...etc.values()].filter((e) => e.unavailable !== undefined).length;
  return {
    index: { format: 1, etc: sorted, skel },
    blobs,
    counts: { etc: etc.size - unavailable, unavailable, skel: Object.keys(skel).length },
  };
}
