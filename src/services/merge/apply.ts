// merge apply / undo / resolve / finish. apply changes the live system only after every
// decision is made (no conflict or review item left unresolved) and after checking that no
// file changed since the merge looked at it; before changing anything it saves each fresh file
// it will replace or delete (saved/, fsynced) and writes applied.json, the list of changes with
// what each path was before. Every write is a temp file in the same directory, chowned and
// chmodded, then renamed over: a crash leaves the old file or the new one. Nothing is written
// through a symbolic link: each path is checked again right before it is written.
// undo puts back exactly what applied.json says was there, byte for byte, with owners and
// modes — and refuses a path the user changed after apply (their edit would be lost), unless
// told with --force.
import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { lchown, lstat, mkdir, open, readFile, rename, rm, rmdir, symlink, unlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../core/repo/files.ts';
import { FreshTree, readFresh, sha256 } from './fresh.ts';
import { saveState, stagedFile } from './staging.ts';
import type { Entry, StagedArea, TheirsFact } from './types.ts';

export interface Change {
  readonly path: string;
  readonly rel: string;
  readonly do: 'write' | 'link' | 'delete';
  /** What was there before (absent: apply created it). */
  readonly before: TheirsFact;
  /** sha256 of what apply put there (file bytes or link target); undefined for a delete. */
  readonly after?: string;
}

const unresolved = (e: Entry): boolean => (e.outcome === 'conflict' || e.outcome === 'review') && e.resolved === undefined;

export function resolveCommand(e: Entry): string {
  return `sysmanifest merge resolve ${e.path} --ours|--theirs|--edit`;
}

/** What apply will do for an entry, after resolutions. */
export function effectiveAction(e: Entry): Entry['action'] {
  if (e.resolved === 'theirs') return 'none';
  if (e.resolved === 'edit') return 'write';
  if (e.resolved === 'ours') return e.ours === 'link' ? 'link' : e.ours === 'absent' ? 'delete' : 'write';
  return e.action;
}

async function writeInPlace(fs: { readonly root: string }, abs: string, data: Uint8Array, mode: number, owner: { uid: number; gid: number }): Promise<void> {
  const literal = posix.join(fs.root, abs);
  const tmp = `${posix.dirname(literal)}/.sysmanifest-merge.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  try {
    await fh.writeFile(data);
    await fh.chown(owner.uid, owner.gid);
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, literal).catch(async (e) => {
    await rm(tmp, { force: true });
    throw e;
  });
}

/** Parent directories of `abs` below the area's directory, made when missing (owner, 0755 or 0700 for .ssh/.gnupg). */
async function ensureParents(root: string, areaDir: string, abs: string, owner: { uid: number; gid: number }): Promise<void> {
  let at = '/';
  for (const part of posix.dirname(abs).split('/').filter(Boolean)) {
    at = posix.join(at, part);
    const literal = posix.join(root, at);
    const st = await lstat(literal).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (st === undefined) {
      // Only below the area's own directory does a merge make directories.
      if (!at.startsWith(`${areaDir}/`)) throw new UserError('REFUSED', `${at} does not exist in ${root}: a merge makes directories only below ${areaDir}`);
      await mkdir(literal, { mode: part === '.ssh' || part === '.gnupg' ? 0o700 : 0o755 });
      await lchown(literal, owner.uid, owner.gid);
    } else if (!st.isDirectory() || st.isSymbolicLink()) {
      throw new UserError('REFUSED', `${at} is not a plain directory in ${root} (a symbolic link or a file): nothing is written through it`);
    }
  }
}

/** Throws the list of open decisions (conflicts, review items), each with its command. */
export function checkDecided(area: StagedArea): void {
  const open = area.entries.filter(unresolved);
  if (open.length) {
    throw new UserError('REFUSED', `${open.length} path(s) of the ${area.area} merge still need a decision; nothing was changed:\n${open.map((e) => `  ${e.path}: ${e.why}\n    ${resolveCommand(e)}`).join('\n')}`, { hint: 'sysmanifest merge status lists them all' });
  }
}

const same = (a: TheirsFact, b: TheirsFact): boolean => a.kind === b.kind && a.sha256 === b.sha256;

/**
 * Applies the decided entries not applied yet. Without `partial`, refused while any decision
 * is open; with it (a rebuild onto a newer release), the decided ones are applied and the open
 * ones stay staged for `merge resolve` and a later `merge apply`.
 */
export async function applyArea(dir: string, area: StagedArea, options: { partial?: boolean } = {}): Promise<{ changes: Change[]; open: number }> {
  if (!options.partial) checkDecided(area);
  const fs = new FreshTree(area.root);
  const open = area.entries.filter(unresolved).length;
  const todo: Array<{ e: Entry; act: Entry['action']; content?: Buffer; after?: string }> = [];
  for (const e of area.entries) {
    const act = effectiveAction(e);
    if (act === 'none' || unresolved(e)) continue;
    const content = act === 'write' ? await readFile(stagedFile(dir, e.resolved === 'ours' ? 'ours' : 'result', e.rel)) : undefined;
    const after = content ? sha256(content) : act === 'link' ? sha256(e.linkTarget!) : undefined;
    // Checked for all before the first change: the path is as the merge saw it — or, for an
    // entry an earlier apply already did (one cut off midway, resumed), as that apply left it.
    const now = await readFresh(fs, e.path);
    if (same(now.fact, e.theirs)) todo.push({ e, act, ...(content ? { content } : {}), ...(after ? { after } : {}) });
    else if (e.applied && (act === 'delete' ? now.fact.kind === 'absent' : now.fact.sha256 === after)) continue;
    else throw new UserError('REFUSED', `${e.path} changed since the merge looked at it; nothing was changed`, { hint: `run the merge again (sysmanifest merge ${area.area === 'etc' ? 'etc' : `home --user ${area.area.slice(5)}`})` });
  }
  if (todo.length === 0) return { changes: [], open };
  // Save what will be replaced or deleted, then the list of changes, before the first change.
  const changes: Change[] = [];
  for (const { e, act, after } of todo) {
    if (e.theirs.kind === 'file' || e.theirs.kind === 'link') {
      const now = await readFresh(fs, e.path);
      const bytes = now.side.kind === 'file' ? now.side.data : now.side.kind === 'link' ? Buffer.from(now.side.target) : Buffer.alloc(0);
      await writeFileAtomic(stagedFile(dir, 'saved', e.rel), bytes, 0o600);
    }
    changes.push({ path: e.path, rel: e.rel, do: act as Change['do'], before: e.theirs, ...(after ? { after } : {}) });
  }
  // The directories apply will make (undo removes them again when they are empty).
  const dirs = new Set<string>();
  for (const { e, act } of todo) if (act !== 'delete') for (const d of await missingParents(fs.root, area.dir, e.path)) dirs.add(d);
  // An earlier apply's list is kept; a path it already lists keeps its first "before" (the fresh file).
  const earlier = await readApplied(dir);
  const listed = new Set(earlier.changes.map((c) => c.path));
  const all = [...earlier.changes, ...changes.filter((c) => !listed.has(c.path))];
  const allDirs = [...new Set([...earlier.dirs, ...dirs])].sort();
  await writeFileAtomic(join(dir, 'applied.json'), `${JSON.stringify({ format: 1, changes: all, dirs: allDirs }, null, 1)}\n`, 0o600);
  for (const { e } of todo) e.applied = true;
  area.applied = { at: new Date().toISOString(), changes: all.length };
  await saveState(dir, area);
  for (const { e, act, content } of todo) {
    const owner = e.theirs.uid !== undefined && e.theirs.kind === 'file' ? { uid: e.theirs.uid, gid: e.theirs.gid! } : (e.newOwner ?? { uid: 0, gid: 0 });
    if (act === 'delete') {
      await unlink(posix.join(fs.root, e.path));
      continue;
    }
    await ensureParents(fs.root, area.dir, e.path, e.newOwner ?? owner);
    if (act === 'link') {
      const literal = posix.join(fs.root, e.path);
      const tmp = `${posix.dirname(literal)}/.sysmanifest-merge.${randomBytes(4).toString('hex')}.tmp`;
      await symlink(e.linkTarget!, tmp);
      await lchown(tmp, owner.uid, owner.gid);
      await rename(tmp, literal);
      continue;
    }
    const data = content!;
    const mode = e.theirs.kind === 'file' && e.theirs.mode !== undefined ? e.theirs.mode : (e.newMode ?? 0o644);
    await writeInPlace(fs, e.path, data, mode, owner);
  }
  return { changes, open };
}

async function readApplied(dir: string): Promise<{ changes: Change[]; dirs: string[] }> {
  try {
    const v = JSON.parse(await readFile(join(dir, 'applied.json'), 'utf8')) as { changes: Change[]; dirs?: string[] };
    return { changes: v.changes, dirs: v.dirs ?? [] };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { changes: [], dirs: [] };
    throw new UserError('PARSE', `${join(dir, 'applied.json')} is damaged: ${(e as Error).message}`, { hint: 'its saved/ directory still holds the fresh files apply replaced' });
  }
}

/** The directories above `abs`, below the area's directory, that do not exist yet. */
async function missingParents(root: string, areaDir: string, abs: string): Promise<string[]> {
  const out: string[] = [];
  for (let d = posix.dirname(abs); d.startsWith(`${areaDir}/`); d = posix.dirname(d)) {
    const there = await lstat(posix.join(root, d)).then(() => true, () => false);
    if (there) break;
    out.push(d);
  }
  return out;
}

export async function undoArea(dir: string, area: StagedArea, options: { force?: boolean } = {}): Promise<{ restored: number }> {
  if (!area.applied) throw new UserError('REFUSED', `the ${area.area} merge was not applied: nothing to undo`);
  const fs = new FreshTree(area.root);
  // A change listed but never made (apply was cut off): the path is as it was, nothing to put back.
  const changes: Change[] = [];
  // The user's edits after apply are not thrown away without being told.
  const edited: string[] = [];
  const applied = await readApplied(dir);
  for (const c of applied.changes) {
    const now = await readFresh(fs, c.path);
    if (same(now.fact, c.before)) continue;
    changes.push(c);
    const expected = c.do === 'delete' ? now.fact.kind === 'absent' : now.fact.sha256 === c.after;
    if (!expected) edited.push(c.path);
  }
  if (edited.length && !options.force) {
    throw new UserError('REFUSED', `changed since merge apply (undo would lose that):\n${edited.map((p) => `  ${p}`).join('\n')}`, { hint: 'sysmanifest merge undo --force puts the fresh files back anyway' });
  }
  for (const c of [...changes].reverse()) {
    const literal = posix.join(fs.root, c.path);
    if (c.before.kind === 'absent') {
      await rm(literal, { force: true });
      continue;
    }
    const saved = await readFile(stagedFile(dir, 'saved', c.rel));
    if (c.before.kind === 'link') {
      const tmp = `${posix.dirname(literal)}/.sysmanifest-merge.${randomBytes(4).toString('hex')}.tmp`;
      await symlink(saved.toString('utf8'), tmp);
      await lchown(tmp, c.before.uid ?? 0, c.before.gid ?? 0);
      await rename(tmp, literal);
      continue;
    }
    await writeInPlace(fs, c.path, saved, c.before.mode ?? 0o644, { uid: c.before.uid ?? 0, gid: c.before.gid ?? 0 });
  }
  // The directories apply made, deepest first, when nothing else was put in them since.
  for (const d of [...applied.dirs].sort((a, b) => b.length - a.length)) {
    await rmdir(posix.join(fs.root, d)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT' && e.code !== 'ENOTEMPTY') throw e;
    });
  }
  delete area.applied;
  for (const e of area.entries) delete e.applied;
  await saveState(dir, area);
  await rm(join(dir, 'applied.json'), { force: true });
  await rm(join(dir, 'saved'), { recursive: true, force: true });
  return { restored: changes.length };
}

