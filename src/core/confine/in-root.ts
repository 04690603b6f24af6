// Reading the tree of another system (capture --root R) without ever leaving it. R may hold
// hostile symlinks: /etc/apt/keyrings/x.gpg -> /etc/shadow means R/etc/shadow, never the
// host's. Every component is resolved here, one lstat at a time, with the semantics of
// openat2(2) RESOLVE_IN_ROOT: an absolute symlink target starts again at R, ".." never climbs
// above R, and at most MAX_SYMLINKS symlinks are followed (ELOOP after that, as the kernel's
// MAXSYMLINKS). Node has no openat2, so what is opened afterwards is the resolved host path:
// a tree changed *while* it is captured could still swap a component in between (the final
// component is opened with O_NOFOLLOW by readInRoot). A mounted system image is quiescent.
import { constants as fsc, fstatSync, lstatSync, openSync, closeSync, readlinkSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import { UserError } from '../errors.ts';

/** Linux MAXSYMLINKS (include/linux/namei.h): 40 symlinks per resolution. */
export const MAX_SYMLINKS = 40;

export interface PathStat {
  readonly type: 'file' | 'dir' | 'link' | 'other';
  /** Permission bits (including setuid/setgid/sticky). */
  readonly mode: number;
  readonly size: number;
}

/** The two questions resolution asks the file system; the host's, or a fake one in tests. */
export interface FsProbe {
  /** undefined when nothing is there (ENOENT, or ENOTDIR: a file used as a directory). */
  lstat(path: string): Promise<PathStat | undefined>;
  readLink(path: string): Promise<string>;
}

const typeOf = (s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): PathStat['type'] =>
  s.isSymbolicLink() ? 'link' : s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other';

/** The host's file system, synchronously (as the runner's own reads: page-cache fast). */
export const hostProbe: FsProbe = {
  async lstat(path) {
    try {
      const s = lstatSync(path);
      return { type: typeOf(s), mode: s.mode & 0o7777, size: s.size };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw e;
    }
  },
  async readLink(path) {
    return readlinkSync(path);
  },
};

export interface Resolved {
  /** The host path the captured path resolves to (R + the physical path inside R). */
  readonly path: string;
  /** What is there (lstat: a symlink only when the last component was not followed). */
  readonly stat: PathStat;
}

function refuse(root: string, path: string, why: string): UserError {
  return new UserError('REFUSED', `${JSON.stringify(path)} under ${root}: ${why}`, {
    hint: 'the tree given with --root holds a symlink that cannot be resolved inside it; fix or remove it',
  });
}

/**
 * A resolver for one root. Resolved parent directories are cached: a capture reads thousands
 * of files in a few hundred directories, and the tree does not change during one capture.
 */
export class RootFs {
  readonly root: string;
  private readonly probe: FsProbe;
  private readonly dirs = new Map<string, readonly string[]>();

  constructor(root: string, probe: FsProbe = hostProbe) {
    this.root = posix.resolve(root);
    this.probe = probe;
  }

  private host(stack: readonly string[]): string {
    return stack.length === 0 ? this.root : posix.join(this.root, ...stack);
  }

  /**
   * Walks `queue` (components of a path of the captured system) from the directory `start`
   * (components below root, already resolved); `follow`: whether a symlink in the last
   * component is followed. undefined when the path does not exist inside the root.
   */
  private async walk(path: string, start: readonly string[], queue: string[], follow: boolean): Promise<{ stack: string[]; stat: PathStat } | undefined> {
    const stack = [...start];
    let stat: PathStat | undefined = stack.length === 0 ? { type: 'dir', mode: 0o755, size: 0 } : await this.probe.lstat(this.host(stack));
    if (stat === undefined) return undefined;
    let links = 0;
    while (queue.length > 0) {
      const c = queue.shift()!;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        // Never above the root: "/.." is "/" (path_resolution(7)), and R's "/" is R.
        stack.pop();
        stat = stack.length === 0 ? { type: 'dir', mode: 0o755, size: 0 } : await this.probe.lstat(this.host(stack));
        if (stat === undefined) return undefined;
        continue;
      }
      const last = queue.every((x) => x === '' || x === '.');
      const here = this.host([...stack, c]);
      const st = await this.probe.lstat(here);
      if (st === undefined) return undefined;
      if (st.type === 'link' && (follow || !last)) {
        if (++links > MAX_SYMLINKS) throw refuse(this.root, path, `more than ${MAX_SYMLINKS} symbolic links (a loop?)`);
        const target = await this.probe.readLink(here);
        if (target.includes('\0')) throw refuse(this.root, path, 'a symbolic link target contains NUL');
        if (target.startsWith('/')) stack.length = 0; // absolute: again from the root, not the host's /
        queue.unshift(...target.split('/'));
        continue;
      }
      if (!last && st.type !== 'dir') return undefined; // ENOTDIR: nothing is there
      stack.push(c);
      stat = st;
    }
    return { stack, stat };
  }

  /**
   * Where the captured system's `path` ("/etc/apt/keyrings/x.gpg", absolute or relative to
   * its root; ".." allowed: it is resolved physically and never leaves the root) is, on the
   * host. undefined when it does not exist inside the root (a dangling symlink included).
   */
  async resolve(path: string, follow = true): Promise<Resolved | undefined> {
    if (path.includes('\0')) throw refuse(this.root, path, 'the path contains NUL');
    const parts = path.split('/').filter((c) => c !== '' && c !== '.');
    if (parts.length === 0 || parts.includes('..')) {
      const r = await this.walk(path, [], parts, follow);
      return r && { path: this.host(r.stack), stat: r.stat };
    }
    // Resolution is compositional: resolve(a/b/c) = resolve(resolve(a/b) + c) when a/b is a
    // directory; the parent part is cached.
    const key = parts.slice(0, -1).join('/');
    let dir = this.dirs.get(key);
    if (dir === undefined) {
      const r = await this.walk(path, [], parts.slice(0, -1), true);
      if (r === undefined || r.stat.type !== 'dir') return undefined;
      // Only directories that exist are cached: one that is missing may be created meanwhile
      // (capture --commit makes ROOT/var/lib/sysmanifest/etc.git).
      dir = r.stack;
      this.dirs.set(key, dir);
    }
    const r = await this.walk(path, dir, [parts.at(-1)!], follow);
    return r && { path: this.host(r.stack), stat: r.stat };
  }
}

/**
 * The host path to hand to a tool (git --git-dir=…, find) for `path` of the captured system:
 * the tool follows symlinks itself, so it must be given the path resolved inside `root`.
 * undefined when nothing is there — unless `create`: then the deepest existing ancestor is
 * resolved and the missing names appended (they are plain names: nothing to follow yet), for
 * a tool that creates the path (git init). "/" is the host itself: the path as it is.
 */
export async function toolPathInRoot(root: string, path: string, options: { create?: boolean; probe?: FsProbe } = {}): Promise<string | undefined> {
  if (posix.resolve(root) === '/') return posix.resolve('/', path);
  const fs = new RootFs(root, options.probe);
  const found = await fs.resolve(path);
  if (found !== undefined || !options.create) return found?.path;
  const parts = path.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.includes('..')) return undefined;
  for (let i = parts.length - 1; i >= 0; i--) {
    // A dangling symlink on the way is not "missing": creating through it would leave the root.
    if ((await fs.resolve(parts.slice(0, i + 1).join('/'), false)) !== undefined) return undefined;
    const dir = await fs.resolve(parts.slice(0, i).join('/'));
    if (dir !== undefined) return dir.stat.type === 'dir' ? posix.join(dir.path, ...parts.slice(i)) : undefined;
  }
  return undefined;
}

/** resolveInRoot(R, p): RootFs(R).resolve(p), for one-off use. */
export function resolveInRoot(root: string, path: string, probe: FsProbe = hostProbe): Promise<Resolved | undefined> {
  return new RootFs(root, probe).resolve(path);
}

export interface InRootFile {
  readonly bytes: Uint8Array;
  /** Permission bits of the file in the captured tree (kept when it is copied). */
  readonly mode: number;
}

/** Files read whole are bounded: a hostile tree could name a 100 GB file as an apt key. */
export const MAX_READ = 64 << 20;

/**
 * A regular file of the captured system, read from the host's file system; undefined when it
 * does not exist. A FIFO, socket or device is refused (reading one would block or never end),
 * the final component is opened with O_NOFOLLOW and checked again with fstat.
 */
export async function readInRoot(root: string | RootFs, path: string, limit = MAX_READ): Promise<InRootFile | undefined> {
  const fs = typeof root === 'string' ? new RootFs(root) : root;
  const r = await fs.resolve(path);
  if (r === undefined) return undefined;
  if (r.stat.type !== 'file') throw refuse(fs.root, path, `is not a regular file (${r.stat.type === 'dir' ? 'a directory' : 'a device, FIFO or socket'})`);
  const fd = openSync(r.path, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refuse(fs.root, path, 'changed while it was read (no longer a regular file)');
    if (st.size > limit) throw refuse(fs.root, path, `is larger than ${limit} bytes`);
    const buf = new Uint8Array(st.size);
    let at = 0;
    while (at < buf.length) {
      const n = readSync(fd, buf, at, buf.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return { bytes: buf.subarray(0, at), mode: st.mode & 0o7777 };
  } finally {
    closeSync(fd);
  }
}
