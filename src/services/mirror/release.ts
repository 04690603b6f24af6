// Pure: a suite's Release file (the text gpgv verified out of InRelease) → the index files a
// partial mirror must carry for some components and architectures, with the size and SHA256
// the Release file gives them. The format is deb822 with multi-line hash lists; see
// https://wiki.debian.org/DebianRepository/Format#A.22Release.22_files
import { ParseError, UserError } from '../../core/errors.ts';

export interface IndexFile {
  /** Path below dists/SUITE/, as the Release file lists it: "main/binary-amd64/Packages.xz". */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface Release {
  readonly origin: string | undefined;
  readonly suite: string | undefined;
  readonly codename: string | undefined;
  readonly architectures: readonly string[];
  readonly components: readonly string[];
  /** Acquire-By-Hash: yes — apt asks for dir/by-hash/SHA256/<hash> first (apt's acquire-item). */
  readonly acquireByHash: boolean;
  readonly validUntil: string | undefined;
  /** Every file of the SHA256 list, by path. */
  readonly sha256: ReadonlyMap<string, IndexFile>;
}

const HASH_LINE = /^\s+([0-9a-f]{64})\s+(\d+)\s+(\S+)\s*$/;

/** Parses the (already verified, armour-free) Release text. */
export function parseRelease(text: string, what: string): Release {
  const fields = new Map<string, string>();
  const sha256 = new Map<string, IndexFile>();
  let current: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (/^\s/.test(line)) {
      if (current !== 'SHA256') continue; // MD5Sum/SHA1 lists and continuation lines we do not need
      const m = HASH_LINE.exec(line);
      if (!m) throw new ParseError(what, `a SHA256 line is not "hash size path": ${JSON.stringify(line.slice(0, 120))}`);
      const path = m[3]!;
      sha256.set(path, { path, size: Number(m[2]), sha256: m[1]! });
      continue;
    }
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (!m) throw new ParseError(what, `not a "Field: value" line: ${JSON.stringify(line.slice(0, 120))}`);
    current = m[1]!;
    fields.set(current, m[2]!.trim());
  }
  if (sha256.size === 0) throw new ParseError(what, 'no SHA256 list of index files');
  const words = (f: string): string[] => (fields.get(f) ?? '').split(/\s+/).filter((w) => w !== '');
  return {
    origin: fields.get('Origin'),
    suite: fields.get('Suite'),
    codename: fields.get('Codename'),
    architectures: words('Architectures'),
    components: words('Components'),
    acquireByHash: (fields.get('Acquire-By-Hash') ?? '').toLowerCase() === 'yes',
    validUntil: fields.get('Valid-Until'),
    sha256,
  };
}

/**
 * apt reads the best compression the Release file lists and falls back to the others; one is
 * enough, and xz is what apt prefers (Acquire::CompressionTypes::Order, apt.conf(5)).
 * Byte-identical files keep the Release file's hashes valid, so apt accepts the mirror.
 */
const PREFERRED = ['.xz', '.gz', '.bz2', '.lzma', '.zst', ''] as const;

/**
 * The index files of `components` × `architectures` in this suite: the Packages index (one
 * compression) and the small per-directory Release file when listed. An architecture or a
 * component the main suite does not have is the user's error (wrong manifest, a release the
 * archive dropped), said in words; an auxiliary suite (updates, security) carries only some
 * of them, and `optional` skips what it lacks. The security suite names its components
 * "updates/main" but keeps their files under main/ (hence the look-up by path).
 */
export function indexFilesFor(release: Release, suite: string, components: readonly string[], architectures: readonly string[], optional = false): IndexFile[] {
  const out: IndexFile[] = [];
  for (const a of architectures) {
    if (!optional && !release.architectures.includes(a)) {
      throw new UserError('REFUSED', `the archive's suite ${suite} has no architecture ${a} (it has: ${release.architectures.join(' ') || 'none listed'})`, {
        hint: 'check packages.architecture in the manifest; a release or architecture the archive no longer carries cannot be mirrored from it',
      });
    }
    for (const c of components) {
      const dir = `${c}/binary-${a}`;
      const packages = PREFERRED.map((ext) => release.sha256.get(`${dir}/Packages${ext}`)).find((f) => f !== undefined);
      if (packages === undefined) {
        if (optional) continue;
        throw new UserError('REFUSED', `the archive's suite ${suite} has no ${dir}/Packages index (components: ${release.components.join(' ')})`, {
          hint: 'check the components of packages.sources in the manifest',
        });
      }
      out.push(packages);
      const small = release.sha256.get(`${dir}/Release`);
      if (small) out.push(small);
    }
  }
  return out;
}

/** Where apt looks first when the suite says Acquire-By-Hash: next to the file, by-hash/SHA256/<hash>. */
export function byHashPath(file: IndexFile): string {
  const slash = file.path.lastIndexOf('/');
  return `${file.path.slice(0, slash + 1)}by-hash/SHA256/${file.sha256}`;
}
