// Brings sysmanifest's own /etc repository up to date: one commit when the desired tree
// (tree.ts: changed and unowned files, the metadata file, never a secret) differs from HEAD,
// none otherwise. It writes (git objects, refs, the repository's index), so it takes a
// MutatingRunner and is called by the capture service, outside the read-only providers.
//
// The repository is a bare git dir (default ROOT/var/lib/sysmanifest/etc.git, mode 0700) used
// with --work-tree=ROOT/etc, so nothing is written into /etc. Its index is rebuilt from the
// desired path list on each sync (read-tree --empty, update-index --add), so a file that
// stopped being interesting (re-installed shipped version, became a secret by a new exclude)
// leaves the tree in the next commit. Commits go through commit-tree + update-ref (no hooks,
// no gpg signing, no user config needed) with a fixed identity: sysmanifest <root@HOST>.
//
// An etckeeper repository (or a hand-made /etc/.git) is left alone: only its state is read.
import { confinedRunner, toolPathInRoot } from '../../../core/confine/index.ts';
import { join } from 'node:path';
import { UserError } from '../../../core/errors.ts';
import type { EtcRepo } from '../../../core/manifest/types.gen.ts';
import type { MutatingRunner, ReadOnlyRunner } from '../../../core/runner/types.ts';
import { gitArgs } from '../dotfiles/gitstate.ts';
import { describeEtcRepo, detectEtcRepo, parseLsTree, sameTree, SYSMANIFEST_ETC_GIT_DIR } from './capture.ts';
import { computeEtcTree, METADATA_FILE, type EtcTree } from './tree.ts';

export interface SyncEtcOptions {
  readonly runner: MutatingRunner;
  /** Root of the captured system ("/" or --root DIR). */
  readonly root: string;
  /** The user's repos.etc.exclude globs from the existing manifest. */
  readonly exclude?: readonly string[];
  /** Git dir of sysmanifest's repository, a path of the captured system (default /var/lib/sysmanifest/etc.git). */
  readonly repoDir?: string;
  /** For the committer address root@HOST; default: ROOT/etc/hostname. */
  readonly hostname?: string;
}

export interface EtcChanges {
  readonly added: readonly string[];
  readonly modified: readonly string[];
  readonly removed: readonly string[];
  /** Owner/group/mode/symlink/secret/absent lines changed. */
  readonly metadata: boolean;
}

export interface SyncEtcResult {
  /** The manifest section after the sync (describeEtcRepo). */
  readonly repo: EtcRepo;
  /** Whether this sync made a commit (false for etckeeper/git kinds and when nothing changed). */
  readonly committed: boolean;
  /** Created the repository in this run. */
  readonly created: boolean;
  /** Paths relative to /etc, sorted; empty when nothing was committed. */
  readonly changes: EtcChanges;
}

const NO_CHANGES: EtcChanges = { added: [], modified: [], removed: [], metadata: false };

/** Path → "mode blob" of the desired tree (the same shape parseLsTree gives for a commit). */
export function treeEntries(tree: EtcTree): Map<string, string> {
  return new Map([...tree.blobs].map(([rel, b]) => [rel, `${b.gitMode} ${b.blob}`]));
}

export function diffTrees(next: ReadonlyMap<string, string>, head: ReadonlyMap<string, string>): EtcChanges {
  const added: string[] = [];
  const modified: string[] = [];
  const removed: string[] = [];
  for (const [rel, v] of next) {
    if (rel === METADATA_FILE) continue;
    const h = head.get(rel);
    if (h === undefined) added.push(rel);
    else if (h !== v) modified.push(rel);
  }
  for (const rel of head.keys()) if (rel !== METADATA_FILE && !next.has(rel)) removed.push(rel);
  const byPath = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return { added: added.sort(byPath), modified: modified.sort(byPath), removed: removed.sort(byPath), metadata: head.get(METADATA_FILE) !== next.get(METADATA_FILE) };
}

/** "/etc: 1 added, 2 modified, 1 removed, metadata" and a body listing the paths (A/M/D, as git status). */
export function commitMessage(c: EtcChanges): string {
  const parts = [
    ...(c.added.length ? [`${c.added.length} added`] : []),
    ...(c.modified.length ? [`${c.modified.length} modified`] : []),
    ...(c.removed.length ? [`${c.removed.length} removed`] : []),
    ...(c.metadata ? ['metadata'] : []),
  ];
  const lines = [...c.added.map((p) => `A ${p}`), ...c.modified.map((p) => `M ${p}`), ...c.removed.map((p) => `D ${p}`)].sort((a, b) =>
    a.slice(2) < b.slice(2) ? -1 : a.slice(2) > b.slice(2) ? 1 : 0,
  );
  return `/etc: ${parts.join(', ') || 'no change'}\n${lines.length ? `\n${lines.join('\n')}\n` : ''}`;
}

async function readHostname(runner: ReadOnlyRunner, root: string): Promise<string> {
  const h = (await runner.readFileOptional(join(root, 'etc/hostname')))?.trim();
  return h && /^[A-Za-z0-9.-]+$/.test(h) ? h : 'localhost';
}

export async function syncEtcRepo(options: SyncEtcOptions): Promise<SyncEtcResult> {
  const { runner: mutator, root } = options;
  // Reads of the --root tree stay inside it (core/confine); git gets resolved paths.
  const runner = root === '/' ? mutator : { ...confinedRunner(mutator, root), mode: 'mutating' as const, mutate: mutator.mutate.bind(mutator) };
  const exclude = options.exclude ?? [];
  const repoDir = options.repoDir ?? SYSMANIFEST_ETC_GIT_DIR;
  const loc = await detectEtcRepo(runner, root, repoDir);
  if (loc.kind !== 'sysmanifest') {
    return { repo: await describeEtcRepo({ runner, root, exclude, gitDir: repoDir }), committed: false, created: false, changes: NO_CHANGES };
  }
  const [hostGitDir, workTree] = [await toolPathInRoot(root, repoDir, { create: true }), await toolPathInRoot(root, '/etc')];
  if (hostGitDir === undefined || workTree === undefined) {
    throw new UserError('REFUSED', `${join(root, repoDir)} or ${join(root, 'etc')} leads outside ${root} (a symlink that cannot be resolved inside it); the /etc repository was not written`, {
      hint: 'fix the symlink in the captured tree',
    });
  }
  let created = false;
  if (!(await runner.exists(hostGitDir))) {
    // Bare: no work tree of its own; every call names --work-tree. 0700: /etc holds files that
    // are not secrets by our list but are nobody else's business (sudoers, service configs).
    await runner.mutate(['git', 'init', '--quiet', '--bare', '--initial-branch=main', hostGitDir]);
    await runner.mutate(['chmod', '0700', hostGitDir]);
    created = true;
  }
  const git = gitArgs({ gitDir: hostGitDir, workTree });
  const tree = await computeEtcTree(runner, root, exclude);

  const head = await runner.run([...git, 'rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { okExitCodes: [1] });
  const parent = head.exitCode === 0 ? head.stdout.trim() : undefined;
  const headTree = parent === undefined ? new Map<string, string>() : parseLsTree((await runner.run([...git, 'ls-tree', '-r', '-z', '--full-tree', parent])).stdout);
  if (parent !== undefined && sameTree(tree, headTree)) {
    return { repo: await describeEtcRepo({ runner, root, exclude, gitDir: repoDir, tree }), committed: false, created, changes: NO_CHANGES };
  }

  // Rebuild the index from the desired list: git reads the files (binary-safe) from the work tree.
  await runner.mutate([...git, 'read-tree', '--empty']);
  const paths = [...tree.blobs.keys()].filter((p) => p !== METADATA_FILE);
  if (paths.length > 0) await runner.mutate(['git', `--git-dir=${hostGitDir}`, `--work-tree=${workTree}`, '-C', workTree, 'update-index', '--add', '-z', '--stdin'], { input: `${paths.join('\0')}\0` });
  const metaBlob = (await runner.mutate([...git, 'hash-object', '-w', '--stdin'], { input: tree.metadata })).stdout.trim();
  await runner.mutate([...git, 'update-index', '--add', '--cacheinfo', `100644,${metaBlob},${METADATA_FILE}`]);
  const treeId = (await runner.mutate([...git, 'write-tree'])).stdout.trim();

  if (parent !== undefined) {
    const parentTree = (await runner.run([...git, 'rev-parse', `${parent}^{tree}`])).stdout.trim();
    // The files went back to the committed state between our read and git's: nothing to commit.
    if (parentTree === treeId) return { repo: await describeEtcRepo({ runner, root, exclude, gitDir: repoDir, tree }), committed: false, created, changes: NO_CHANGES };
  }
  // What git stored (it read the files itself, moments after us): the message describes that.
  const written = parseLsTree((await runner.run([...git, 'ls-tree', '-r', '-z', '--full-tree', treeId])).stdout);
  const changes = diffTrees(written, headTree);

  const hostname = options.hostname ?? (await readHostname(runner, root));
  const identity = ['-c', 'user.name=sysmanifest', '-c', `user.email=root@${hostname}`];
  const commit = (
    await runner.mutate(['git', ...identity, ...git.slice(1), 'commit-tree', '--no-gpg-sign', treeId, ...(parent ? ['-p', parent] : []), '-F', '-'], { input: commitMessage(changes) })
  ).stdout.trim();
  const ref = (await runner.run([...git, 'symbolic-ref', '--quiet', 'HEAD'])).stdout.trim();
  if (!ref.startsWith('refs/heads/')) throw new UserError('REPO', `${hostGitDir}: HEAD is detached (${ref}); sysmanifest commits to a branch`, { hint: `git --git-dir=${hostGitDir} checkout main` });
  // Compare-and-swap on the old value: a concurrent writer makes this fail instead of losing a commit.
  await runner.mutate([...git, 'update-ref', '-m', 'sysmanifest: sync /etc', ref, commit, parent ?? '0'.repeat(40)]);
  return { repo: await describeEtcRepo({ runner, root, exclude, gitDir: repoDir, tree }), committed: true, created, changes };
}
