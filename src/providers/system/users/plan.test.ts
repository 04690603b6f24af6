import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Accounts, Manifest } from '../../../core/manifest/types.gen.ts';
import { isUserError } from '../../../core/errors.ts';
import type { SystemPlanContext } from '../../types.ts';
import { planUsers, targetFilesystems } from './plan.ts';
import { FREE_IDS, GROUP, USER } from './script.ts';
import { verifyUsers } from './verify.ts';

const accounts = (): Accounts => ({
  groups: [
    { name: 'users', gid: 100, system: true },
    { name: 'alice', gid: 1000, system: false },
    { name: 'root', gid: 0, system: true },
    { name: 'sudo', gid: 27, system: true },
    { name: 'messagebus', gid: 102, system: true },
  ],
  users: [
    { name: 'root', uid: 0, gid: 0, group: 'root', groups: [], home: '/root', shell: '/bin/bash', gecos: 'root', system: true },
    { name: 'alice', uid: 1000, gid: 1000, group: 'alice', groups: ['users', 'sudo'], home: '/home/alice', shell: '/bin/bash', gecos: 'Alice Liddell,Room 1,,,', system: false },
    { name: 'messagebus', uid: 100, gid: 102, group: 'messagebus', groups: [], home: '/nonexistent', shell: '/usr/sbin/nologin', gecos: '', system: true },
  ],
});

const manifest = (users: Accounts | undefined, fstab: { file: string; vfstype: string }[] = []): Manifest => ({
  apiVersion: 'sysmanifest/v1',
  host: { hostname: 'h' },
  ...(users ? { users } : {}),
  mounts: { fstab: fstab.map((f) => ({ spec: 'UUID=x', options: 'defaults', freq: 0, passno: 0, ...f })), crypttab: [] },
});

const ctx = (m: Manifest): SystemPlanContext => ({ manifest: m, target: '/mnt/sysmanifest', hostDir: '/repo/hosts/h', mirrors: [], cacheDir: '/var/cache/sysmanifest', inputs: {} });

const FSTAB = [
  { file: '/', vfstype: 'ext4' },
  { file: '/home', vfstype: 'xfs' },
  { file: '/boot/efi', vfstype: 'vfat' },
  { file: 'none', vfstype: 'swap' },
  { file: '/tmp', vfstype: 'tmpfs' },
  { file: '/var', vfstype: 'btrfs' },
];

test('users plan: groups then users, sorted by name, each with its exact argv; chroot into the target; files re-owned on the fstab\'s own filesystems', () => {
  const steps = planUsers(ctx(manifest(accounts(), FSTAB)));
  const fs = ['/', '/home', '/var'];
  const sh = (script: string, name: string, ...args: string[]) => ['chroot', '/mnt/sysmanifest', '/bin/sh', '-c', script, name, ...args, ...fs];
  assert.deepEqual(
    steps.map((s) => [s.id, s.after, s.stage, s.risk]),
    [
      ['users:free-gids', [], 'users', 'create'],
      ['group:alice', ['users:free-gids'], 'users', 'create'],
      ['group:messagebus', ['users:free-gids'], 'users', 'create'],
      ['group:root', ['users:free-gids'], 'users', 'create'],
      ['group:sudo', ['users:free-gids'], 'users', 'create'],
      ['group:users', ['users:free-gids'], 'users', 'create'],
      ['users:free-uids', ['group:alice', 'group:messagebus', 'group:root', 'group:sudo', 'group:users'], 'users', 'create'],
      ['user:alice', ['users:free-uids'], 'users', 'create'],
      ['user:messagebus', ['users:free-uids'], 'users', 'create'],
      ['user:root', ['users:free-uids'], 'users', 'create'],
    ],
  );
  const argv = Object.fromEntries(steps.map((s) => [s.id, s.argv]));
  assert.deepEqual(argv['users:free-gids'], sh(FREE_IDS, 'sysmanifest-free-ids', 'group', '5', 'alice', '1000', 'messagebus', '102', 'root', '0', 'sudo', '27', 'users', '100'));
  assert.deepEqual(argv['group:sudo'], sh(GROUP, 'sysmanifest-group', 'sudo', '27', ''));
  assert.deepEqual(argv['users:free-uids'], sh(FREE_IDS, 'sysmanifest-free-ids', 'passwd', '3', 'alice', '1000', 'messagebus', '100', 'root', '0'));
  // Supplementary groups sorted bytewise (the script compares them so); a GECOS with commas passes whole.
  assert.deepEqual(argv['user:alice'], sh(USER, 'sysmanifest-user', 'alice', '1000', '1000', 'sudo,users', '/bin/bash', '/home/alice', 'Alice Liddell,Room 1,,,', '', ''));
  assert.deepEqual(argv['user:messagebus'], sh(USER, 'sysmanifest-user', 'messagebus', '100', '102', '', '/usr/sbin/nologin', '/nonexistent', '', '', '-r'));
});

test('users plan: shared ids are recreated with -o; no manifest section, no steps; no fstab, only /', () => {
  const a = accounts();
  a.users.push({ name: 'toor', uid: 0, gid: 0, group: 'root', groups: [], home: '/root', shell: '/bin/sh', gecos: '', system: true });
  a.groups.push({ name: 'wheel', gid: 27, system: true });
  const steps = planUsers({ ...ctx(manifest(a)), manifest: { apiVersion: 'sysmanifest/v1', host: { hostname: 'h' }, users: a } });
  const byId = new Map(steps.map((s) => [s.id, s.argv]));
  assert.deepEqual(byId.get('group:wheel')!.slice(5), ['sysmanifest-group', 'wheel', '27', '-o', '/']);
  assert.deepEqual(byId.get('group:sudo')!.slice(5), ['sysmanifest-group', 'sudo', '27', '-o', '/']);
  assert.deepEqual(byId.get('group:alice')!.slice(5), ['sysmanifest-group', 'alice', '1000', '', '/']);
  assert.deepEqual(byId.get('user:toor')!.slice(-3), ['-o', '-r', '/']);
  assert.deepEqual(byId.get('user:alice')!.slice(-3), ['', '', '/']);
  assert.deepEqual(planUsers(ctx(manifest(undefined))), []);
  assert.deepEqual(targetFilesystems(manifest(undefined, [{ file: '/srv/../etc', vfstype: 'ext4' }, { file: '/srv', vfstype: 'ext4' }])), ['/', '/srv']);
});

test('users plan: every name, id and text that would reach argv is checked, and refusals name the manifest path', () => {
  const cases: [string, (a: Accounts) => void, RegExp][] = [
    ['option-like name', (a) => (a.users[1]!.name = '-oroot'), /^users\.users\[1\]\.name: "-oroot" is not a name useradd/],
    ['numeric name', (a) => (a.groups[0]!.name = '1000'), /^users\.groups\[0\]\.name: "1000" is not a name/],
    ['name too long', (a) => (a.users[1]!.name = 'a'.repeat(33)), /^users\.users\[1\]\.name: "a+" is longer than 32 characters/],
    ['control character in a name', (a) => (a.users[1]!.name = 'al\u001bice'), /^users\.users\[1\]\.name: "al\?ice" is not a name/],
    ['uid (uid_t)-1', (a) => (a.users[1]!.uid = 4294967295), /^users\.users\[1\]\.uid: must be an integer in 0\.\.4294967294/],
    ['duplicate user', (a) => a.users.push({ ...a.users[1]!, uid: 1001 }), /^users\.users\[3\]\.name: user "alice" is listed twice/],
    ['duplicate group', (a) => a.groups.push({ name: 'sudo', gid: 28, system: true }), /^users\.groups\[5\]\.name: group "sudo" is listed twice/],
    ['root elsewhere', (a) => (a.users[0]!.uid = 5), /^users\.users\[0\]\.uid: user root must have UID 0/],
    ['unknown primary gid', (a) => (a.users[1]!.gid = 4242), /^users\.users\[1\]\.gid: no group in users\.groups has GID 4242/],
    ['primary group name disagrees', (a) => (a.users[1]!.group = 'sudo'), /^users\.users\[1\]\.group: group "sudo" has GID 27, not 1000/],
    ['unknown supplementary group', (a) => a.users[1]!.groups.push('wheel'), /^users\.users\[1\]\.groups\[2\]: group "wheel" is not in users\.groups/],
    ['GECOS with a colon', (a) => (a.users[1]!.gecos = 'Alice:0:0'), /^users\.users\[1\]\.gecos: is not a GECOS field useradd\(8\) takes/],
    ['GECOS with a newline', (a) => (a.users[1]!.gecos = 'Alice\nroot::0:0::/:/bin/sh'), /^users\.users\[1\]\.gecos: is not a GECOS field/],
    ['relative home', (a) => (a.users[1]!.home = 'home/alice'), /^users\.users\[1\]\.home: is not an absolute home directory/],
    ['shell with a colon', (a) => (a.users[1]!.shell = '/bin/sh:x'), /^users\.users\[1\]\.shell: is not an absolute shell path/],
  ];
  for (const [what, change, message] of cases) {
    const a = accounts();
    change(a);
    assert.throws(() => planUsers(ctx(manifest(a))), (e: unknown) => isUserError(e) && e.code === 'MANIFEST_RULE' && message.test(e.message), what);
  }
});

test('verifyUsers: identical accounts give nothing; a missing user, a changed id, shell, home, groups and an extra group each give one difference', () => {
  const m = manifest(accounts());
  assert.deepEqual(verifyUsers(m, { ...accounts(), unsupported: [{ file: '/etc/passwd', line: 9, reason: 'x' }] }), []);
  const actual = accounts();
  actual.users = actual.users.filter((u) => u.name !== 'messagebus');
  const alice = actual.users.find((u) => u.name === 'alice')!;
  Object.assign(alice, { uid: 1001, shell: '/bin/sh', home: '/home/al', groups: ['sudo'] });
  actual.groups.push({ name: 'extra', gid: 999, system: true });
  const diffs = verifyUsers(m, actual).map((d) => [d.path.join('.'), d.expected, d.actual]);
  assert.deepEqual(diffs, [
    ['users.groups.+extra', undefined, { name: 'extra', gid: 999, system: true }],
    ['users.users.1.groups.0', 'users', 'sudo'],
    ['users.users.1.groups.1', 'sudo', undefined],
    ['users.users.1.home', '/home/alice', '/home/al'],
    ['users.users.1.shell', '/bin/bash', '/bin/sh'],
    ['users.users.1.uid', 1000, 1001],
    ['users.users.2', accounts().users[2], undefined],
  ]);
  assert.deepEqual(verifyUsers(manifest(undefined), actual), []);
  assert.deepEqual(verifyUsers(m, undefined), [{ path: ['users'], expected: { groups: accounts().groups, users: accounts().users }, actual: undefined }]);
});
