// The signed metadata of each suite, kept exactly as the archive serves it: InRelease (and
// Release + Release.gpg when the archive has them), and the Packages indexes the Release file
// lists for the needed components and architectures, byte for byte so that their hashes
// match. InRelease is verified with gpgv(1) against the archive keyring before anything it
// lists is trusted; the text gpgv writes out (--output) is what is parsed.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import type { MutatingRunner } from '../../core/runner/types.ts';
import { downloadBatch, downloadUnverified } from './fetch.ts';
import { hasFile, linkByHash, place } from './layout.ts';
import { byHashPath, indexFilesFor, parseRelease, type IndexFile, type Release } from './release.ts';
import type { MirrorSuite } from './sources.ts';

export interface SuiteResult {
  readonly suite: string;
  readonly release: Release;
  /** Index files downloaded this run (0 when the mirror already had them). */
  readonly downloaded: number;
  readonly reused: number;
  /** Files left out, and why (Release/Release.gpg that do not verify: apt reads InRelease). */
  readonly notes: readonly string[];
}

async function verify(runner: MutatingRunner, keyring: string, argv: readonly string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const r = await runner.mutate(['gpgv', '--keyring', keyring, ...argv], { okExitCodes: [1, 2] });
  return { ok: r.exitCode === 0, stdout: r.stdout, stderr: r.stderr };
}

const readOptional = (p: string): Promise<string | undefined> => readFile(p, 'utf8').catch(() => undefined);

/** Fetches, verifies and places one suite's metadata; returns its parsed Release file. */
export async function mirrorSuite(runner: MutatingRunner, dir: string, s: MirrorSuite, architectures: readonly string[], keyring: string): Promise<SuiteResult> {
  const rel = `dists/${s.suite}`;
  const base = `${s.uri}/${rel}`;
  const inRelease = await downloadUnverified(runner, dir, `${base}/InRelease`, `${rel}/InRelease`);
  const v = await verify(runner, keyring, ['--output', '-', inRelease!]);
  if (!v.ok) {
    throw new UserError('REFUSED', `${base}/InRelease: its signature could not be verified with ${keyring}: ${v.stderr.trim().split('\n').slice(-2).join(' / ')}`, {
      hint: 'a release newer than this host knows needs a newer debian-archive-keyring (or pass --keyring FILE with the archive\'s key)',
    });
  }
  const release = parseRelease(v.stdout, `${base}/InRelease`);
  if (release.codename !== undefined && release.codename !== s.suite && release.suite !== s.suite) {
    throw new UserError('REFUSED', `${base}/InRelease is for ${release.codename} (${release.suite ?? 'no suite'}), not ${s.suite}`, { hint: 'the mirror URL serves another release under this name' });
  }

  const indexes = indexFilesFor(release, s.suite, s.components, architectures, s.kind === 'extra');
  const notes: string[] = [];
  let downloaded = 0;
  const placed: IndexFile[] = [];
  for (const f of indexes) {
    if (await hasFile(join(dir, rel, f.path), f.size, f.sha256)) {
      placed.push(f);
      continue;
    }
    // As apt does (acquire-item.cc): by-hash first when the suite offers it — a mirror caught
    // mid-update serves the old file under the name but the right bytes under the hash — and
    // the name as the fallback.
    const urls = [...(release.acquireByHash ? [`${base}/${byHashPath(f)}`] : []), `${base}/${f.path}`];
    let error: unknown;
    for (const url of urls) {
      try {
        await downloadBatch(runner, dir, [{ url, path: `${rel}/${f.path}`, size: f.size, sha256: f.sha256 }]);
        error = undefined;
        break;
      } catch (e) {
        error = e;
      }
    }
    if (error === undefined) {
      downloaded++;
      placed.push(f);
    } else if (f.path.endsWith('/Release')) {
      // The per-directory Release file is informational; apt never needs it.
      notes.push(`${base}/${f.path}: not served with the hash InRelease gives it: left out`);
    } else throw error;
  }
  if (release.acquireByHash) for (const f of placed) await linkByHash(join(dir, rel, f.path), join(dir, rel, byHashPath(f)));

  // Release and Release.gpg are what older clients read; InRelease says the same (the text
  // gpgv writes out is the Release file byte for byte at Debian). Unchanged: not downloaded again.
  // A pair that does not verify, or says something else than InRelease (a stale proxy
  // cache serves one now and then), is left out: apt would refuse it too.
  if ((await readOptional(join(dir, rel, 'Release'))) !== v.stdout) {
    const plain = await downloadUnverified(runner, dir, `${base}/Release`, `${rel}/Release`, true);
    const sig = plain && (await downloadUnverified(runner, dir, `${base}/Release.gpg`, `${rel}/Release.gpg`, true));
    if (!plain || !sig) notes.push(`${base}: no Release/Release.gpg (InRelease only)`);
    else if ((await readFile(plain, 'utf8')) !== v.stdout) notes.push(`${base}/Release differs from what InRelease signs: left out`);
    else if (!(await verify(runner, keyring, [sig, plain])).ok) notes.push(`${base}/Release.gpg does not verify Release: left out`);
    else {
      await place(plain, join(dir, rel, 'Release'));
      await place(sig, join(dir, rel, 'Release.gpg'));
    }
  }
  // InRelease last: until it is in place, the suite's old state stays consistent.
  await place(inRelease!, join(dir, rel, 'InRelease'));
  return { suite: s.suite, release, downloaded, reused: placed.length - downloaded, notes };
}
