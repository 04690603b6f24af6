// Reading "ours" out of git: a tree at a commit (the /etc repository's commit in the manifest
// repository, a dotfiles repository's pinned commit), the blobs in one `git cat-file --batch`
// (binary-safe, one process for thousands of files), and for dotfiles the commit that first
// added each path (the fallback base). The repositories are hostile input: paths are checked
// as relative paths before anything is joined with them, and only plumbing commands run
// (ls-tree, cat-file, log --name-only: none of them runs a configured hook, filter or pager).
import { UserError } from '../../core/errors.ts';
import { checkRelativePath } from '../../core/confine/index.ts';
import { pipeRun } from '../../core/runner/pipe.ts';

export interface TreeEntry {
  /** git's mode: 100644, 100755, 120000 (symlink); gitlinks (160000) are left out. */
  readonly mode: string;
  readonly id: string;
}

const git = (gitDir: string, ...args: string[]): string[] => ['git', `--git-dir=${gitDir}`, '-c', 'core.quotePath=false', ...args];

/** Every blob of the tree at `commit`, by path. */
export async function readTree(gitDir: string, commit: string, where: string): Promise<Map<string, TreeEntry>> {
  const out = (await pipeRun(git(gitDir, 'ls-tree', '-r', '-z', '--full-tree', commit), undefined)).stdout.toString('utf8');
  const m = new Map<string, TreeEntry>();
  for (const rec of out.split('\0')) {
    if (rec === '') continue;
    const r = /^(\d{6}) (blob|commit|tree) ([0-9a-f]{40,64})\t(.+)$/s.exec(rec);
    if (!r) throw new UserError('PARSE', `${where}: git ls-tree printed ${JSON.stringify(rec.slice(0, 200))}`);
    if (r[2] !== 'blob') continue;
    m.set(checkRelativePath(r[4]!, where), { mode: r[1]!, id: r[3]! });
  }
  return m;
}

/** The objects' bytes, by id (`git cat-file --batch`: "<id> <type> <size>\n<bytes>\n" each). */
export async function readBlobs(gitDir: string, ids: Iterable<string>): Promise<Map<string, Buffer>> {
  const want = [...new Set(ids)];
  const m = new Map<string, Buffer>();
  if (want.length === 0) return m;
  const out = (await pipeRun(git(gitDir, 'cat-file', '--batch'), Buffer.from(`${want.join('\n')}\n`))).stdout;
  let at = 0;
  for (const id of want) {
    const nl = out.indexOf(0x0a, at);
    const head = out.subarray(at, nl).toString('utf8');
    const r = /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(head);
    if (!r || r[1] !== id) throw new UserError('REPO', `git cat-file --batch: object ${id} is missing or unreadable (${JSON.stringify(head.slice(0, 120))})`, { hint: 'the repository is incomplete: fetch it again (git fetch), or run git fsck in it' });
    const size = Number(r[3]);
    m.set(id, out.subarray(nl + 1, nl + 1 + size));
    at = nl + 1 + size + 1;
  }
  return m;
}

/**
 * For each path in `commit`'s history, the blob it had in the commit that first added it
 * (`git log --reverse --diff-filter=A`): the fallback common ancestor of a dotfile.
 */
export async function firstVersions(gitDir: string, commit: string): Promise<Map<string, string>> {
  const log = (await pipeRun(git(gitDir, 'log', '--reverse', '--diff-filter=A', '--no-renames', '--format=%x01%H', '--name-only', '-z', commit), undefined)).stdout.toString('utf8');
  const firstCommit = new Map<string, string>();
  for (const chunk of log.split('\x01')) {
    if (chunk === '') continue;
    const [head, ...names] = chunk.split('\0');
    const sha = head!.split('\n')[0]!.trim();
    for (const n of names) {
      const name = n.replace(/^\n/, '');
      if (name !== '' && !firstCommit.has(name)) firstCommit.set(name, sha);
    }
  }
  if (firstCommit.size === 0) return new Map();
  // One cat-file --batch-check resolves every "<commit>:<path>" to its blob id.
  const keys = [...firstCommit.entries()].filter(([p]) => !p.includes('\n'));
  const out = (await pipeRun(git(gitDir, 'cat-file', '--batch-check=%(objectname) %(objecttype)'), Buffer.from(`${keys.map(([p, c]) => `${c}:${p}`).join('\n')}\n`))).stdout.toString('utf8').split('\n');
  const m = new Map<string, string>();
  keys.forEach(([p], i) => {
    const r = /^([0-9a-f]{40,64}) blob$/.exec(out[i] ?? '');
    if (r) m.set(p, r[1]!);
  });
  return m;
}

/** git's id of a blob with this content (sha1 repositories). */
export { gitBlobSha1 } from '../../providers/system/etc/tree.ts';
