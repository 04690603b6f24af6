// Read-only facts for the /etc repository: the tree under ROOT/etc (one `find` call), what
// dpkg shipped there (status Conffiles, info/*.list, the md5sums of the packages that own
// non-conffiles in /etc), user and group names (ROOT's, not the host's), and the bytes of
// the files that must be compared or tracked.
import { join } from 'node:path';
import { toolPathInRoot } from '../../../core/confine/index.ts';
import { ParseError, UserError } from '../../../core/errors.ts';
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import { infoStem, parseList, parseMd5sums, parseStatusConffiles, type Conffile } from './parse.ts';

export type EntryType = 'f' | 'd' | 'l' | 'p' | 's' | 'c' | 'b';

export interface EtcEntry {
  /** Path relative to /etc, "/"-separated, no leading slash. */
  readonly rel: string;
  readonly type: EntryType;
  /** Permission bits including setuid/setgid/sticky (find -printf %m). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  /** Symlink target (find -printf %l). */
  readonly target?: string;
}

/**
 * `find ROOT/etc -mindepth 1 -name .git -prune -o -printf …` with NUL-separated fields. Every
 * .git is pruned: /etc/.git is etckeeper's, and git refuses paths with a .git component anyway.
 */
export function findArgv(etc: string): string[] {
  return ['find', etc, '-mindepth', '1', '-name', '.git', '-prune', '-o', '-printf', '%y\\0%m\\0%U\\0%G\\0%s\\0%l\\0%P\\0'];
}

export function parseFind(out: string): EtcEntry[] {
  const f = out.split('\0');
  if (f[f.length - 1] === '') f.pop();
  if (f.length % 7 !== 0) throw new ParseError('find -printf output', `${f.length} fields is not a multiple of 7`);
  const entries: EtcEntry[] = [];
  for (let i = 0; i < f.length; i += 7) {
    const [y, m, u, g, s, l, p] = f.slice(i, i + 7) as [string, string, string, string, string, string, string];
    if (!/^[fdlpscb]$/.test(y) || !/^[0-7]+$/.test(m) || !/^\d+$/.test(u) || !/^\d+$/.test(g) || !/^\d+$/.test(s) || p === '') {
      throw new ParseError('find -printf output', JSON.stringify([y, m, u, g, s, l, p]));
    }
    entries.push({ rel: p, type: y as EntryType, mode: parseInt(m, 8), uid: Number(u), gid: Number(g), size: Number(s), ...(y === 'l' ? { target: l } : {}) });
  }
  return entries.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

export async function walkEtc(runner: ReadOnlyRunner, root: string): Promise<EtcEntry[]> {
  // find is given ROOT/etc resolved inside the root (core/confine): ROOT/etc -> /etc must
  // not walk the host's /etc. (find -P itself follows no symlink below it.)
  const etc = await toolPathInRoot(root, '/etc');
  if (etc === undefined) throw new UserError('USAGE', `${join(root, 'etc')} does not exist: ${root} is not the root of an installed system`, { hint: 'with --root, give the directory where the system is mounted' });
  return parseFind((await runner.run(findArgv(etc))).stdout);
}

export interface DpkgEtc {
  /** False when ROOT has no dpkg database: ownership is unknown and every file is tracked. */
  readonly present: boolean;
  readonly conffiles: ReadonlyMap<string, readonly Conffile[]>;
  /** Absolute /etc path → info stems ("pkg" or "pkg:arch") of the packages that list it. */
  readonly owners: ReadonlyMap<string, readonly string[]>;
  /** Absolute /etc path → md5 from the owners' md5sums (only for owned non-conffile paths). */
  readonly md5sums: ReadonlyMap<string, string>;
}

export async function readDpkgEtc(runner: ReadOnlyRunner, root: string, etcPaths: ReadonlySet<string>): Promise<DpkgEtc> {
  const dpkg = join(root, 'var/lib/dpkg');
  const status = await runner.readFileOptional(join(dpkg, 'status'));
  if (status === undefined) return { present: false, conffiles: new Map(), owners: new Map(), md5sums: new Map() };
  const conffiles = parseStatusConffiles(status);
  const info = join(dpkg, 'info');
  const stems = (await runner.readDir(info)).map((f) => infoStem(f, '.list')).filter((s): s is string => s !== undefined);
  const owners = new Map<string, string[]>();
  const lists = await Promise.all(stems.map(async (stem) => [stem, await runner.readFile(join(info, `${stem}.list`))] as const));
  for (const [stem, text] of lists) {
    for (const path of parseList(text)) {
      if (!path.startsWith('/etc/')) continue;
      const o = owners.get(path) ?? [];
      o.push(stem);
      owners.set(path, o);
    }
  }
  // md5sums are only needed for owned regular files that are not conffiles (a handful of packages).
  const need = new Set<string>();
  for (const path of etcPaths) if (!conffiles.has(path)) for (const stem of owners.get(path) ?? []) need.add(stem);
  const md5sums = new Map<string, string>();
  for (const stem of [...need].sort()) {
    const file = join(info, `${stem}.md5sums`);
    const text = await runner.readFileOptional(file);
    if (text === undefined) continue;
    for (const [path, md5] of parseMd5sums(text, file)) if (path.startsWith('/etc/') && !md5sums.has(path)) md5sums.set(path, md5);
  }
  return { present: true, conffiles, owners, md5sums };
}

/** uid → name and gid → name from ROOT/etc/passwd and ROOT/etc/group (not the host's). */
export async function readNames(runner: ReadOnlyRunner, root: string): Promise<{ users: Map<number, string>; groups: Map<number, string> }> {
  const parse = (text: string | undefined): Map<number, string> => {
    const m = new Map<number, string>();
    for (const line of (text ?? '').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && /^\d+$/.test(f[2]!) && !m.has(Number(f[2]))) m.set(Number(f[2]), f[0]!);
    }
    return m;
  };
  const [passwd, group] = await Promise.all([runner.readFileOptional(join(root, 'etc/passwd')), runner.readFileOptional(join(root, 'etc/group'))]);
  return { users: parse(passwd), groups: parse(group) };
}
