// The manifest's `users` section from the account files: pure. What cannot be recreated
// faithfully with useradd/groupadd is listed in `unsupported` (file, line, why), never
// dropped silently and never quoted: a passwd line may carry a hash in its second field.
import type { Accounts, AccountUnsupported, Group, User } from '../../../core/manifest/types.gen.ts';
import { checkScalars } from '../../../core/manifest/scalars.ts';
import type { AccountFiles } from './gather.ts';
import { nameProblem, parseGroup, parseLoginDefs, parsePasswd, type GroupEntry, type PasswdEntry } from './parse.ts';

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Why a passwd text field cannot go into the manifest (and to useradd), or undefined. */
function fieldProblem(field: 'home' | 'shell' | 'GECOS', value: string): string | undefined {
  if (checkScalars(value).length > 0) return `the ${field} field contains a control character or is too long`;
  if (field === 'home' && !value.startsWith('/')) return 'the home directory is not an absolute path (useradd -d takes only those)';
  if (field === 'shell' && value !== '' && !value.startsWith('/')) return 'the shell is not an absolute path (useradd -s takes only those)';
  return undefined;
}

export function captureAccounts(files: AccountFiles): Accounts {
  const ranges = parseLoginDefs(files.loginDefs);
  const passwd = parsePasswd(files.passwd ?? '');
  const group = parseGroup(files.group ?? '');
  const missing = (file: '/etc/passwd' | '/etc/group'): AccountUnsupported => ({ file, reason: `${file} does not exist: no ${file === '/etc/group' ? 'group' : 'user'} is recorded from it (pwck(8) and grpck(8) check the pair)` });
  const unsupported: AccountUnsupported[] = [
    ...(files.passwd === undefined ? [missing('/etc/passwd')] : []),
    ...(files.group === undefined ? [missing('/etc/group')] : []),
    ...passwd.bad.map((b) => ({ file: '/etc/passwd' as const, line: b.line, reason: `not an account line: ${b.why}` })),
    ...group.bad.map((b) => ({ file: '/etc/group' as const, line: b.line, reason: `not a group line: ${b.why}` })),
  ];

  // The first entry of a name is the one getgrnam(3)/getpwnam(3) and the shadow tools use.
  const groups = new Map<string, GroupEntry>();
  for (const e of group.entries) {
    const why = nameProblem(e.name);
    if (why) unsupported.push({ file: '/etc/group', line: e.line, reason: `the group name ${why}` });
    else if (groups.has(e.name)) unsupported.push({ file: '/etc/group', line: e.line, reason: `a second entry for group "${e.name}" (line ${groups.get(e.name)!.line} is the one in use; grpck(8) reports the duplicate)` });
    else groups.set(e.name, e);
  }
  const users = new Map<string, PasswdEntry>();
  for (const e of passwd.entries) {
    const why = nameProblem(e.name);
    const field = fieldProblem('home', e.home) ?? fieldProblem('shell', e.shell) ?? fieldProblem('GECOS', e.gecos);
    if (why) unsupported.push({ file: '/etc/passwd', line: e.line, reason: `the user name ${why}` });
    else if (users.has(e.name)) unsupported.push({ file: '/etc/passwd', line: e.line, reason: `a second entry for user "${e.name}" (line ${users.get(e.name)!.line} is the one in use; pwck(8) reports the duplicate)` });
    else if (field) unsupported.push({ file: '/etc/passwd', line: e.line, reason: `user "${e.name}": ${field}` });
    else users.set(e.name, e);
  }

  // Supplementary groups come from the groups' member lists (group(5) field 4).
  const supplementary = new Map<string, Set<string>>();
  for (const g of groups.values()) {
    for (const m of new Set(g.members)) {
      if (users.has(m)) supplementary.set(m, (supplementary.get(m) ?? new Set()).add(g.name));
      else unsupported.push({ file: '/etc/group', line: g.line, reason: nameProblem(m) ? `group "${g.name}" lists a member whose name is not one useradd takes (not recreated)` : `group "${g.name}" lists "${m}", who has no account that is recreated (not recreated)` });
    }
  }
  // getgrgid(3) answers with the first group of a gid.
  const groupOfGid = new Map<number, string>();
  for (const g of groups.values()) if (!groupOfGid.has(g.gid)) groupOfGid.set(g.gid, g.name);

  const human = (id: number, min: number, max: number): boolean => id >= min && id <= max;
  const outGroups: Group[] = [...groups.values()].map((g) => ({ name: g.name, gid: g.gid, system: !human(g.gid, ranges.gidMin, ranges.gidMax) })).sort(byName);
  const outUsers: User[] = [...users.values()]
    .map((u) => {
      const primary = groupOfGid.get(u.gid);
      return {
        name: u.name,
        uid: u.uid,
        gid: u.gid,
        ...(primary === undefined ? {} : { group: primary }),
        groups: [...(supplementary.get(u.name) ?? [])].sort(),
        home: u.home,
        shell: u.shell,
        gecos: u.gecos,
        system: !human(u.uid, ranges.uidMin, ranges.uidMax),
      };
    })
    .sort(byName);
  for (const u of outUsers) {
    if (u.group === undefined) unsupported.push({ file: '/etc/passwd', line: users.get(u.name)!.line, reason: `user "${u.name}": no group has the primary GID ${u.gid}; useradd -g needs an existing group, so a rebuild refuses to plan this user until the group is added or the GID changed` });
  }
  unsupported.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0)));
  return { groups: outGroups, users: outUsers, ...(unsupported.length ? { unsupported } : {}) };
}
