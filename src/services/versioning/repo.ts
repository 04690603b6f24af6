// The manifest repository's git operations for versioning (simple-git through
// core/runner/git.ts): read a manifest at a revision, commit one host's folder, push.
import { parse } from 'yaml';
import { UserError } from '../../core/errors.ts';
import { MAX_MANIFEST_BYTES } from '../../core/input.ts';
import { gitAt } from '../../core/runner/git.ts';

// simple-git rejects a git that exits non-zero only when it also wrote to stderr: so no
// --quiet on the probes below (rev-parse --verify, cat-file -e), or a failure looks like success.

const PUSH_TIMEOUT_MS = 120_000;

export async function hasHead(repo: string): Promise<boolean> {
  try {
    await (await gitAt(repo)).raw(['rev-parse', '--verify', 'HEAD^{commit}']);
    return true;
  } catch {
    return false;
  }
}

/** The text of `path` at `rev`, or undefined when that revision has no such file. */
export async function textAt(repo: string, rev: string, path: string): Promise<string | undefined> {
  const git = await gitAt(repo);
  try {
    await git.raw(['cat-file', '-e', `${rev}:${path}`]);
  } catch {
    return undefined;
  }
  return git.show([`${rev}:${path}`]);
}

/**
 * A committed manifest as a plain value. Not validated: an old version may predate a schema
 * change, and a diff must still be able to read it.
 */
export function parseLoose(text: string, where: string): Record<string, unknown> {
  // A committed version is as hostile as a file: the same size limit as readManifestText.
  if (Buffer.byteLength(text) > MAX_MANIFEST_BYTES) throw new UserError('MANIFEST_YAML', `${where}: larger than the ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB a manifest may have; refused`);
  let v: unknown;
  try {
    v = parse(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new UserError('MANIFEST_YAML', `${where}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UserError('MANIFEST_SCHEMA', `${where}: not a manifest (a YAML mapping)`);
  return v as Record<string, unknown>;
}

/** The commit ids (newest first) that touched `path`, at most `n`. */
export async function commitsTouching(repo: string, path: string, n: number): Promise<string[]> {
  if (!(await hasHead(repo))) return [];
  const out = await (await gitAt(repo)).raw(['log', `-n${n}`, '--format=%H', '--', path]);
  return out.split('\n').filter((l) => l !== '');
}

export async function resolveRev(repo: string, rev: string): Promise<string> {
  try {
    return (await (await gitAt(repo)).raw(['rev-parse', '--verify', `${rev}^{commit}`])).trim();
  } catch {
    throw new UserError('USAGE', `${rev}: not a commit of ${repo}`, { hint: `git -C ${repo} log --oneline` });
  }
}

/** Author/committer: the repository's git config when it has one, else sysmanifest <root@HOST>. */
async function identityConfig(repo: string, hostname: string): Promise<string[]> {
  const git = await gitAt(repo);
  const name = (await git.getConfig('user.name')).value;
  const email = (await git.getConfig('user.email')).value;
  return [...(name ? [] : ['user.name=sysmanifest']), ...(email ? [] : [`user.email=root@${hostname}`])];
}

/**
 * Stage everything under `dirs` (manifest and side files, the schemas, deletions included) and
 * commit only those folders. Returns the commit id, or undefined when they equal HEAD's.
 */
export async function commitFolder(repo: string, dirs: readonly string[], message: string, hostname: string): Promise<string | undefined> {
  const git = await gitAt(repo);
  await git.raw(['add', '--all', '--', ...dirs]);
  if (await hasHead(repo)) {
    const staged = await git.raw(['diff', '--cached', '--name-only', 'HEAD', '--', ...dirs]);
    if (staged.trim() === '') return undefined;
  }
  // `commit -- dirs` (--only): other staged work in the user's repository is left alone.
  await (await gitAt(repo, { config: await identityConfig(repo, hostname) })).raw(['commit', '--quiet', '-m', message, '--', ...dirs]).catch((e: Error) => {
    throw new UserError('REPO', `git commit in ${repo} failed: ${e.message.trim()}`, { hint: 'check the repository (git status); a pre-commit hook or commit.gpgsign may refuse unattended commits' });
  });
  return (await git.revparse(['HEAD'])).trim();
}

export interface PushResult {
  readonly remote: string;
  readonly ok: boolean;
  readonly message?: string;
}

/**
 * The /etc history must survive the loss of the disk it describes: sysmanifest's own /etc
 * repository lives on that disk (ROOT/var/lib/sysmanifest/etc.git). Its commits are fetched
 * into the manifest repository under a ref of their own, refs/sysmanifest/etc/HOST (not a
 * branch: `git log` of the manifests stays clean), and pushed with it, so a rebuild needs
 * nothing but the manifest repository. Only the sysmanifest kind: it never holds a secret,
 * while etckeeper commits /etc/shadow by default.
 */
export const etcRef = (host: string): string => `refs/sysmanifest/etc/${host}`;

export async function keepEtcHistory(repo: string, etcGitDir: string, host: string): Promise<void> {
  await (await gitAt(repo)).raw(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', etcGitDir, `+HEAD:${etcRef(host)}`]);
}

/** Push the current branch when the repository has a remote: its upstream's, else origin, else the first. */
export async function pushIfRemote(repo: string, extraRefs: readonly string[] = []): Promise<PushResult | undefined> {
  const git = await gitAt(repo);
  const remotes = (await git.raw(['remote'])).split('\n').filter((r) => r !== '');
  if (remotes.length === 0) return undefined;
  const branch = (await git.raw(['symbolic-ref', '--quiet', '--short', 'HEAD'])).trim();
  let upstream: string | undefined;
  try {
    upstream = (await git.raw(['config', '--get', `branch.${branch}.remote`])).trim() || undefined;
  } catch {
    upstream = undefined;
  }
  const remote = upstream ?? (remotes.includes('origin') ? 'origin' : remotes[0]!);
  try {
    await (await gitAt(repo, { timeoutMs: PUSH_TIMEOUT_MS })).raw(['push', '--quiet', ...(upstream ? [] : ['--set-upstream']), remote, branch]);
    // The /etc history ref too (forced: it is the /etc repository's own history, never merged).
    if (extraRefs.length) await (await gitAt(repo, { timeoutMs: PUSH_TIMEOUT_MS })).raw(['push', '--quiet', remote, ...extraRefs.map((r) => `+${r}:${r}`)]);
    return { remote, ok: true };
  } catch (e) {
    return { remote, ok: false, message: (e as Error).message.trim().split('\n').slice(-3).join(' / ') };
  }
}
