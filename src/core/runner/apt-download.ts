// Downloading one exact package version for its pristine conffiles (merge bases, issue 15), when
// the running system's apt cache no longer has the .deb. `apt-get download` writes only into
// its current directory, which is a private temporary directory made here and removed by the
// caller's cleanup: the system (its apt cache, lists, dpkg state) is not changed, which is why a
// read-only capture may do this. Only for the running system: a --root tree's apt configuration
// is hostile input and is never run. argv arrays, LC_ALL=C, a timeout.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Downloaded {
  /** The .deb apt-get fetched (verified against apt's signed index by apt itself). */
  readonly deb: string;
  /** Removes the temporary directory. */
  readonly cleanup: () => void;
}

/** The last lines apt printed, without the temporary directory's name (the reason is recorded). */
function reason(text: string, dir: string): string {
  return text.split(dir).join('.').trim().split('\n').filter((l) => l.trim() !== '').slice(-2).join(' / ');
}

/**
 * `apt-get download NAME[:ARCH]=VERSION` in a fresh temporary directory. Resolves with the .deb,
 * or rejects with an Error whose message is apt's reason (the version is gone from the mirror,
 * no network…). `spec` is built by the caller from dpkg's status: name, version, and the
 * architecture when it is a foreign one.
 */
export function aptDownload(spec: string, timeoutMs = 120_000): Promise<Downloaded> {
  const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-base-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  return new Promise((resolve, reject) => {
    execFile(
      'apt-get',
      // -o APT::Sandbox::User=root: the private directory is root's 0700 one, which apt's _apt
      // user cannot write to; apt would download as root anyway, with a warning.
      ['-q', '-o', 'APT::Sandbox::User=root', 'download', '--', spec],
      { cwd: dir, env: { ...process.env, LC_ALL: 'C', LANG: 'C', LANGUAGE: '' }, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error) {
          cleanup();
          const e = error as NodeJS.ErrnoException & { killed?: boolean };
          const why = e.code === 'ENOENT' ? 'apt-get is not installed' : e.killed ? `apt-get download timed out after ${timeoutMs} ms` : reason(stderr || stdout, dir) || `apt-get download failed (${String(e.code)})`;
          return reject(new Error(why));
        }
        const debs = readdirSync(dir).filter((f) => f.endsWith('.deb'));
        if (debs.length !== 1) {
          cleanup();
          return reject(new Error(`apt-get download ${spec} left ${debs.length} .deb files`));
        }
        resolve({ deb: join(dir, debs[0]!), cleanup });
      },
    );
  });
}
