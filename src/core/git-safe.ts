// Fetching from a repository another user owns (a dotfiles repository in its user's home,
// or a copy given with --dotfiles-from), as root: git refuses it ("detected dubious
// ownership", safe.directory). Only that path is allowed, for one command, through a global
// configuration file of its own (GIT_CONFIG_GLOBAL; git 2.39 ignores safe.directory given with
// -c). Only plumbing runs against the source (upload-pack), whose hooks git reads from
// protected configuration only, so the other user's repository configuration runs nothing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `f` gets the argv prefix to put before `git` ([] for a URL). */
export async function withSafeSource<T>(source: string, f: (prefix: readonly string[]) => Promise<T>): Promise<T> {
  if (/^[a-z][a-z0-9+.-]*:/.test(source) || source.includes('\n')) return f([]);
  const dir = await mkdtemp(join(tmpdir(), 'sysmanifest-git-'));
  try {
    const file = join(dir, 'gitconfig');
    await writeFile(file, `[safe]\n\tdirectory = ${source}\n\tdirectory = ${source}/.git\n`, { mode: 0o600 });
    return await f(['env', `GIT_CONFIG_GLOBAL=${file}`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
