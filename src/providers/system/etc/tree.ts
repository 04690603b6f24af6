// What the /etc repository must hold (the desired tree), computed read-only:
//   - files that differ from their package's shipped version (md5 of the conffile in dpkg's
//     status, else of the package's md5sums entry), or whose shipped md5 is unknown;
//   - files and symlinks owned by no package (admin files, alternatives, systemd enablement links);
//   - METADATA_FILE: owner/group/mode of every tracked path, of its parent directories, of
//     unowned directories and of excluded secrets, plus deleted conffiles (see formatMetadata);
//   - never a path matching a secret rule: it is listed for "restore from elsewhere" instead.
// Owned symlinks are not tracked: dpkg records no target for them to compare with.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import { readDpkgEtc, readNames, walkEtc, type DpkgEtc, type EtcEntry } from './gather.ts';
import { secretRules, type CompiledRule } from './secrets.ts';

export const METADATA_FILE = '.sysmanifest-metadata';

export type TrackReason = 'unowned' | 'modified' | 'shipped-unknown';
export type Decision = { readonly track: false; readonly secret?: CompiledRule } | { readonly track: true; readonly why: TrackReason };

export interface TrackedBlob {
  /** git tree mode: 100644, 100755 (owner-executable) or 120000 (symlink). */
  readonly gitMode: '100644' | '100755' | '120000';
  /** git blob id (sha1 of "blob <size>\0" + content; a symlink's content is its target). */
  readonly blob: string;
  readonly why: TrackReason | 'metadata';
}

export interface EtcTree {
  /** rel path → blob, sorted by path; includes METADATA_FILE. */
  readonly blobs: ReadonlyMap<string, TrackedBlob>;
  readonly metadata: string;
  /** Secrets that exist (files and symlinks), sorted: "/etc/…" + the rule's reason. */
  readonly restoreFromElsewhere: ReadonlyArray<{ readonly path: string; readonly why: string }>;
  /** Whether dpkg's database was found (without it every file counts as unowned). */
  readonly dpkg: boolean;
  /** What dpkg says about /etc (conffiles, owners, md5sums): the merge bases are looked up in it. */
  readonly dpkgEtc: DpkgEtc;
  /** Conffiles the administrator deleted ("/etc/…", sorted): `absent` lines of the metadata. */
  readonly deleted: readonly string[];
}

export function gitBlobSha1(content: Uint8Array): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function md5hex(content: Uint8Array): string {
  return createHash('md5').update(content).digest('hex');
}

/** Decides for one entry; `md5` is the file's md5 (only asked for owned regular files with a known shipped md5). */
export function classify(e: EtcEntry, dpkg: DpkgEtc, rules: readonly CompiledRule[], md5?: string): Decision {
  const secret = rules.find((r) => r.matches(e.rel));
  if (secret) return { track: false, secret };
  if (e.type !== 'f' && e.type !== 'l') return { track: false };
  const abs = `/etc/${e.rel}`;
  const owned = dpkg.present ? dpkg.owners.has(abs) || dpkg.conffiles.has(abs) : false;
  if (!owned) return { track: true, why: 'unowned' };
  if (e.type === 'l') return { track: false };
  const shipped = shippedMd5s(abs, dpkg);
  if (shipped.length === 0) return { track: true, why: 'shipped-unknown' };
  if (md5 === undefined) throw new Error(`classify: md5 of ${abs} is needed`);
  return shipped.includes(md5) ? { track: false } : { track: true, why: 'modified' };
}

/** Known shipped md5s of an owned path (a conffile's from status, else the md5sums entry). */
export function shippedMd5s(abs: string, dpkg: DpkgEtc): string[] {
  const c = dpkg.conffiles.get(abs);
  if (c !== undefined) return c.map((x) => x.md5).filter((m): m is string => m !== undefined);
  const m = dpkg.md5sums.get(abs);
  return m === undefined ? [] : [m];
}

const TYPE_WORD: Readonly<Record<string, string>> = { f: 'file', d: 'dir', l: 'link', p: 'fifo', s: 'socket', c: 'chardev', b: 'blockdev' };

function quote(s: string): string {
  return /[\t\n\\"]/.test(s) || s !== s.trim() ? JSON.stringify(s) : s;
}

/**
 * The metadata file, etckeeper's idea (.etckeeper) as a table instead of a shell script:
 * a header, then one tab-separated line per path, sorted by path:
 *   <kind> TAB <mode, 4 octal digits> TAB <owner> TAB <group> TAB <path relative to /etc> [TAB -> <target>]
 * kinds: file, dir, link, fifo, socket, chardev, blockdev; `secret` for an excluded file (its
 * content is not in the repository: restore it from elsewhere, then apply this line); and
 * `absent` (mode/owner/group "-") for a conffile dpkg shipped that the administrator deleted.
 * Owner and group are names from the captured system's passwd/group (numbers when unknown).
 */
export function formatMetadata(lines: ReadonlyArray<{ kind: string; entry?: EtcEntry; rel: string }>, names: { users: Map<number, string>; groups: Map<number, string> }): string {
  const body = [...lines]
    .sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0))
    .map(({ kind, entry, rel }) => {
      if (entry === undefined) return [kind, '-', '-', '-', quote(rel)].join('\t');
      const mode = entry.type === 'l' ? '0777' : entry.mode.toString(8).padStart(4, '0');
      const cols = [kind, mode, names.users.get(entry.uid) ?? String(entry.uid), names.groups.get(entry.gid) ?? String(entry.gid), quote(rel)];
      if (entry.type === 'l' && kind !== 'secret') cols.push(`-> ${quote(entry.target ?? '')}`);
      return cols.join('\t');
    });
  return [
    '# sysmanifest /etc metadata: kind, mode, owner, group, path (relative to /etc) [-> symlink target]',
    '# kinds: file dir link fifo socket chardev blockdev; secret = not stored here, restore from elsewhere; absent = a deleted conffile',
    ...body,
    '',
  ].join('\n');
}

/** Runs fn over items with at most `limit` in flight (a few thousand /etc files must not exhaust file descriptors). */
async function mapLimit<T>(items: readonly T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function ancestors(rel: string): string[] {
  const parts = rel.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

export async function computeEtcTree(runner: ReadOnlyRunner, root: string, exclude: readonly string[] = []): Promise<EtcTree> {
  const rules = secretRules(exclude);
  const entries = (await walkEtc(runner, root)).filter((e) => e.rel !== METADATA_FILE);
  const [dpkg, names] = await Promise.all([readDpkgEtc(runner, root, new Set(entries.filter((e) => e.type === 'f').map((e) => `/etc/${e.rel}`))), readNames(runner, root)]);
  const etc = join(root, 'etc');
  const read = (e: EtcEntry): Promise<Uint8Array> => runner.readBytes(join(etc, e.rel), 0, e.size);

  const blobs = new Map<string, TrackedBlob>();
  const meta: Array<{ kind: string; entry?: EtcEntry; rel: string }> = [];
  const restore: Array<{ path: string; why: string }> = [];
  const metaDirs = new Set<string>();
  const byRel = new Map(entries.map((e) => [e.rel, e]));

  await mapLimit(entries, 32, async (e) => {
      const abs = `/etc/${e.rel}`;
      const compare = e.type === 'f' && !rules.some((r) => r.matches(e.rel)) && dpkg.present && (dpkg.owners.has(abs) || dpkg.conffiles.has(abs)) && shippedMd5s(abs, dpkg).length > 0;
      const bytes = compare ? await read(e) : undefined;
      const d = classify(e, dpkg, rules, bytes === undefined ? undefined : md5hex(bytes));
      if (!d.track) {
        if (d.secret) {
          if (e.type !== 'd') restore.push({ path: abs, why: d.secret.why });
          meta.push({ kind: 'secret', entry: e, rel: e.rel });
          for (const a of ancestors(e.rel)) metaDirs.add(a);
        } else if (e.type !== 'f' && e.type !== 'l' && !(dpkg.present && dpkg.owners.has(abs))) {
          // unowned directories (and special files): their existence and modes matter
          meta.push({ kind: TYPE_WORD[e.type]!, entry: e, rel: e.rel });
          for (const a of ancestors(e.rel)) metaDirs.add(a);
        }
        return;
      }
      const content = e.type === 'l' ? new TextEncoder().encode(e.target ?? '') : (bytes ?? (await read(e)));
      const gitMode = e.type === 'l' ? '120000' : e.mode & 0o100 ? '100755' : '100644';
      blobs.set(e.rel, { gitMode, blob: gitBlobSha1(content), why: d.why });
      meta.push({ kind: TYPE_WORD[e.type]!, entry: e, rel: e.rel });
      for (const a of ancestors(e.rel)) metaDirs.add(a);
  });
  const listed = new Set(meta.map((m) => m.rel));
  for (const dir of metaDirs) {
    const e = byRel.get(dir);
    if (e && !listed.has(dir)) meta.push({ kind: TYPE_WORD[e.type]!, entry: e, rel: dir });
  }
  // Conffiles the administrator deleted (disabling a cron job, a default site…): a real change.
  const deleted: string[] = [];
  for (const [abs, owners] of dpkg.conffiles) {
    if (!abs.startsWith('/etc/') || owners.every((c) => c.obsolete)) continue;
    const rel = abs.slice('/etc/'.length);
    if (!byRel.has(rel) && !rules.some((r) => r.matches(rel))) {
      meta.push({ kind: 'absent', rel });
      deleted.push(abs);
    }
  }
  const metadata = formatMetadata(meta, names);
  blobs.set(METADATA_FILE, { gitMode: '100644', blob: gitBlobSha1(new TextEncoder().encode(metadata)), why: 'metadata' });
  const sorted = new Map([...blobs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  restore.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { blobs: sorted, metadata, restoreFromElsewhere: restore, dpkg: dpkg.present, dpkgEtc: dpkg, deleted: deleted.sort() };
}
