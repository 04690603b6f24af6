// `sysmanifest diff [REV [REV]]`: the semantic diff between two versions of one host's
// manifest in the manifest repository.
//   no REV   the last two commits that touched hosts/<host>/manifest.yaml (HEAD~1..HEAD for a
//            one-host repository; other hosts' commits are skipped)
//   one REV  REV .. the file in the working tree (what the next --commit would record)
//   two REVs REV1 .. REV2
import { readdir } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { readManifestText } from '../../core/manifest/load.ts';
import { commitsTouching, parseLoose, resolveRev, textAt } from './repo.ts';
import { semanticDiff, type Change } from './semantic.ts';
import { summaryLine } from './message.ts';

export interface DiffOptions {
  readonly repo: string;
  readonly host?: string;
  readonly revs: readonly string[];
}

export interface Side {
  /** What the user named (or "working tree"). */
  readonly rev: string;
  /** The commit id, absent for the working tree. */
  readonly commit?: string;
}

export interface DiffReport {
  readonly host: string;
  /** Path of the manifest inside the repository. */
  readonly file: string;
  readonly from: Side;
  readonly to: Side;
  readonly summary: string;
  readonly changes: readonly Change[];
}

async function hostsIn(repo: string): Promise<string[]> {
  try {
    return (await readdir(join(repo, 'hosts'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** --host, else the only host of the repository, else this machine's hostname when it is one. */
export async function chooseHost(repo: string, host: string | undefined): Promise<string> {
  if (host) return host;
  const hosts = await hostsIn(repo);
  if (hosts.length === 1) return hosts[0]!;
  const me = osHostname().split('.')[0]!;
  if (hosts.includes(me)) return me;
  throw new UserError('USAGE', hosts.length ? `${repo} holds several hosts (${hosts.join(', ')}): which one?` : `${repo} holds no hosts/ folder yet`, {
    hint: hosts.length ? 'pass --host NAME' : 'run sysmanifest capture --commit first',
  });
}

async function atRev(repo: string, rev: string, file: string): Promise<{ side: Side; value: Record<string, unknown> }> {
  const commit = await resolveRev(repo, rev);
  const text = await textAt(repo, commit, file);
  if (text === undefined) throw new UserError('USAGE', `${file} does not exist in ${rev} (${commit.slice(0, 10)})`, { hint: `git -C ${repo} log --oneline -- ${file}` });
  return { side: { rev, commit }, value: parseLoose(text, `${rev}:${file}`) };
}

export async function diffManifests(options: DiffOptions): Promise<DiffReport> {
  const repo = resolve(options.repo);
  if (options.revs.length > 2) throw new UserError('USAGE', 'diff takes at most two revisions');
  const host = await chooseHost(repo, options.host);
  const file = `hosts/${host}/manifest.yaml`;
  let from: { side: Side; value: Record<string, unknown> };
  let to: { side: Side; value: Record<string, unknown> };
  if (options.revs.length === 0) {
    const commits = await commitsTouching(repo, file, 2);
    if (commits.length < 2) {
      throw new UserError('USAGE', `${file} has ${commits.length === 0 ? 'no committed version' : 'only one committed version'} in ${repo}: nothing to compare`, {
        hint: 'give a revision to compare the working tree with (sysmanifest diff HEAD), or capture --commit again after a change',
      });
    }
    from = await atRev(repo, `${commits[1]!.slice(0, 10)}`, file);
    to = await atRev(repo, `${commits[0]!.slice(0, 10)}`, file);
  } else if (options.revs.length === 1) {
    from = await atRev(repo, options.revs[0]!, file);
    // The working tree is as hostile as any manifest path: the same checked read.
    const text = await readManifestText(join(repo, file));
    to = { side: { rev: 'working tree' }, value: parseLoose(text, join(repo, file)) };
  } else {
    from = await atRev(repo, options.revs[0]!, file);
    to = await atRev(repo, options.revs[1]!, file);
  }
  const changes = semanticDiff(from.value, to.value);
  return { host, file, from: from.side, to: to.side, summary: summaryLine(host, changes), changes };
}

/** Human rendering: a header, the summary, then one line per change with its path. */
export function renderDiff(r: DiffReport): string {
  const side = (s: Side): string => (s.commit ? `${s.rev}${s.rev.startsWith(s.commit.slice(0, 7)) ? '' : ` (${s.commit.slice(0, 10)})`}` : s.rev);
  const head = `${r.file}: ${side(r.from)} → ${side(r.to)}\n`;
  if (r.changes.length === 0) return `${head}no changes\n`;
  const lines = r.changes.map((c) => `  ${c.kind === 'added' ? '+' : c.kind === 'removed' ? '−' : '~'} ${c.what}\n      at ${c.path}\n`);
  return `${head}${r.summary}\n\n${lines.join('')}`;
}
