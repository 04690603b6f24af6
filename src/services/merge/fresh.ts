// Reading "theirs": the fresh system's file at a path, never following a symbolic link —
// neither in the last component (a link is a link, and its target is what is compared) nor on
// the way (a path that passes through a link is reported, not read: `merge apply` would have
// to write through it). Files larger than the cap are not merged.
import { sha256hex } from '../../core/repo/bases.ts';
import { constants as fsc } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Side, TheirsFact } from './types.ts';

export const MAX_MERGE_FILE = 64 * 2 ** 20;

/** sha256 of bytes, or of a link target's text. */
export const sha256 = (b: Uint8Array | string): string => sha256hex(typeof b === 'string' ? Buffer.from(b) : b);

export interface FreshRead {
  readonly side: Side;
  readonly fact: TheirsFact;
}

const absent: FreshRead = { side: { kind: 'absent' }, fact: { kind: 'absent' } };

/**
 * What each directory on the way is, literally (lstat, never following): a path under a
 * symbolic link is not read (apply would write through the link), and the walk is cached
 * per directory (thousands of files share a few hundred directories).
 */
export class FreshTree {
  readonly root: string;
  private readonly dirs = new Map<string, Promise<'dir' | 'missing' | string>>();
  constructor(root: string) {
    this.root = posix.resolve(root);
  }
  /** 'dir', 'missing', or why it cannot be used. */
  dir(abs: string): Promise<'dir' | 'missing' | string> {
    if (abs === '/') return Promise.resolve('dir');
    let p = this.dirs.get(abs);
    if (p === undefined) {
      p = (async () => {
        const up = await this.dir(posix.dirname(abs));
        if (up !== 'dir') return up;
        try {
          const st = await lstat(posix.join(this.root, abs));
          if (st.isSymbolicLink()) return `a path through a symbolic link (${abs} is one)`;
          return st.isDirectory() ? 'dir' : `${abs} is not a directory`;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
          throw e;
        }
      })();
      this.dirs.set(abs, p);
    }
    return p;
  }
}

/** `abs` is a path of the fresh system ("/etc/x"). */
export async function readFresh(fs: FreshTree, abs: string): Promise<FreshRead> {
  const literal = posix.join(fs.root, abs);
  const dir = await fs.dir(posix.dirname(abs));
  if (dir === 'missing') return absent;
  if (dir !== 'dir') return other(dir);
  let st;
  try {
    st = await lstat(literal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return absent;
    throw e;
  }
  const owner = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  if (st.isSymbolicLink()) {
    const target = await readlink(literal);
    return { side: { kind: 'link', target }, fact: { kind: 'link', sha256: sha256(target), ...owner } };
  }
  if (st.isDirectory()) return other('directory', owner);
  if (!st.isFile()) return other('device, FIFO or socket', owner);
  if (st.size > MAX_MERGE_FILE) return other(`file larger than ${MAX_MERGE_FILE} bytes`, owner);
  const fh = await open(literal, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  try {
    const data = await fh.readFile();
    return { side: { kind: 'file', data }, fact: { kind: 'file', sha256: sha256(data), ...owner } };
  } finally {
    await fh.close();
  }
}

function other(what: string, owner?: { mode: number; uid: number; gid: number }): FreshRead {
  return { side: { kind: 'other', what }, fact: { kind: 'other', ...owner } };
}
