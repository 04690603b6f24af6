// sysmanifest merge etc|home, status, resolve, apply, undo, finish: the service behind the
// command. A merge reads the manifest repository (ours, the recorded bases) and the fresh
// system (theirs) and writes only its staging area; apply is the one step that changes files.
import { stat } from 'node:fs/promises';
import { dirname, posix, resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { loadManifest } from '../../core/manifest/load.ts';
import { readInRoot } from '../../core/confine/index.ts';
import { readBaseBlob } from '../../core/repo/bases.ts';
import { interactive } from '../../core/runner/pipe.ts';
import { applyArea, checkDecided, undoArea, type Change } from './apply.ts';
import { buildArea } from './build.ts';
import { etcClutter, homeClutter, skipRules } from './clutter.ts';
import { etcSources } from './etc.ts';
import { ids } from '../rebuild/etc-apply.ts';
import { homeSources } from './home.ts';
import { areaDir, listAreas, saveState, stagedFile, writeArea } from './staging.ts';
import type { AreaName, Entry, StagedArea } from './types.ts';
import { readFile, rm, writeFile } from 'node:fs/promises';

export interface MergeOptions {
  /** The manifest (REPO/hosts/HOST/manifest.yaml). */
  readonly manifest: string;
  /** The fresh system's root: "/" or a mounted tree (--root). */
  readonly root: string;
  /** --skip: globs left as the fresh system has them. */
  readonly skip?: readonly string[];
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new UserError('NOT_ROOT', 'merge reads and writes files of every owner (/etc, homes) and keeps its staging area in /var/lib/sysmanifest', { hint: 'run it with sudo' });
}

async function loaded(file: string) {
  const path = resolve(file);
  const manifest = await loadManifest(path);
  const hostDir = dirname(path);
  return { path, manifest, hostDir, repo: resolve(hostDir, '../..') };
}

async function names(root: string): Promise<{ users: Map<string, number>; groups: Map<string, number> }> {
  const text = async (p: string): Promise<string | undefined> => {
    const f = await readInRoot(root, p);
    return f && Buffer.from(f.bytes).toString('utf8');
  };
  return { users: ids((await text('/etc/passwd')) ?? ''), groups: ids((await text('/etc/group')) ?? '') };
}

export async function mergeEtc(o: MergeOptions): Promise<StagedArea> {
  requireRoot();
  const m = await loaded(o.manifest);
  const src = await etcSources(m.manifest, m.repo, m.hostDir, await names(o.root));
  const { area, files } = await buildArea({
    root: resolve(o.root),
    dir: '/etc',
    area: 'etc',
    manifest: m.path,
    gitDir: src.gitDir,
    candidates: src.candidates,
    clutter: etcClutter(m.manifest),
    skip: skipRules(o.skip, '/etc'),
    loadBase: (h) => readBaseBlob(m.hostDir, h),
    labels: { ours: `yours (${m.manifest.host.hostname}, captured)`, theirs: 'new default', base: 'old default' },
  });
  await writeArea(resolve(o.root), area, files);
  return area;
}

export async function mergeHome(o: MergeOptions & { user: string; dotfilesFrom?: string }): Promise<StagedArea> {
  requireRoot();
  const m = await loaded(o.manifest);
  const ids = await names(o.root);
  const uid = ids.users.get(o.user);
  if (uid === undefined) throw new UserError('REFUSED', `${o.user} is not a user of ${o.root === '/' ? 'this system' : o.root} (its /etc/passwd)`, { hint: 'create the account first (adduser), then merge its home' });
  const passwd = (await readInRoot(o.root, '/etc/passwd'))!;
  const gid = Number(Buffer.from(passwd.bytes).toString('utf8').split('\n').find((l) => l.startsWith(`${o.user}:`))!.split(':')[3]);
  const src = await homeSources(m.manifest, o.user, m.hostDir, { ...(o.dotfilesFrom !== undefined ? { dotfilesFrom: o.dotfilesFrom } : {}), owner: { uid, gid } });
  try {
    const { area, files } = await buildArea({
      root: resolve(o.root),
      dir: posix.normalize(src.repo.workTree),
      area: `home-${o.user}`,
      manifest: m.path,
      gitDir: src.gitDir,
      candidates: src.candidates,
      clutter: homeClutter(m.manifest),
      skip: skipRules(o.skip, undefined),
      loadBase: (h) => readBaseBlob(m.hostDir, h),
      labels: { ours: `yours (dotfiles ${src.repo.commit!.slice(0, 12)})`, theirs: 'new default', base: 'old default' },
    });
    await writeArea(resolve(o.root), area, files);
    return area;
  } finally {
    await src.done();
  }
}

export const statusOf = (root: string): Promise<StagedArea[]> => listAreas(resolve(root));

/** The area holding `path` (an absolute path of the fresh system). */
async function areaOfPath(root: string, path: string): Promise<{ dir: string; area: StagedArea; entry: Entry }> {
  for (const a of await listAreas(resolve(root))) {
    const e = a.entries.find((x) => x.path === posix.normalize(path));
    if (e) return { dir: areaDir(resolve(root), a.area), area: a, entry: e };
  }
  throw new UserError('USAGE', `${path} is not in any staged merge`, { hint: 'sysmanifest merge status lists the staged paths (give the absolute path it shows)' });
}

const MARKER = /^(<{7}|>{7}|\|{7}|={7})( |$)/m;

export async function resolvePath(root: string, path: string, how: 'ours' | 'theirs' | 'edit'): Promise<Entry> {
  requireRoot();
  const { dir, area, entry } = await areaOfPath(root, path);
  if (entry.applied) throw new UserError('REFUSED', `${path} was already applied`, { hint: 'sysmanifest merge undo first' });
  if (how === 'ours' && entry.ours === 'file') await stat(stagedFile(dir, 'ours', entry.rel)).catch(() => {
    throw new UserError('REFUSED', `${path}: the staging area has no copy of your version`, { hint: 'run the merge again' });
  });
  if (how === 'edit') {
    if (entry.ours !== 'file' || entry.theirs.kind !== 'file') throw new UserError('USAGE', `${path}: --edit works on files present on both sides; choose --ours or --theirs`);
    const file = stagedFile(dir, 'result', entry.rel);
    // A review item has no merged text yet: the editor starts from the new default.
    await stat(file).catch(async () => {
      await writeFile(file, await readFile(posix.join(resolve(root), entry.path)), { mode: 0o600 });
    });
    const editor = (process.env.VISUAL || process.env.EDITOR || 'editor').split(/\s+/).filter(Boolean);
    const rc = await interactive([...editor, file]);
    if (rc !== 0) throw new UserError('REFUSED', `the editor (${editor.join(' ')}) exited ${rc}: ${path} stays unresolved`);
    if (MARKER.test(await readFile(file, 'utf8'))) throw new UserError('REFUSED', `${path} still has conflict markers (<<<<<<<, =======, >>>>>>>): it stays unresolved`, { hint: `edit it again: sysmanifest merge resolve ${path} --edit` });
  }
  entry.resolved = how;
  await saveState(dir, area);
  return entry;
}

async function areasFor(root: string, which: AreaName | undefined): Promise<Array<{ dir: string; area: StagedArea }>> {
  const all = await listAreas(resolve(root));
  const chosen = which === undefined ? all : all.filter((a) => a.area === which);
  if (chosen.length === 0) throw new UserError('USAGE', which === undefined ? 'no merge is staged' : `no ${which} merge is staged`, { hint: 'sysmanifest merge etc, or merge home --user NAME, first' });
  return chosen.map((a) => ({ dir: areaDir(resolve(root), a.area), area: a }));
}

export async function applyMerges(root: string, which?: AreaName, options: { partial?: boolean } = {}): Promise<Array<{ area: AreaName; changes: Change[]; open: number }>> {
  requireRoot();
  const areas = await areasFor(root, which);
  // Every area is checked for open decisions before any is applied.
  if (!options.partial) for (const { area } of areas) checkDecided(area);
  const out: Array<{ area: AreaName; changes: Change[]; open: number }> = [];
  for (const { dir, area } of areas) out.push({ area: area.area, ...(await applyArea(dir, area, options)) });
  return out;
}

export async function undoMerges(root: string, which: AreaName | undefined, force: boolean): Promise<Array<{ area: AreaName; restored: number }>> {
  requireRoot();
  const areas = (await areasFor(root, which)).filter((a) => a.area.applied);
  if (areas.length === 0) throw new UserError('REFUSED', 'no applied merge to undo');
  const out: Array<{ area: AreaName; restored: number }> = [];
  for (const { dir, area } of areas) out.push({ area: area.area, ...(await undoArea(dir, area, { force })) });
  return out;
}

export async function finishMerge(root: string, which: AreaName): Promise<void> {
  requireRoot();
  for (const { dir } of await areasFor(root, which)) await rm(dir, { recursive: true, force: true });
}

