// The partial mirror on disk: DIR/dists/SUITE/… and DIR/pool/… at the archive's own paths,
// DIR/.partial/ for downloads in flight (moved into place only once apt-helper has checked
// their hash: the tree never holds a half-written or unverified file), and a marker file
// that tells a rerun the directory is a mirror this command made (any other non-empty
// directory is refused: the rerun prunes unneeded .debs, which must never hit user files).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../../core/errors.ts';

export const MARKER = 'sysmanifest-mirror.json';
export const SOURCES_FILE = 'mirror.sources';
export const PARTIAL = '.partial';

/** apt writes the mirror's path into URIs and sources lines: only plain characters, so that nothing needs quoting. */
export function checkOutDir(dir: string): void {
  if (!dir.startsWith('/') || !/^[A-Za-z0-9._+~/-]+$/.test(dir) || dir.split('/').includes('..')) {
    throw new UserError('USAGE', `--out ${JSON.stringify(dir)}: give an absolute path of letters, digits and . _ + ~ - / only`, { hint: 'apt takes the mirror as a file: URI and a sources.list line; keep its path plain' });
  }
}

/** Creates DIR, or accepts it when it is empty or a mirror made by this command; true when this run created it. */
export async function prepareOutDir(dir: string): Promise<boolean> {
  checkOutDir(dir);
  const s = await stat(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
  if (s !== undefined) {
    if (!s.isDirectory()) throw new UserError('USAGE', `--out ${dir}: exists and is not a directory`);
    const entries = await readdir(dir);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new UserError('REFUSED', `--out ${dir}: the directory is not empty and is not a mirror made by sysmanifest (no ${MARKER})`, { hint: 'give a new or empty directory' });
    }
  }
  await mkdir(join(dir, PARTIAL, 'files'), { recursive: true });
  // Claimed at once, so that a run interrupted before the end can be resumed into the same
  // directory; `complete` turns true only when the mirror is whole.
  if (!(await stat(join(dir, MARKER)).catch(() => undefined))) await writeAtomically(join(dir, MARKER), `${JSON.stringify({ format: 1, complete: false })}\n`);
  return s === undefined;
}

/**
 * After a failure: downloads in flight are dropped; a directory this run created and that
 * holds nothing yet (no dists/, no pool/) is removed, so a refused manifest leaves no trace.
 * What was downloaded stays, for the rerun to reuse.
 */
export async function cleanUpAfterFailure(dir: string, created: boolean): Promise<void> {
  await removePartial(dir);
  if (!created) return;
  const entries = await readdir(dir).catch(() => [] as string[]);
  if (entries.every((e) => e === MARKER)) await rm(dir, { recursive: true, force: true });
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Is `path` already there with this size and SHA256 (the hash the signed index gives it)? */
export async function hasFile(path: string, size: number, sha256: string): Promise<boolean> {
  const s = await stat(path).catch(() => undefined);
  if (s === undefined || !s.isFile() || s.size !== size) return false;
  return (await sha256File(path)) === sha256;
}

/** Moves a checked download into place (same file system: an atomic rename). */
export async function place(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await rename(from, to);
}

/** A by-hash/SHA256/<hash> entry beside an index file: a hard link, as the archive serves the same bytes there. */
export async function linkByHash(file: string, byHash: string): Promise<void> {
  await mkdir(dirname(byHash), { recursive: true });
  await unlink(byHash).catch(() => undefined);
  await link(file, byHash);
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

/** Removes the pool's .debs that the current resolution no longer needs (an older version after an update). */
export async function prunePool(dir: string, keep: ReadonlySet<string>): Promise<number> {
  let removed = 0;
  for (const p of await walk(join(dir, 'pool'))) {
    const rel = p.slice(dir.length + 1);
    if ((rel.endsWith('.deb') || rel.endsWith('.udeb')) && !keep.has(rel)) {
      await unlink(p);
      removed++;
    }
  }
  return removed;
}

export async function writeAtomically(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

export async function removePartial(dir: string): Promise<void> {
  await rm(join(dir, PARTIAL), { recursive: true, force: true });
}

/** Total bytes of the files under dir (for the report). */
export async function treeBytes(dir: string): Promise<number> {
  // by-hash entries are hard links: count each inode once, as du(1) does.
  const seen = new Set<number>();
  let total = 0;
  for (const p of await walk(dir)) {
    const s = await stat(p);
    if (!seen.has(s.ino)) total += s.size;
    seen.add(s.ino);
  }
  return total;
}
