// The manifest's view of the /etc repository (repos.etc), read-only. Which repository:
//   - ROOT/etc/.git with etckeeper's markers → kind etckeeper (etckeeper commits itself; we only read);
//   - ROOT/etc/.git without them → kind git (someone maintains it by hand; we only read);
//   - otherwise sysmanifest's own repository, git dir ROOT/var/lib/sysmanifest/etc.git with
//     work tree ROOT/etc (so /etc is not littered), written by sync.ts.
import { join } from 'node:path';
import { resolveInRoot, toolPathInRoot } from '../../../core/confine/index.ts';
import { ParseError } from '../../../core/errors.ts';
import type { EtcRepo } from '../../../core/manifest/types.gen.ts';
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import { gitArgs, readGitState } from '../dotfiles/gitstate.ts';
import { walkEtc } from './gather.ts';
import { secretRules } from './secrets.ts';
import { computeEtcTree, type EtcTree } from './tree.ts';

export const SYSMANIFEST_ETC_GIT_DIR = '/var/lib/sysmanifest/etc.git';

export interface EtcRepoLocation {
  readonly kind: EtcRepo['kind'];
  /** Path in the captured system. */
  readonly gitDir: string;
}

export async function detectEtcRepo(runner: ReadOnlyRunner, root: string, ownGitDir = SYSMANIFEST_ETC_GIT_DIR): Promise<EtcRepoLocation> {
  if (await runner.exists(join(root, 'etc/.git'))) {
    // etckeeper(8) keeps its metadata in /etc/.etckeeper and its configuration in /etc/etckeeper/.
    const etckeeper = (await runner.exists(join(root, 'etc/.etckeeper'))) || (await runner.exists(join(root, 'etc/etckeeper/etckeeper.conf')));
    return { kind: etckeeper ? 'etckeeper' : 'git', gitDir: '/etc/.git' };
  }
  return { kind: 'sysmanifest', gitDir: ownGitDir };
}

/** `git ls-tree -r -z --full-tree HEAD` → path → "mode blob". */
export function parseLsTree(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const rec of out.split('\0')) {
    if (rec === '') continue;
    const r = /^(\d{6}) (blob|commit|tree) ([0-9a-f]{40,64})\t(.+)$/s.exec(rec);
    if (!r) throw new ParseError('git ls-tree output', JSON.stringify(rec));
    m.set(r[4]!, `${r[1]!} ${r[3]!}`);
  }
  return m;
}

/** Whether the desired tree equals the commit's tree (same paths, modes and blobs). */
export function sameTree(tree: EtcTree, head: ReadonlyMap<string, string>): boolean {
  if (head.size !== tree.blobs.size) return false;
  for (const [rel, b] of tree.blobs) if (head.get(rel) !== `${b.gitMode} ${b.blob}`) return false;
  return true;
}

export interface DescribeOptions {
  readonly runner: ReadOnlyRunner;
  readonly root: string;
  /** The user's repos.etc.exclude from the existing manifest. */
  readonly exclude?: readonly string[];
  /** The git dir of sysmanifest's own repository (a path of the captured system). */
  readonly gitDir?: string;
  /** A tree computed moments ago (by syncEtcRepo), to avoid walking /etc twice. */
  readonly tree?: EtcTree;
}

export async function describeEtcRepo(options: DescribeOptions): Promise<EtcRepo> {
  const { runner, root } = options;
  const exclude = options.exclude ?? [];
  const loc = await detectEtcRepo(runner, root, options.gitDir);
  const base = { kind: loc.kind, path: '/etc', gitDir: loc.gitDir, ...(exclude.length ? { exclude: [...exclude] } : {}) };
  // git follows symlinks (and a .git file) itself: it gets paths resolved inside the root.
  const hostGitDir = (await toolPathInRoot(root, loc.gitDir)) ?? join(root, loc.gitDir);

  if (loc.kind !== 'sysmanifest') {
    const [gitDir, workTree] = [await toolPathInRoot(root, loc.gitDir), await toolPathInRoot(root, '/etc')];
    if (gitDir === undefined || workTree === undefined || !(await isDirectory(root, loc.gitDir))) {
      return { ...base, unsupported: { reason: `${loc.gitDir} is not a git directory inside ${root} (a .git file or a symlink that leads elsewhere is not followed)` } };
    }
    const where = { gitDir, workTree };
    const [state, entries, lsFiles] = await Promise.all([
      readGitState(runner, where, { dirty: 'all' }),
      walkEtc(runner, root),
      runner.run([...gitArgs(where), 'ls-files', '-z']),
    ]);
    const rules = secretRules(exclude);
    const tracked = new Set(lsFiles.stdout.split('\0').filter((p) => p !== ''));
    const secretOf = (rel: string): string | undefined => rules.find((r) => r.matches(rel))?.why;
    const restore = entries.filter((e) => e.type !== 'd' && !tracked.has(e.rel) && secretOf(e.rel) !== undefined).map((e) => ({ path: `/etc/${e.rel}`, why: secretOf(e.rel)! }));
    const trackedSecrets = [...tracked].filter((rel) => secretOf(rel) !== undefined).sort().map((rel) => `/etc/${rel}`);
    return {
      ...base,
      ...gitFields(state),
      ...(restore.length ? { restoreFromElsewhere: restore } : {}),
      ...(trackedSecrets.length ? { trackedSecrets } : {}),
    };
  }

  const tree = options.tree ?? (await computeEtcTree(runner, root, exclude));
  const restore = tree.restoreFromElsewhere.length ? { restoreFromElsewhere: tree.restoreFromElsewhere.map((r) => ({ ...r })) } : {};
  if (!(await runner.exists(hostGitDir))) {
    return { ...base, ...restore, unsupported: { reason: `${loc.gitDir} does not exist yet: it is created by \`sysmanifest capture --commit\` run as root` } };
  }
  const state = await readGitState(runner, { gitDir: hostGitDir }, { dirty: 'skip' });
  let dirty = true;
  if (state.commit !== undefined) {
    const ls = await runner.run([...gitArgs({ gitDir: hostGitDir }), 'ls-tree', '-r', '-z', '--full-tree', state.commit]);
    dirty = !sameTree(tree, parseLsTree(ls.stdout));
  }
  return { ...base, ...gitFields(state), dirty, ...restore };
}

async function isDirectory(root: string, path: string): Promise<boolean> {
  return (await resolveInRoot(root, path))?.stat.type === 'dir';
}

function gitFields(state: Awaited<ReturnType<typeof readGitState>>): Pick<EtcRepo, 'remote' | 'branch' | 'commit' | 'dirty'> {
  return {
    ...(state.remote ? { remote: { ...state.remote } } : {}),
    ...(state.branch ? { branch: state.branch } : {}),
    ...(state.commit ? { commit: state.commit } : {}),
    ...(state.dirty === undefined ? {} : { dirty: state.dirty }),
  };
}
