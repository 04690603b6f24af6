// Side files (public apt keys) written into the manifest repository: only below
// hosts/NAME/<managed>/, with the mode the file had in the captured tree. Their relative paths
// are computed from paths of the captured system (apt-keys/ + a Signed-By path), so a hostile
// tree must not be able to name a file outside that folder.
import { chmod, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../repo/files.ts';
import { joinInside, relativePathProblem } from './manifest-path.ts';

export interface SideFile {
  /** Relative to the host's folder: "<managed>/…". */
  readonly file: string;
  readonly bytes: Uint8Array;
  /** Permission bits in the captured tree; default 0644. */
  readonly mode?: number;
}

/**
 * The host path of side file `rel` of the host folder `hostDir`: refused (UserError REPO)
 * unless it is a normalised relative path below `managed/`.
 */
export function sideFilePath(hostDir: string, managed: string, rel: string): string {
  const problem = relativePathProblem(rel) ?? (rel.startsWith(`${managed}/`) ? undefined : `is not below ${managed}/`);
  if (problem !== undefined) {
    throw new UserError('REPO', `refusing to write side file ${JSON.stringify(rel)} into ${hostDir}: it ${problem}`, {
      hint: 'the captured system names a file (e.g. an apt Signed-By path) that cannot be stored below the host folder; nothing was written',
    });
  }
  return joinInside(hostDir, rel, 'side file');
}

/**
 * Only the permission bits a repository file can sensibly keep: rwx for owner, group and
 * others. setuid/setgid/sticky on a copied key mean nothing in a repository.
 */
const keptMode = (mode: number | undefined): number => (mode ?? 0o644) & 0o777;

/**
 * Writes the side files (all paths checked before the first write), keeps their modes, and
 * removes the stale ones under `managed/`.
 */
export async function writeSideFiles(hostDir: string, files: readonly SideFile[], managed: string): Promise<void> {
  const planned = files.map((f) => ({ ...f, path: sideFilePath(hostDir, managed, f.file), mode: keptMode(f.mode) }));
  const keep = new Set(planned.map((f) => f.path));
  for (const f of planned) {
    let same = false;
    try {
      const [old, st] = await Promise.all([readFile(f.path), stat(f.path)]);
      same = Buffer.from(old).equals(Buffer.from(f.bytes)) && (st.mode & 0o777) === f.mode;
    } catch {
      /* new file */
    }
    if (same) continue;
    await writeFileAtomic(f.path, f.bytes, f.mode);
    // open(2) applies the umask to the mode it is given: set it exactly (the file was created
    // with at most these bits, so it was never more open than the original).
    await chmod(f.path, f.mode);
  }
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (!keep.has(p)) await rm(p);
    }
  };
  await walk(join(hostDir, managed));
}
