// Read-only: flatpak's installations under the captured root, read as files (flatpak cannot
// look at --root): the system installation ROOT/var/lib/flatpak and, for every user in
// ROOT/etc/passwd, HOME/.local/share/flatpak. A ref is installed when it is deployed:
// {app,runtime}/ID/ARCH/BRANCH/active is the deployment flatpak uses. Extra system
// installations from /etc/flatpak/installations.d are not read.
import { posix } from 'node:path';
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import { readWholeFile, underRoot } from '../apt/gather.ts';
import { parsePasswdHomes } from './parse.ts';

export const SYSTEM_DIR = '/var/lib/flatpak';
const USER_DIR = '.local/share/flatpak';

export interface Deployed {
  readonly kind: 'app' | 'runtime';
  readonly id: string;
  readonly arch: string;
  readonly branch: string;
  /** The active/deploy file (GVariant). */
  readonly deploy: Uint8Array;
}

export interface Installation {
  /** `system` or `user:<name>`. */
  readonly name: string;
  /** Path on the captured system. */
  readonly path: string;
  readonly deployed: readonly Deployed[];
  readonly repoConfig: string | undefined;
}

const list = async (r: ReadOnlyRunner, p: string): Promise<string[]> => ((await r.exists(p)) ? r.readDir(p) : []);

async function readInstallation(r: ReadOnlyRunner, root: string, name: string, path: string): Promise<Installation | undefined> {
  const dir = underRoot(root, path);
  if (!(await r.exists(dir))) return undefined;
  const deployed: Deployed[] = [];
  for (const kind of ['app', 'runtime'] as const) {
    for (const id of await list(r, posix.join(dir, kind))) {
      // ID/current is a symlink to the current ARCH/BRANCH of an app, not an architecture.
      for (const arch of (await list(r, posix.join(dir, kind, id))).filter((a) => a !== 'current')) {
        for (const branch of await list(r, posix.join(dir, kind, id, arch))) {
          const deployFile = posix.join(dir, kind, id, arch, branch, 'active', 'deploy');
          if (!(await r.exists(deployFile))) continue; // not deployed (an interrupted install, or being removed)
          deployed.push({ kind, id, arch, branch, deploy: await readWholeFile(r, deployFile) });
        }
      }
    }
  }
  return { name, path, deployed, repoConfig: await r.readFileOptional(posix.join(dir, 'repo', 'config')) };
}

export async function gatherFlatpak(r: ReadOnlyRunner, root: string): Promise<Installation[]> {
  const out: Installation[] = [];
  const system = await readInstallation(r, root, 'system', SYSTEM_DIR);
  if (system) out.push(system);
  const passwd = await r.readFileOptional(underRoot(root, '/etc/passwd'));
  const seen = new Set<string>();
  for (const { user, home } of parsePasswdHomes(passwd ?? '')) {
    if (home === '/' || seen.has(home)) continue;
    seen.add(home);
    const inst = await readInstallation(r, root, `user:${user}`, posix.join(home, USER_DIR));
    if (inst) out.push(inst);
  }
  return out;
}
