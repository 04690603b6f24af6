// `expect` of a dataset: {files, bytes, listingSha256} over the selected files under its path,
// computed at capture and compared after a restore.
//
// The listing: one line per selected entry, sorted by the bytes of the relative path:
//   regular file                 JSON(path) SP size LF
//   git-annex annexed file       JSON(path) SP size LF   (a symlink into .git/annex/objects/; the
//                                                          size comes from the key, -s<bytes>, so
//                                                          it counts whether the content is here or not,
//                                                          and equals the line of the unlocked file)
//   other symlink                JSON(path) SP "->" SP JSON(target) LF   (not counted in files/bytes)
// Modification times are deliberately NOT in it: git-annex checkouts, `cp`, and several restore
// paths set new mtimes, and a verification that fails on every restore is useless. Content
// changes that keep the size are therefore invisible: this is a listing check, not a checksum.
//
// Incremental: a cache file keeps, per directory, its entries (subdirectories, files with sizes,
// symlinks with targets) keyed by the directory's (dev, ino, mtime, ctime). A directory whose
// key is unchanged is not read again, only lstat'ed. Adding, removing or renaming an entry
// changes the directory's mtime, so those are always seen. A file rewritten IN PLACE (same
// name, new size) does not touch its directory: the cached size stays until something else
// changes that directory; pass statFiles: true to lstat every file (exact, slower). Directories
// changed within `racyWindowMs` of the scan are not cached: file timestamps have jiffy
// granularity, so a change in the same tick would keep the same mtime (git's "racy" problem).
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DatasetExpect } from '../../../core/manifest/types.gen.ts';
import { compileGlob, type CompiledGlob } from '../etc/glob.ts';

export interface ExpectOptions {
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  /** Cache file (JSON); created or replaced atomically. Without it nothing is cached. */
  readonly cachePath?: string;
  /** lstat every file even in unchanged directories (catches in-place rewrites). */
  readonly statFiles?: boolean;
  /** Leave out the top-level .git (a git-annex repository's own data). */
  readonly skipTopGit?: boolean;
  /** Directories modified less than this long before the scan are not cached (default 2000). */
  readonly racyWindowMs?: number;
}

interface DirCache {
  readonly key: string;
  readonly dirs: string[];
  readonly files: Array<[string, number]>;
  readonly links: Array<[string, string]>;
}

interface CacheFile {
  readonly version: 1;
  readonly path: string;
  readonly dirs: Record<string, DirCache>;
}

export interface ExpectStats {
  readonly dirsRead: number;
  readonly dirsFromCache: number;
}

const ANNEX = /(?:^|\/)\.git\/annex\/objects\/.*\/([^/]+)$/;

/** Size from a git-annex key (BACKEND-s<size>[-m<mtime>][-S…-C…]--name), when the key has one. */
export function annexKeySize(key: string): number | undefined {
  const head = key.split('--')[0] ?? '';
  const m = /-s(\d+)(?:-|$)/.exec(head);
  return m ? Number(m[1]) : undefined;
}

async function loadCache(cachePath: string | undefined, path: string): Promise<Record<string, DirCache>> {
  if (cachePath === undefined) return {};
  try {
    const c = JSON.parse(await readFile(cachePath, 'utf8')) as CacheFile;
    return c.version === 1 && c.path === path && typeof c.dirs === 'object' ? c.dirs : {};
  } catch {
    return {}; // missing or damaged: a full scan rebuilds it
  }
}

async function saveCache(cachePath: string, path: string, dirs: Record<string, DirCache>): Promise<void> {
  await mkdir(dirname(cachePath), { recursive: true, mode: 0o700 });
  const tmp = `${cachePath}.${process.pid}.tmp`;
  const body: CacheFile = { version: 1, path, dirs };
  await writeFile(tmp, JSON.stringify(body), { mode: 0o600 });
  await rename(tmp, cachePath);
}

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export async function computeExpectDetailed(path: string, options: ExpectOptions = {}): Promise<{ expect: DatasetExpect; stats: ExpectStats }> {
  const include: CompiledGlob[] = (options.include ?? []).map((g) => compileGlob(g));
  const exclude: CompiledGlob[] = (options.exclude ?? []).map((g) => compileGlob(g));
  const old = await loadCache(options.cachePath, path);
  const next: Record<string, DirCache> = {};
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const racyNs = BigInt(options.racyWindowMs ?? 2000) * 1_000_000n;
  const lines: Array<[string, string]> = [];
  let files = 0;
  let bytes = 0;
  let dirsRead = 0;
  let dirsFromCache = 0;

  const selected = (rel: string): boolean => (include.length === 0 || include.some((g) => g.matches(rel))) && !exclude.some((g) => g.matches(rel));

  const walk = async (rel: string): Promise<void> => {
    const abs = rel === '' ? path : join(path, rel);
    const st = await lstat(abs, { bigint: true });
    const key = `${st.dev}:${st.ino}:${st.mtimeNs}:${st.ctimeNs}`;
    let dir = old[rel];
    if (dir !== undefined && dir.key === key && !options.statFiles) {
      dirsFromCache++;
    } else {
      dirsRead++;
      const d: DirCache = { key, dirs: [], files: [], links: [] };
      for (const ent of await readdir(abs, { withFileTypes: true })) {
        const p = join(abs, ent.name);
        if (ent.isDirectory()) d.dirs.push(ent.name);
        else if (ent.isFile()) d.files.push([ent.name, Number((await lstat(p)).size)]);
        else if (ent.isSymbolicLink()) d.links.push([ent.name, await readlink(p)]);
        // sockets, fifos, devices: not data
      }
      dir = d;
    }
    const newest = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
    if (nowNs - newest >= racyNs) next[rel] = dir;
    const child = (name: string): string => (rel === '' ? name : `${rel}/${name}`);
    for (const [name, size] of dir.files) {
      const r = child(name);
      if (!selected(r)) continue;
      lines.push([r, `${JSON.stringify(r)} ${size}\n`]);
      files++;
      bytes += size;
    }
    for (const [name, target] of dir.links) {
      const r = child(name);
      if (!selected(r)) continue;
      const annex = ANNEX.exec(target);
      const size = annex ? annexKeySize(annex[1]!) : undefined;
      if (size !== undefined) {
        lines.push([r, `${JSON.stringify(r)} ${size}\n`]);
        files++;
        bytes += size;
      } else {
        lines.push([r, `${JSON.stringify(r)} -> ${JSON.stringify(target)}\n`]);
      }
    }
    for (const name of [...dir.dirs].sort(byBytes)) {
      const r = child(name);
      if (rel === '' && name === '.git' && options.skipTopGit) continue;
      if (exclude.some((g) => g.matches(`${r}/`))) continue; // everything below an excluded directory is excluded: not walked
      await walk(r);
    }
  };

  await walk('');
  lines.sort((a, b) => byBytes(a[0], b[0]));
  const hash = createHash('sha256');
  for (const [, line] of lines) hash.update(line);
  if (options.cachePath !== undefined) await saveCache(options.cachePath, path, next);
  return { expect: { files, bytes, listingSha256: hash.digest('hex') }, stats: { dirsRead, dirsFromCache } };
}

export async function computeExpect(path: string, options: ExpectOptions = {}): Promise<DatasetExpect> {
  return (await computeExpectDetailed(path, options)).expect;
}
