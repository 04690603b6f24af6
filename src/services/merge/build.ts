// One merge area (/etc, or one user's home) from its candidates: every path "ours" holds, plus
// the ones it deliberately does not (deleted conffiles). What is unchanged on one side is
// settled by hashes before any file of "ours" or any base is read, and before any merge runs:
// theirs is hashed as git hashes blobs and compared with ours' blob id from the tree listing.
import { posix } from 'node:path';
import { RootFs } from '../../core/confine/index.ts';
import { decide } from './decide.ts';
import { clutterOf, type ClutterRule } from './clutter.ts';
import { FreshTree, readFresh, type FreshRead } from './fresh.ts';
import { gitBlobSha1, readBlobs, type TreeEntry } from './git-tree.ts';
import type { StagedContent } from './staging.ts';
import type { AreaName, Entry, Side, StagedArea } from './types.ts';

export interface BaseRef {
  readonly from: 'recorded' | 'skel' | 'first-commit';
  /** A blob of the bases store (recorded, skel), by sha256 … */
  readonly sha256?: string;
  /** … or a blob of the ours repository (first-commit). */
  readonly gitId?: string;
}

export interface Candidate {
  readonly rel: string;
  /** undefined: ours does not have it (a conffile the user deleted: then `base` says what was deleted). */
  readonly ours: TreeEntry | undefined;
  readonly base?: BaseRef;
  readonly newMode?: number;
  readonly newOwner?: { readonly uid: number; readonly gid: number };
  /** Not merged as text, with why (accounts: the users stage's). */
  readonly skip?: string;
  /** With no common ancestor, ours wins instead of a review (the machine's identity: fstab …), with why. */
  readonly oursWithoutBase?: string;
}

export interface BuildOptions {
  readonly root: string;
  /** The area's directory in the fresh system ("/etc", "/home/alice"). */
  readonly dir: string;
  readonly area: AreaName;
  readonly manifest: string;
  readonly gitDir: string;
  readonly candidates: readonly Candidate[];
  readonly clutter: readonly ClutterRule[];
  /** --skip: left as the fresh system has them (outcome skipped, with this rule's why). */
  readonly skip?: readonly ClutterRule[];
  readonly loadBase: (sha256: string) => Promise<Buffer>;
  readonly labels: { readonly ours: string; readonly theirs: string; readonly base: string };
}

const modeOf = (gitMode: string): number => (gitMode === '100755' ? 0o755 : 0o644);

export async function buildArea(o: BuildOptions): Promise<{ area: StagedArea; files: StagedContent[] }> {
  const fs = new FreshTree(o.root);
  const rootFs = new RootFs(o.root);
  const entries: Entry[] = [];
  const files: StagedContent[] = [];
  let unchanged = 0;
  // 1. clutter and skips: decided by name alone.
  const live: Candidate[] = [];
  for (const c of o.candidates) {
    const skipped = clutterOf(o.skip ?? [], c.rel);
    const rule = clutterOf(o.clutter, c.rel);
    if (skipped) entries.push({ path: posix.join(o.dir, c.rel), rel: c.rel, outcome: 'skipped', action: 'none', why: skipped.why, theirs: { kind: 'absent' }, ours: c.ours ? 'file' : 'absent' });
    else if (rule) entries.push({ path: posix.join(o.dir, c.rel), rel: c.rel, outcome: 'clutter', action: 'none', why: rule.why, theirs: { kind: 'absent' }, ours: c.ours ? 'file' : 'absent' });
    else if (c.skip) entries.push({ path: posix.join(o.dir, c.rel), rel: c.rel, outcome: 'skipped', action: 'none', why: c.skip, theirs: { kind: 'absent' }, ours: c.ours ? 'file' : 'absent' });
    else live.push(c);
  }
  // 2. theirs, read and hashed; equal to ours' blob id → nothing to do, nothing else read.
  const fresh = new Map<string, FreshRead>();
  const need: Candidate[] = [];
  // Read a few dozen at a time (thousands of small files: the waits overlap), decided in order.
  const reads = await mapLimit(live, 32, (c) => readFresh(fs, posix.join(o.dir, c.rel)));
  for (const [i, c] of live.entries()) {
    const t = reads[i]!;
    if (c.ours && t.side.kind === 'file' && c.ours.mode !== '120000' && gitBlobSha1(t.side.data) === c.ours.id) {
      unchanged++;
      continue;
    }
    if (c.ours && t.side.kind === 'link' && c.ours.mode === '120000' && gitBlobSha1(Buffer.from(t.side.target)) === c.ours.id) {
      unchanged++;
      continue;
    }
    if (!c.ours && t.side.kind === 'absent') {
      unchanged++;
      continue;
    }
    fresh.set(c.rel, t);
    need.push(c);
  }
  // 3. ours and the bases of what is left, in one batch each.
  const blobs = await readBlobs(o.gitDir, need.flatMap((c) => [...(c.ours ? [c.ours.id] : []), ...(c.base?.gitId ? [c.base.gitId] : [])]));
  for (const c of need) {
    const t = fresh.get(c.rel)!;
    const ours: Side = c.ours === undefined ? { kind: 'absent' } : c.ours.mode === '120000' ? { kind: 'link', target: blobs.get(c.ours.id)!.toString('utf8') } : { kind: 'file', data: blobs.get(c.ours.id)! };
    const base = c.base?.gitId ? blobs.get(c.base.gitId) : c.base?.sha256 ? await o.loadBase(c.base.sha256) : undefined;
    let d = decide(c.rel, base, ours, t.side, o.labels);
    if (ours.kind === 'link' && d !== undefined) {
      // Links are judged by where they lead in the new system: /lib/x and /usr/lib/x are one
      // file on a merged-/usr system; a link to nothing there is not brought back blindly.
      const abs = posix.join(o.dir, c.rel);
      const there = async (target: string): Promise<string | undefined> => (await rootFs.resolve(posix.resolve(posix.dirname(abs), target)).catch(() => undefined))?.path;
      const mine = await there(ours.target);
      if (t.side.kind === 'link' && mine !== undefined && mine === (await there(t.side.target))) d = undefined;
      else if (d.outcome === 'ours' && mine === undefined) d = { outcome: 'review', action: 'none', linkTarget: ours.target, why: `your symbolic link to ${ours.target}, which the new system does not have` };
    }
    if (d === undefined) {
      unchanged++;
      continue;
    }
    if (d.outcome === 'review' && base === undefined && c.oursWithoutBase && ours.kind === 'file' && t.side.kind === 'file') {
      d = { outcome: 'ours', action: 'write', result: ours.data, why: c.oursWithoutBase };
    }
    const path = posix.join(o.dir, c.rel);
    entries.push({
      path,
      rel: c.rel,
      outcome: d.outcome,
      why: d.why,
      action: d.action,
      theirs: t.fact,
      ours: ours.kind as Entry['ours'],
      ...(d.format ? { format: d.format } : {}),
      ...(d.conflicts !== undefined ? { conflicts: d.conflicts } : {}),
      ...(base !== undefined && c.base ? { base: c.base.from } : {}),
      ...(c.ours && c.ours.mode !== '120000' ? { newMode: c.newMode ?? modeOf(c.ours.mode) } : {}),
      ...(c.newOwner ? { newOwner: c.newOwner } : {}),
      ...(d.linkTarget !== undefined ? { linkTarget: d.linkTarget } : ours.kind === 'link' ? { linkTarget: ours.target } : {}),
    });
    if (d.result) files.push({ rel: c.rel, kind: 'result', data: d.result });
    if (d.outcome === 'conflict' || d.outcome === 'review') {
      if (ours.kind === 'file') files.push({ rel: c.rel, kind: 'ours', data: ours.data });
      if (base !== undefined) files.push({ rel: c.rel, kind: 'base', data: base });
    }
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const area: StagedArea = { format: 1, area: o.area, dir: o.dir, root: o.root, manifest: o.manifest, createdAt: new Date().toISOString(), entries, unchanged };
  return { area, files };
}

/** fn over items, at most `limit` in flight; results in the items' order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
