// A ReadOnlyRunner whose file reads stay inside one root (capture --root R). The system
// providers compute host paths as join(R, path-of-the-captured-system) and read them through
// the runner they are given; the capture service gives them this one, so that every read of
// the --root tree — os-release, passwd, dpkg and apt state, Signed-By keys, /etc files,
// homes — resolves its path inside R (see in-root.ts) instead of following the host's
// symlinks. Commands (git, find, rpm) pass through unchanged: their path arguments are the
// providers' to resolve first (resolveGitDirs in the etc and dotfiles providers).
import { posix } from 'node:path';
import { UserError } from '../errors.ts';
import type { ReadOnlyRunner } from '../runner/types.ts';
import { hostProbe, RootFs, type FsProbe, type Resolved } from './in-root.ts';

function enoent(path: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`ENOENT: no such file or directory, open '${path}'`);
  e.code = 'ENOENT';
  return e;
}

/**
 * `inner` with its file reads confined to `root`. A path given to it is a host path
 * (R + a path of the captured system); one lexically outside R (a provider joined a hostile
 * "/../../x" from a file of R) does not exist as far as this runner is concerned.
 */
export function confinedRunner(inner: ReadOnlyRunner, root: string, probe: FsProbe = hostProbe): ReadOnlyRunner & { readonly rootFs: RootFs } {
  const fs = new RootFs(root, probe);
  const inside = (p: string): string | undefined => {
    const rel = posix.relative(fs.root, posix.resolve(p));
    return rel === '..' || rel.startsWith('../') || posix.isAbsolute(rel) ? undefined : `/${rel}`;
  };
  const resolve = async (p: string, follow = true): Promise<Resolved | undefined> => {
    const captured = inside(p);
    return captured === undefined ? undefined : fs.resolve(captured, follow);
  };
  const regular = async (p: string): Promise<string | undefined> => {
    const r = await resolve(p);
    if (r === undefined) return undefined;
    // A FIFO would block the capture forever, a device would be read to its end.
    if (r.stat.type === 'other') {
      throw new UserError('REFUSED', `${p}: not a regular file (a device, FIFO or socket); not read`, { hint: 'the tree given with --root holds a special file where a file was expected' });
    }
    return r.path;
  };
  return {
    rootFs: fs,
    mode: inner.mode,
    run: (argv, options) => inner.run(argv, options),
    hasProgram: (p) => inner.hasProgram(p),
    async readFile(p) {
      const h = await regular(p);
      if (h === undefined) throw enoent(p);
      return inner.readFile(h);
    },
    async readFileOptional(p) {
      const h = await regular(p);
      return h === undefined ? undefined : inner.readFileOptional(h);
    },
    async readBytes(p, offset, length) {
      const h = await regular(p);
      if (h === undefined) throw enoent(p);
      return inner.readBytes(h, offset, length);
    },
    async readDir(p) {
      const r = await resolve(p);
      if (r === undefined) throw enoent(p);
      return inner.readDir(r.path);
    },
    async readLink(p) {
      const r = await resolve(p, false);
      if (r === undefined) throw enoent(p);
      return inner.readLink(r.path);
    },
    async exists(p) {
      return (await resolve(p)) !== undefined;
    },
  };
}
