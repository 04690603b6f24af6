// apt resolves the package set against the mirror's own, already verified, metadata: a
// throw-away apt (its own state and an empty dpkg status, as in an empty target) reads
// file:DIR with `apt-get update` — which checks the InRelease signatures and the index
// hashes once more — and `apt-get install --print-uris` lists every archive it would fetch,
// with the SHA256 of the signed index (Acquire::ForceHash). Nothing is installed or fetched.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import type { MutatingRunner } from '../../core/runner/types.ts';
import { APT_DIRS, aptConfig, sourcesList, type Request } from './apt-request.ts';
import type { MirrorSuite } from './sources.ts';
import { parsePrintUris, type PoolFile } from './uris.ts';

export interface Resolution {
  readonly files: PoolFile[];
  /** Names of the manual set this view does not have (apt-cache pkgnames does not list them). */
  readonly missing: string[];
}

function aptFailed(what: string, stderr: string): UserError {
  const errors = stderr.split('\n').filter((l) => /^(E|W):/.test(l));
  return new UserError('COMMAND_FAILED', `apt could not ${what}: ${(errors.length ? errors : stderr.trim().split('\n')).slice(-4).join(' / ')}`, {
    hint: 'the release, architecture or packages of the manifest cannot be resolved from this archive with this host\'s apt',
  });
}

/** Resolves `requests` against the suites `suites` of the mirror in `dir`; the union of their downloads. */
export async function resolve(runner: MutatingRunner, dir: string, suites: readonly MirrorSuite[], architectures: readonly string[], keyring: string, reqs: readonly Request[]): Promise<Resolution> {
  const tmp = await mkdtemp(join(tmpdir(), 'sysmanifest-mirror-apt-'));
  try {
    for (const d of APT_DIRS) await mkdir(join(tmp, d), { recursive: true });
    await writeFile(join(tmp, 'var/lib/dpkg/status'), '');
    await writeFile(join(tmp, 'apt.conf'), aptConfig(tmp, architectures));
    await writeFile(join(tmp, 'etc/apt/sources.list'), sourcesList(dir, suites, keyring, architectures));
    const apt = (tool: string, ...args: string[]): string[] => ['env', `APT_CONFIG=${join(tmp, 'apt.conf')}`, tool, ...args];

    const update = await runner.mutate(apt('apt-get', 'update', '-q'), { okExitCodes: [100] });
    // apt-get update exits 0 with a W: line for a suite it could not use; an unverifiable one must stop here.
    if (update.exitCode !== 0 || /^(E|W):/m.test(update.stderr)) throw aptFailed(`read the mirror's metadata in ${dir}`, update.stderr);

    const names = new Set((await runner.mutate(apt('apt-cache', 'pkgnames'))).stdout.split('\n'));
    const missingName = (w: string): boolean => !w.startsWith('?') && !w.startsWith('~') && !names.has(w.split(':')[0]!) && w !== 'dist-upgrade' && w !== 'install';
    const missing = [...new Set(reqs.flatMap((r) => r.words.filter(missingName)))].sort();

    const lists: PoolFile[][] = [];
    for (const r of reqs) {
      const words = r.words.filter((w) => !missingName(w));
      const argv = apt('apt-get', '--print-uris', '-qq', '-o', 'Acquire::ForceHash=SHA256', '-o', `APT::Install-Recommends=${r.recommends}`, ...words);
      const out = await runner.mutate(argv, { okExitCodes: [100] });
      if (out.exitCode !== 0) throw aptFailed(`resolve the ${r.name} set`, out.stderr);
      lists.push(parsePrintUris(out.stdout, `file:${dir}`));
    }
    return { files: lists.flat(), missing };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
