// Pure: what `apt-get install --print-uris -qq -o Acquire::ForceHash=SHA256` prints (one line
// per archive apt would fetch: 'URI' FILENAME SIZE SHA256:HASH, apt-get(8)) → the pool paths
// of the partial mirror. apt resolves against the mirror's own copy of the indexes
// (file://DIR), so every URI starts with file:DIR/ and the rest is the archive's own
// Filename field: pool/main/h/hello/hello_2.10-3_amd64.deb.
import { ParseError } from '../../core/errors.ts';

export interface PoolFile {
  /** The archive path below the mirror root: "pool/main/h/hello/hello_2.10-3_amd64.deb". */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

const LINE = /^'([^']+)' (\S+) (\d+) SHA256:([0-9a-f]{64})$/;

/**
 * A pool path from a signed index is still input: it must stay below pool/ (no "..", no
 * absolute path, nothing but the characters Debian's archive uses in file names).
 */
export function poolPathProblem(path: string): string | undefined {
  if (!path.startsWith('pool/')) return 'does not start with pool/';
  if (!/^[A-Za-z0-9+.~_/-]+$/.test(path)) return 'has a character outside A-Z a-z 0-9 + . ~ _ / -';
  if (path.split('/').some((s) => s === '' || s === '.' || s === '..')) return 'has an empty, "." or ".." component';
  if (!path.endsWith('.deb') && !path.endsWith('.udeb')) return 'is not a .deb';
  return undefined;
}

/** `root` is the file: URI of the mirror as apt prints it ("file:/var/tmp/m"), without a trailing slash. */
export function parsePrintUris(stdout: string, root: string): PoolFile[] {
  const out: PoolFile[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const m = LINE.exec(line);
    if (!m) throw new ParseError('apt-get --print-uris output', `unexpected line ${JSON.stringify(line.slice(0, 160))}`);
    const uri = m[1]!;
    if (!uri.startsWith(`${root}/`)) throw new ParseError('apt-get --print-uris output', `${uri} is not below the mirror ${root}`);
    const path = decodeURIComponent(uri.slice(root.length + 1));
    const problem = poolPathProblem(path);
    if (problem) throw new ParseError('apt-get --print-uris output', `the pool path ${JSON.stringify(path)} ${problem}`);
    out.push({ path, size: Number(m[3]), sha256: m[4]! });
  }
  return out;
}

/** The union of several resolutions, one entry per path (the same path always has the same hash in one mirror). */
export function unionByPath(lists: ReadonlyArray<readonly PoolFile[]>): PoolFile[] {
  const byPath = new Map<string, PoolFile>();
  for (const list of lists) {
    for (const f of list) {
      const seen = byPath.get(f.path);
      if (seen && seen.sha256 !== f.sha256) throw new ParseError('apt-get --print-uris output', `${f.path} has two different SHA256 sums`);
      byPath.set(f.path, f);
    }
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
