// merge home: the candidates of one user's home. Ours = the user's dotfiles repository at the
// commit the manifest pins (fetched from its remote, or from --dotfiles-from DIR/USER: a copy of
// the repository or a bundle). Base = the /etc/skel file the home file started from, recorded
// at capture (hosts/HOST/bases/, skel) — else the version the repository first added, when it
// differs from ours (when it does not, the history says nothing about what the user changed,
// and a file changed on both sides is listed for review). Theirs = the fresh home.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { checkManifestPath, childInside } from '../../core/confine/index.ts';
import type { DotfilesRepo, Manifest } from '../../core/manifest/types.gen.ts';
import { readBasesIndex } from '../../core/repo/bases.ts';
import { pipeRun } from '../../core/runner/pipe.ts';
import { withSafeSource } from '../../core/git-safe.ts';
import type { Candidate } from './build.ts';
import { firstVersions, readTree } from './git-tree.ts';

export interface HomeSources {
  readonly repo: DotfilesRepo;
  readonly candidates: Candidate[];
  readonly gitDir: string;
  /** Removes the temporary clone. */
  readonly done: () => Promise<void>;
}

export function dotfilesOf(manifest: Manifest, user: string): DotfilesRepo {
  const all = manifest.repos?.dotfiles ?? [];
  const r = all.find((d) => d.user === user);
  if (r === undefined) {
    throw new UserError('REFUSED', `repos.dotfiles: the manifest records no dotfiles repository for ${user}`, {
      hint: all.length ? `users with one: ${all.map((d) => d.user).join(', ')}` : 'capture a system whose users keep their dotfiles in git',
    });
  }
  for (const [p, w] of [[r.home, 'home'], [r.gitDir, 'gitDir'], [r.workTree, 'workTree']] as const) checkManifestPath(p, `repos.dotfiles (${user}).${w}`);
  if (r.commit === undefined || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(r.commit)) throw new UserError('REFUSED', `repos.dotfiles (${user}): no commit was pinned at capture (nothing committed)`);
  return r;
}

export async function homeSources(manifest: Manifest, user: string, hostDir: string, options: { dotfilesFrom?: string; owner: { uid: number; gid: number } }): Promise<HomeSources> {
  const r = dotfilesOf(manifest, user);
  const source = options.dotfilesFrom !== undefined ? childInside(options.dotfilesFrom, user, '--dotfiles-from') : r.remote?.url;
  if (source === undefined) throw new UserError('REFUSED', `repos.dotfiles (${user}): the repository has no remote to fetch from`, { hint: `give a copy with --dotfiles-from DIR (DIR/${user}: the repository or a bundle of it)` });
  if (source.startsWith('-')) throw new UserError('REFUSED', `repos.dotfiles (${user}): the source ${JSON.stringify(source)} starts with "-"`);
  const tmp = await mkdtemp(join(tmpdir(), 'sysmanifest-merge-'));
  const done = (): Promise<void> => rm(tmp, { recursive: true, force: true });
  try {
    const gitDir = join(tmp, 'dotfiles.git');
    await pipeRun(['git', 'init', '--quiet', '--bare', gitDir], undefined);
    try {
      // A copy owned by the user (her home, --dotfiles-from) is fetched by root (core/git-safe).
      await withSafeSource(source, (env) => pipeRun([...env, 'git', `--git-dir=${gitDir}`, 'fetch', '--quiet', '--no-tags', '--', source, '+refs/heads/*:refs/remotes/o/*'], undefined));
    } catch (e) {
      throw new UserError('REPO', `the dotfiles of ${user}: could not fetch ${source}: ${(e as Error).message.split('\n').slice(-2).join(' ')}`, { hint: 'give a copy with --dotfiles-from DIR (DIR/USER: the repository or a bundle of it)' });
    }
    try {
      await pipeRun(['git', `--git-dir=${gitDir}`, 'cat-file', '-e', `${r.commit!}^{commit}`], undefined);
    } catch {
      throw new UserError('REPO', `the dotfiles of ${user}: commit ${r.commit!} is not in ${source}`, { hint: 'push it to the remote, or give a copy with --dotfiles-from DIR' });
    }
    const tree = await readTree(gitDir, r.commit!, `repos.dotfiles (${user}) at ${r.commit!.slice(0, 12)}`);
    const first = await firstVersions(gitDir, r.commit!);
    const bases = await readBasesIndex(hostDir);
    const inHome = posix.normalize(r.workTree) === posix.normalize(r.home);
    const candidates: Candidate[] = [];
    for (const [rel, entry] of tree) {
      const skel = inHome ? bases?.skel[rel] : undefined;
      const firstId = first.get(rel);
      const base: Candidate['base'] = skel ? { from: 'skel', sha256: skel.sha256 } : firstId !== undefined && firstId !== entry.id ? { from: 'first-commit', gitId: firstId } : undefined;
      candidates.push({ rel, ours: entry, ...(base ? { base } : {}), newOwner: options.owner });
    }
    return { repo: r, candidates, gitDir, done };
  } catch (e) {
    await done();
    throw e;
  }
}
