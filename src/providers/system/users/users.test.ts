import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateSchema } from '../../../core/manifest/validate.ts';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import { captureAccounts } from './capture.ts';
import { gatherAccounts } from './gather.ts';
import { provider } from './index.ts';
import { parseGroup, parseLoginDefs, parsePasswd } from './parse.ts';

const fx = (name: string): string => fixture(import.meta.url, `./__fixtures__/${name}`);
const capture = (passwd: string, group: string, loginDefs?: string) => captureAccounts({ passwd, group, loginDefs });
const manifestWith = (users: unknown) => ({ apiVersion: 'sysmanifest/v1', host: { hostname: 'h' }, users });

test('users: this host\'s passwd and group (real files): every account, sorted by name, system vs human by login.defs', async () => {
  const runner = new FakeRunner({ files: { '/etc/passwd': fx('host.passwd'), '/etc/group': fx('host.group'), '/etc/login.defs': fx('login.defs') } });
  const { users } = (await provider.contribute({ runner, root: '/' })) as { users: ReturnType<typeof captureAccounts> };
  assert.equal(users.users.length, 25);
  assert.equal(users.groups.length, 53); // wc -l host.group
  assert.deepEqual(users.users.map((u) => u.name).slice(0, 6), ['_apt', '_flatpak', 'backup', 'bin', 'cloudsdk', 'daemon']);
  assert.deepEqual(users.users.find((u) => u.name === 'cloudsdk'), { name: 'cloudsdk', uid: 1000, gid: 1000, group: 'cloudsdk', groups: [], home: '/home/cloudsdk', shell: '/bin/bash', gecos: '', system: false });
  // A GECOS with chfn's commas is kept whole; ssl-cert's member list gives postgres its supplementary group.
  assert.deepEqual(users.users.find((u) => u.name === 'postgres'), { name: 'postgres', uid: 101, gid: 104, group: 'postgres', groups: ['ssl-cert'], home: '/var/lib/postgresql', shell: '/bin/bash', gecos: 'PostgreSQL administrator,,,', system: true });
  assert.deepEqual(users.users.find((u) => u.name === 'systemd-network'), { name: 'systemd-network', uid: 998, gid: 998, group: 'systemd-network', groups: [], home: '/', shell: '/usr/sbin/nologin', gecos: 'systemd Network Management', system: true });
  // _apt's primary GID 65534 is nogroup's; nobody (65534, above UID_MAX) is a system account.
  assert.equal(users.users.find((u) => u.name === '_apt')!.group, 'nogroup');
  assert.equal(users.users.find((u) => u.name === 'nobody')!.system, true);
  assert.deepEqual(users.groups.filter((g) => !g.system), [{ name: 'cloudsdk', gid: 1000, system: false }]);
  assert.equal(users.unsupported, undefined);
  assert.deepEqual(validateSchema(manifestWith(users)), []);
});

test('users: the cached chroot (fresh Debian minbase): base-passwd\'s static accounts only, all system', () => {
  const a = capture(fx('chroot.passwd'), fx('chroot.group'), fx('login.defs'));
  assert.equal(a.users.length, 18);
  assert.equal(a.groups.length, 38);
  assert.ok(a.users.every((u) => u.system) && a.groups.every((g) => g.system));
  assert.deepEqual(a.users.find((u) => u.name === 'sync'), { name: 'sync', uid: 4, gid: 65534, group: 'nogroup', groups: [], home: '/bin', shell: '/bin/sync', gecos: 'sync', system: true });
  assert.deepEqual(validateSchema(manifestWith(a)), []);
});

test('users: deterministic — the same files in another line order give the same section', () => {
  const shuffle = (t: string): string => `${t.trimEnd().split('\n').reverse().join('\n')}\n`;
  assert.deepEqual(capture(shuffle(fx('host.passwd')), shuffle(fx('host.group'))), capture(fx('host.passwd'), fx('host.group')));
});

test('users: duplicates, NIS lines, bad names and fields, dangling members and GIDs are listed in unsupported, never quoted', () => {
  const passwd = [
    'root:x:0:0:root:/root:/bin/bash',
    'toor:x:0:0:second root:/root:/bin/sh', // shared UID 0: legal, kept
    'alice:$6$salt$hash:1000:1000:Alice,,,:/home/alice:/bin/bash',
    'alice:x:1001:1000::/home/alice2:/bin/sh', // duplicate name
    '+@netgroup::::::', // NIS compat
    'Bad Name:x:1002:1000::/home/b:/bin/sh',
    'carol:x:1003:4242::/home/carol:', // no group 4242; empty shell
    'dave:x:1004:1000::relative:/bin/sh', // home not absolute
    'eve:x:4294967295:1000::/home/eve:/bin/sh', // (uid_t)-1
    'short:x:1',
    '',
  ].join('\n');
  const group = ['root:x:0:', 'alice:x:1000:', 'alice:x:1001:', 'sudo:x:27:alice,ghost,alice,Bad Name', 'wheel:x:27:'].join('\n');
  const a = capture(passwd, group);
  assert.deepEqual(a.users.map((u) => [u.name, u.uid, u.home]), [['alice', 1000, '/home/alice'], ['carol', 1003, '/home/carol'], ['root', 0, '/root'], ['toor', 0, '/root']]);
  assert.deepEqual(a.users.find((u) => u.name === 'alice')!.groups, ['sudo']);
  assert.deepEqual(a.users.find((u) => u.name === 'carol'), { name: 'carol', uid: 1003, gid: 4242, groups: [], home: '/home/carol', shell: '', gecos: '', system: false });
  // Two groups with GID 27 are kept as they are (groupadd -o recreates them).
  assert.deepEqual(a.groups.map((g) => [g.name, g.gid]), [['alice', 1000], ['root', 0], ['sudo', 27], ['wheel', 27]]);
  assert.deepEqual(a.unsupported, [
    { file: '/etc/group', line: 3, reason: 'a second entry for group "alice" (line 2 is the one in use; grpck(8) reports the duplicate)' },
    { file: '/etc/group', line: 4, reason: 'group "sudo" lists "ghost", who has no account that is recreated (not recreated)' },
    { file: '/etc/group', line: 4, reason: 'group "sudo" lists a member whose name is not one useradd takes (not recreated)' },
    { file: '/etc/passwd', line: 4, reason: 'a second entry for user "alice" (line 3 is the one in use; pwck(8) reports the duplicate)' },
    { file: '/etc/passwd', line: 5, reason: 'not an account line: a NIS compat (+/-) entry: accounts from NIS are not local and are not recreated' },
    { file: '/etc/passwd', line: 6, reason: 'the user name is not a name useradd(8) and groupadd(8) take without --badname (letters, digits, _ . -, an optional final $; not only digits; not starting with -)' },
    { file: '/etc/passwd', line: 7, reason: 'user "carol": no group has the primary GID 4242; useradd -g needs an existing group, so a rebuild refuses to plan this user until the group is added or the GID changed' },
    { file: '/etc/passwd', line: 8, reason: 'user "dave": the home directory is not an absolute path (useradd -d takes only those)' },
    { file: '/etc/passwd', line: 9, reason: 'not an account line: the UID is not a number in 0..4294967294' },
    { file: '/etc/passwd', line: 10, reason: 'not an account line: has 3 fields, passwd(5) has 7' },
  ]);
  assert.doesNotMatch(JSON.stringify(a), /\$6\$|hash/);
  assert.deepEqual(validateSchema(manifestWith(a)), []);
});

test('users: login.defs moves the human range; a missing file or key keeps Debian\'s 1000..60000', () => {
  assert.deepEqual(parseLoginDefs(undefined), { uidMin: 1000, uidMax: 60000, gidMin: 1000, gidMax: 60000 });
  assert.deepEqual(parseLoginDefs('# UID_MIN 5\nUID_MIN\t\t 500\nGID_MAX 7000\n'), { uidMin: 500, uidMax: 60000, gidMin: 1000, gidMax: 7000 });
  const a = capture('root:x:0:0::/root:/bin/sh\nold:x:500:500::/home/old:/bin/sh\n', 'root:x:0:\nold:x:500:\n', 'UID_MIN 500\nGID_MIN 500\n');
  assert.deepEqual(a.users.map((u) => [u.name, u.system]), [['old', false], ['root', true]]);
});

test('users: parsers keep line numbers and drop nothing but blank lines', () => {
  assert.deepEqual(parsePasswd('a:x:1:2:g:/h:/s\n\nb:x:3:4:::').entries.map((e) => [e.line, e.name, e.shell]), [[1, 'a', '/s'], [3, 'b', '']]);
  assert.deepEqual(parseGroup('g:x:5:a,,b\n').entries, [{ line: 1, name: 'g', gid: 5, members: ['a', 'b'] }]);
});

test('users: gather reads ROOT/etc through the runner; no account files at all is no section, one without the other is named', async () => {
  const both = new FakeRunner({ files: { '/mnt/t/etc/passwd': 'root:x:0:0::/root:/bin/sh\n', '/mnt/t/etc/group': 'root:x:0:\n' } });
  assert.deepEqual(await gatherAccounts(both, '/mnt/t'), { passwd: 'root:x:0:0::/root:/bin/sh\n', group: 'root:x:0:\n', loginDefs: undefined });
  assert.deepEqual(await provider.contribute({ runner: new FakeRunner({}), root: '/mnt/t' }), {});
  const half = new FakeRunner({ files: { '/mnt/t/etc/passwd': 'root:x:0:0::/root:/bin/sh\n' } });
  const a = captureAccounts((await gatherAccounts(half, '/mnt/t'))!);
  assert.deepEqual(a.groups, []);
  assert.deepEqual(a.unsupported!.map((u) => [u.file, u.line, u.reason.split(':')[0]]), [
    ['/etc/group', undefined, '/etc/group does not exist'],
    ['/etc/passwd', 1, 'user "root"'],
  ]);
});

test('users schema: the patterns refuse what useradd would (an option-like or numeric name, ":" in GECOS, (uid_t)-1)', () => {
  const user = { name: 'alice', uid: 1000, gid: 1000, groups: [], home: '/home/alice', shell: '/bin/bash', gecos: '', system: false };
  const bad = [{ ...user, name: '-o' }, { ...user, name: '123' }, { ...user, name: 'a'.repeat(33) }, { ...user, gecos: 'a:b' }, { ...user, uid: 4294967295 }, { ...user, home: 'rel' }, { ...user, shell: 'sh' }];
  for (const u of bad) assert.notDeepEqual(validateSchema(manifestWith({ groups: [{ name: 'alice', gid: 1000, system: false }], users: [u] })), [], JSON.stringify(u));
  assert.deepEqual(validateSchema(manifestWith({ groups: [{ name: 'alice', gid: 1000, system: false }], users: [{ ...user, name: 'Machine$', shell: '' }] })), []);
});
