// The state of one git repository as the manifest references it (the way svn:externals
// would): branch, pinned commit, the remote it tracks (credentials stripped), dirty or not.
// Read-only: always an explicit --git-dir (and --work-tree), so git neither discovers a
// repository on its own nor refuses one owned by another user (safe.directory applies to
// discovered repositories only), and --no-optional-locks so `status` does not rewrite the index.
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import { stripCredentials } from './parse.ts';

export interface GitLocation {
  /** Host path of the git directory (ROOT already joined). */
  readonly gitDir: string;
  /** Host path of the work tree, when there is one. */
  readonly workTree?: string;
}

export interface GitState {
  readonly branch?: string;
  readonly commit?: string;
  readonly remote?: { readonly name: string; readonly url: string };
  /** Local branches, sorted. */
  readonly branches: readonly string[];
  /** Tracked files differ from HEAD (or untracked files exist, when asked). Absent without a work tree. */
  readonly dirty?: boolean;
}

export function gitArgs(loc: GitLocation): string[] {
  return ['git', '--no-optional-locks', `--git-dir=${loc.gitDir}`, ...(loc.workTree === undefined ? [] : [`--work-tree=${loc.workTree}`])];
}

/** `git config --get-regexp` output ("key value" lines) → key → value; for a multi-valued key the first is kept. */
export function parseConfigRegexp(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const key = sp === -1 ? line : line.slice(0, sp);
    if (!m.has(key)) m.set(key, sp === -1 ? '' : line.slice(sp + 1));
  }
  return m;
}

/**
 * Which remote the repository follows: the current branch's upstream (branch.<b>.remote),
 * else "origin", else the first remote by name.
 */
export function chooseRemote(config: Map<string, string>, branch: string | undefined): { name: string; url: string } | undefined {
  const urls = new Map<string, string>();
  for (const [k, v] of config) {
    const m = /^remote\.(.+)\.url$/.exec(k);
    if (m) urls.set(m[1]!, v);
  }
  const upstream = branch === undefined ? undefined : config.get(`branch.${branch}.remote`);
  const name = [upstream, 'origin', ...[...urls.keys()].sort()].find((n) => n !== undefined && urls.has(n));
  return name === undefined ? undefined : { name, url: stripCredentials(urls.get(name)!) };
}

export async function readGitState(
  runner: ReadOnlyRunner,
  loc: GitLocation,
  options: { dirty: 'tracked' | 'all' | 'skip' } = { dirty: 'tracked' },
): Promise<GitState> {
  const git = gitArgs(loc);
  const [head, sym, refs, config] = await Promise.all([
    runner.run([...git, 'rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { okExitCodes: [1] }),
    runner.run([...git, 'symbolic-ref', '--quiet', '--short', 'HEAD'], { okExitCodes: [1] }),
    runner.run([...git, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/']),
    // exit 1: no key matched (no remote, no upstream).
    runner.run([...git, 'config', '--get-regexp', '^(remote\\..*\\.url|branch\\..*\\.remote)$'], { okExitCodes: [1] }),
  ]);
  const commit = head.exitCode === 0 ? head.stdout.trim() : undefined;
  const branch = sym.exitCode === 0 ? sym.stdout.trim() : undefined;
  const branches = refs.stdout.split('\n').filter((l) => l !== '').sort();
  const remote = chooseRemote(parseConfigRegexp(config.stdout), branch);
  let dirty: boolean | undefined;
  if (loc.workTree !== undefined && options.dirty !== 'skip' && commit !== undefined) {
    const untracked = options.dirty === 'all' ? 'normal' : 'no';
    const st = await runner.run([...git, 'status', '--porcelain=v1', '-z', `--untracked-files=${untracked}`]);
    dirty = st.stdout.length > 0;
  }
  return {
    ...(branch === undefined ? {} : { branch }),
    ...(commit === undefined ? {} : { commit }),
    ...(remote === undefined ? {} : { remote }),
    branches,
    ...(dirty === undefined ? {} : { dirty }),
  };
}
