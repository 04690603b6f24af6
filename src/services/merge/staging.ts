// The staging area (NetBSD etcmerge's idea): a merge writes nothing into the system it merges;
// its results, with the user's and the base versions of every file that needs a decision, go
// to ROOT/var/lib/sysmanifest/merge/<area>/ (root only, 0700):
//   state.json        the entries (types.ts), written last, atomically: it is what makes the area exist
//   result/<rel>      what apply writes (a clean merge, the user's file, or text with conflict markers)
//   ours/<rel>        the user's version, for conflicts and review items (merge resolve --ours)
//   base/<rel>        the common ancestor, for conflicts (reference while editing)
//   saved/<rel>       written by apply: the fresh file it replaced, byte for byte (merge undo)
//   applied.json      written by apply before it changes anything: what it will change, and how to go back
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { checkRelativePath } from '../../core/confine/index.ts';
import { writeFileAtomic } from '../../core/repo/files.ts';
import type { AreaName, StagedArea } from './types.ts';

export const STAGING_DIR = '/var/lib/sysmanifest/merge';

export const stagingRoot = (root: string): string => posix.join(root, STAGING_DIR);
export const areaDir = (root: string, area: AreaName): string => join(stagingRoot(root), area);
export const stagedFile = (dir: string, kind: 'result' | 'ours' | 'base' | 'saved', rel: string): string => join(dir, kind, checkRelativePath(rel, 'staged path'));

export async function readArea(dir: string): Promise<StagedArea | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'state.json'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let v: StagedArea;
  try {
    v = JSON.parse(text) as StagedArea;
  } catch {
    throw new UserError('PARSE', `${join(dir, 'state.json')} is not valid JSON`, { hint: `the staging area is damaged: remove ${dir} and run the merge again` });
  }
  if (v.format !== 1 || !Array.isArray(v.entries)) throw new UserError('PARSE', `${join(dir, 'state.json')}: not a staging area this version knows`, { hint: `remove ${dir} and run the merge again` });
  return v;
}

export async function listAreas(root: string): Promise<StagedArea[]> {
  let names: string[];
  try {
    names = (await readdir(stagingRoot(root))).filter((n) => n === 'etc' || n.startsWith('home-')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: StagedArea[] = [];
  for (const n of names) {
    const a = await readArea(join(stagingRoot(root), n));
    if (a) out.push(a);
  }
  return out;
}

export async function saveState(dir: string, area: StagedArea): Promise<void> {
  await writeFileAtomic(join(dir, 'state.json'), `${JSON.stringify(area, null, 1)}\n`, 0o600);
}

export interface StagedContent {
  readonly rel: string;
  readonly kind: 'result' | 'ours' | 'base';
  readonly data: Uint8Array;
}

/**
 * Writes a new staging area for `area` in one piece: into <area>.partial, then renamed over
 * the previous one. An area that was applied and not undone is never replaced (its saved/
 * holds the only copy of the fresh files apply replaced).
 */
export async function writeArea(root: string, area: StagedArea, files: readonly StagedContent[]): Promise<string> {
  const dir = areaDir(root, area.area);
  const old = await readArea(dir);
  if (old?.applied) {
    throw new UserError('REFUSED', `the ${area.area} merge staged on ${old.createdAt} was applied; its saved fresh files are the only way back`, {
      hint: `keep the result with \`sysmanifest merge finish ${area.area.replace(/^home-/, 'home --user ')}\`, or go back with \`sysmanifest merge undo\`, then merge again`,
    });
  }
  // /var/lib/sysmanifest as the system would have it (0755); only the merge folder is root's alone.
  await mkdir(posix.dirname(stagingRoot(root)), { recursive: true, mode: 0o755 });
  await mkdir(stagingRoot(root), { recursive: true, mode: 0o700 });
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { mode: 0o700 });
  for (const f of files) {
    const p = stagedFile(partial, f.kind, f.rel);
    await mkdir(posix.dirname(p), { recursive: true, mode: 0o700 });
    // No fsync per file: the area is only a proposal (a crash means: merge again); what
    // apply saves of the live system is fsynced there.
    await writeFile(p, f.data, { mode: 0o600 });
  }
  await saveState(partial, area);
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  return dir;
}
