// verify for the users stage: the accounts captured from the rebuilt tree against the
// manifest's, difference by difference, in manifest paths (users.users[2].uid …). Pure.
// Accounts are matched by name (core/manifest/diff.ts): a missing one, an extra one and a
// changed field (uid, gid, primary group, groups, shell, home, GECOS, system) each show.
// `unsupported` is not compared: its line numbers describe the files of the captured
// machine, not a property of the accounts.
import { diffValues, type Difference } from '../../../core/manifest/diff.ts';
import type { Accounts, Manifest } from '../../../core/manifest/types.gen.ts';

const comparable = (a: Accounts): Pick<Accounts, 'groups' | 'users'> => ({ groups: a.groups, users: a.users });

/** `facts`: the users provider's capture of the target (undefined: it has no account files). */
export function verifyUsers(manifest: Manifest, facts: Accounts | undefined): Difference[] {
  if (!manifest.users) return [];
  return diffValues(comparable(manifest.users), facts ? comparable(facts) : undefined, ['users']);
}
