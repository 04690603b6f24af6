// The secrets of a captured system, read ONLY through core/confine: every path is resolved
// inside the root (RootFs, openat2 RESOLVE_IN_ROOT semantics), the bytes are read with
// readInRoot (O_NOFOLLOW, regular files only), owner and group names come from the captured
// system's own passwd and group. A symlink is kept as a symlink (its target is not followed:
// it may point anywhere). Nothing here writes.
import { lstatSync, readlinkSync } from 'node:fs';
import { readInRoot, RootFs } from '../../../core/confine/index.ts';
import { UserError } from '../../../core/errors.ts';
import type { Manifest } from '../../../core/manifest/types.gen.ts';
import type { TarEntry } from './tar.ts';

/** The password hashes: whole files (shadow(5), gshadow(5)), restored by merging by name. */
export const HASH_FILES = ['/etc/shadow', '/etc/gshadow'] as const;

/** Bounds the archive: a hostile tree could list a huge file as a secret. */
export const MAX_TOTAL = 256 << 20;

/** What goes into the archive: the /etc provider's list (repos.etc.restoreFromElsewhere) and the hash files. */
export function secretPaths(manifest: Manifest): string[] {
  const listed = (manifest.repos?.etc?.restoreFromElsewhere ?? []).map((r) => r.path);
  return [...new Set([...listed, ...HASH_FILES])].sort();
}

function names(text: string | undefined): Map<number, string> {
  const m = new Map<number, string>();
  for (const line of (text ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && /^\d+$/.test(f[2]!) && !m.has(Number(f[2]))) m.set(Number(f[2]), f[0]!);
  }
  return m;
}

export interface Gathered {
  readonly entries: TarEntry[];
  /** Listed paths that are not there (any more), or not a file or symlink. */
  readonly skipped: ReadonlyArray<{ readonly path: string; readonly why: string }>;
}

export async function gatherSecrets(root: string, paths: readonly string[]): Promise<Gathered> {
  const fs = new RootFs(root);
  const text = async (p: string): Promise<string | undefined> => {
    const f = await readInRoot(fs, p);
    return f && new TextDecoder().decode(f.bytes);
  };
  const users = names(await text('/etc/passwd'));
  const groups = names(await text('/etc/group'));
  const entries: TarEntry[] = [];
  const skipped: Array<{ path: string; why: string }> = [];
  let total = 0;
  for (const path of [...paths].sort()) {
    const r = await fs.resolve(path, false);
    if (r === undefined) {
      skipped.push({ path, why: 'not present' });
      continue;
    }
    if (r.stat.type !== 'file' && r.stat.type !== 'link') {
      skipped.push({ path, why: r.stat.type === 'dir' ? 'a directory' : 'a device, FIFO or socket' });
      continue;
    }
    const st = lstatSync(r.path);
    const meta = {
      name: path.replace(/^\/+/, ''),
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      uname: users.get(st.uid) ?? '',
      gname: groups.get(st.gid) ?? '',
      mtime: Math.floor(st.mtimeMs / 1000),
    };
    if (r.stat.type === 'link') {
      entries.push({ ...meta, type: 'symlink', mode: 0o777, linkTarget: readlinkSync(r.path, 'utf8') });
      continue;
    }
    const f = await readInRoot(fs, path);
    if (f === undefined) {
      skipped.push({ path, why: 'vanished while it was read' });
      continue;
    }
    total += f.bytes.length;
    if (total > MAX_TOTAL) {
      throw new UserError('REFUSED', `the secrets under ${root} add up to more than ${MAX_TOTAL} bytes (at ${path})`, { hint: 'a secret that large is not a key or a password file: add a narrower glob to repos.etc.exclude, or keep it in a dataset' });
    }
    entries.push({ ...meta, type: 'file', content: f.bytes });
  }
  return { entries, skipped };
}
