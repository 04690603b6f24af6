// The planner's own check of the `users` section, before any value reaches argv. The schema
// says the same in patterns; this check does not rely on it having run (a planner may be
// handed a manifest object from anywhere), and adds the rules between entries that a schema
// cannot say. Every refusal names the manifest path.
import { UserError } from '../../../core/errors.ts';
import type { Accounts } from '../../../core/manifest/types.gen.ts';
import { checkScalars } from '../../../core/manifest/scalars.ts';
import { MAX_ID, nameProblem } from './parse.ts';

// Same as schemas/system/users.schema.json: useradd(8) refuses ":" and newline in -d/-s/-c
// ("invalid home directory", "invalid shell", "invalid comment"); -d must be absolute, -s
// absolute or empty (passwd(5): empty means /bin/sh).
const HOME = /^\/[^:\n]*$/;
const SHELL = /^(\/[^:\n]*)?$/;
const GECOS = /^[^:\n]*$/;

function refuse(path: string, why: string, hint = 'fix the manifest (sysmanifest validate FILE lists every problem), or capture the system again'): never {
  throw new UserError('MANIFEST_RULE', `${path}: ${why}`, { hint });
}

function checkName(path: string, name: unknown): void {
  if (typeof name !== 'string') refuse(path, 'must be a string');
  const why = nameProblem(name);
  if (why) refuse(path, `"${name.replace(/[^\x20-\x7e]/g, '?')}" ${why}`);
}

function checkId(path: string, id: unknown): void {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_ID) refuse(path, `must be an integer in 0..${MAX_ID}`);
}

function checkText(path: string, value: unknown, re: RegExp, what: string): void {
  if (typeof value !== 'string' || checkScalars(value).length > 0 || !re.test(value) || value.length > 4095) refuse(path, `is not ${what} useradd(8) takes (no ":", newline or control character)`);
}

/** Throws a UserError naming the first problem of `users`; returns nothing when it can be planned. */
export function checkAccounts(a: Accounts, at = 'users'): void {
  if (!Array.isArray(a.groups) || !Array.isArray(a.users)) refuse(at, 'must have the lists groups and users');
  const gidOf = new Map<string, number>();
  a.groups.forEach((g, i) => {
    const p = `${at}.groups[${i}]`;
    checkName(`${p}.name`, g.name);
    checkId(`${p}.gid`, g.gid);
    if (gidOf.has(g.name)) refuse(`${p}.name`, `group "${g.name}" is listed twice; one name is one group`);
    if (g.name === 'root' && g.gid !== 0) refuse(`${p}.gid`, 'group root must have GID 0');
    gidOf.set(g.name, g.gid);
  });
  const gids = new Set(gidOf.values());
  const seen = new Set<string>();
  a.users.forEach((u, i) => {
    const p = `${at}.users[${i}]`;
    checkName(`${p}.name`, u.name);
    checkId(`${p}.uid`, u.uid);
    checkId(`${p}.gid`, u.gid);
    if (seen.has(u.name)) refuse(`${p}.name`, `user "${u.name}" is listed twice; one name is one user`);
    seen.add(u.name);
    if (u.name === 'root' && u.uid !== 0) refuse(`${p}.uid`, 'user root must have UID 0');
    // useradd -g: "The group name must exist. A group number must refer to an already existing group."
    if (!gids.has(u.gid)) refuse(`${p}.gid`, `no group in ${at}.groups has GID ${u.gid}; useradd -g needs an existing group`, 'add the group to users.groups, or give the user the GID of an existing group');
    if (u.group !== undefined) {
      checkName(`${p}.group`, u.group);
      if (gidOf.get(u.group) !== u.gid) refuse(`${p}.group`, `group "${u.group}" ${gidOf.has(u.group) ? `has GID ${gidOf.get(u.group)}, not ${u.gid}` : `is not in ${at}.groups`}`);
    }
    if (!Array.isArray(u.groups)) refuse(`${p}.groups`, 'must be a list of group names');
    u.groups.forEach((g, j) => {
      checkName(`${p}.groups[${j}]`, g);
      if (!gidOf.has(g)) refuse(`${p}.groups[${j}]`, `group "${g}" is not in ${at}.groups`);
    });
    if (new Set(u.groups).size !== u.groups.length) refuse(`${p}.groups`, 'names a group twice');
    checkText(`${p}.home`, u.home, HOME, 'an absolute home directory');
    checkText(`${p}.shell`, u.shell, SHELL, 'an absolute shell path (or empty)');
    checkText(`${p}.gecos`, u.gecos, GECOS, 'a GECOS field');
  });
}
