// Downloads through apt's own acquire code: `apt-helper download-file URI FILE SHA256:HASH …`
// (apt-helper(1), "use the same proxy configuration or acquire system as APT would"): the
// host's apt proxy and retry settings apply, several files go in one call (apt pipelines
// them), and apt-helper fails when a file's hash differs from the one given, so only
// verified bytes are ever moved into the mirror.
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import type { MutatingRunner } from '../../core/runner/types.ts';
import { PARTIAL, place } from './layout.ts';

export const APT_HELPER = '/usr/lib/apt/apt-helper';

export interface Download {
  readonly url: string;
  /** Path below the mirror root, where the file goes once checked. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * The download runs as root: the files land in root's mirror directory, which apt's _apt
 * sandbox user cannot write (apt would fall back to root anyway, with a warning per call).
 */
const HELPER = [APT_HELPER, '-o', 'APT::Sandbox::User=root', '-o', 'Acquire::Retries=3'];

const staged = (dir: string, path: string): string => join(dir, PARTIAL, 'files', path.replaceAll('/', '_'));

function failed(what: string, stderr: string, hint?: string): UserError {
  const lines = stderr.trim().split('\n').filter((l) => l.startsWith('E:') || l.startsWith('Err:') || /\b(40\d|50\d)\b/.test(l));
  return new UserError('COMMAND_FAILED', `could not download ${what}: ${(lines.length ? lines : stderr.trim().split('\n')).slice(-3).join(' / ')}`, {
    hint: hint ?? 'check the network and the mirror URL (apt-helper uses the host\'s apt proxy settings)',
  });
}

/** Downloads a batch of files with known hashes into DIR, each at its path. */
export async function downloadBatch(runner: MutatingRunner, dir: string, files: readonly Download[]): Promise<void> {
  if (files.length === 0) return;
  const argv = [...HELPER, 'download-file', ...files.flatMap((f) => [f.url, staged(dir, f.path), `SHA256:${f.sha256}`])];
  const r = await runner.mutate(argv, { okExitCodes: [100] });
  if (r.exitCode !== 0) throw failed(files.length === 1 ? files[0]!.url : `${files.length} files (${files[0]!.url} …)`, r.stderr + r.stdout);
  for (const f of files) await place(staged(dir, f.path), join(dir, f.path));
}

/**
 * A file whose hash is not known yet (InRelease: it is what gives the hashes), into the
 * staging area; the caller verifies it (gpgv) before it moves anywhere. `optional`: a
 * failure returns false (Release and Release.gpg, which apt does not need beside InRelease).
 */
export async function downloadUnverified(runner: MutatingRunner, dir: string, url: string, path: string, optional = false): Promise<string | undefined> {
  const to = staged(dir, path);
  const r = await runner.mutate([...HELPER, 'download-file', url, to], { okExitCodes: [100] });
  if (r.exitCode === 0) return to;
  if (optional) return undefined;
  throw failed(url, r.stderr + r.stdout, /404/.test(r.stderr + r.stdout) ? 'the archive has no such suite: check host.os.codename and packages.sources (or --mirror); a release the archive no longer carries cannot be mirrored from it' : undefined);
}
