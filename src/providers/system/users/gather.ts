// Read-only facts for the accounts: ROOT/etc/passwd, ROOT/etc/group and ROOT/etc/login.defs,
// read through the runner the provider is given (under --root that is core/confine's
// confined runner: a symlinked /etc/passwd resolves inside ROOT, never to the host's file).
// shadow(5) and gshadow(5) are never opened: they hold password hashes.
import { join } from 'node:path';
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';

export interface AccountFiles {
  /** undefined: the file does not exist (recorded in `unsupported`, never read as "no accounts" silently). */
  readonly passwd: string | undefined;
  readonly group: string | undefined;
  /** Absent when the system has no login.defs (Debian's defaults apply). */
  readonly loginDefs: string | undefined;
}

/**
 * undefined when ROOT has neither passwd nor group (not the root of a system: the capture
 * service refuses such a root by its missing package database, with the better message).
 * One without the other is captured with the missing file named in `unsupported`.
 */
export async function gatherAccounts(runner: ReadOnlyRunner, root: string): Promise<AccountFiles | undefined> {
  const [passwd, group, loginDefs] = await Promise.all([
    runner.readFileOptional(join(root, 'etc/passwd')),
    runner.readFileOptional(join(root, 'etc/group')),
    runner.readFileOptional(join(root, 'etc/login.defs')),
  ]);
  if (passwd === undefined && group === undefined) return undefined;
  return { passwd, group, loginDefs };
}
