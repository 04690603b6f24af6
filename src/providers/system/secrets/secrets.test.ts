// Unit tests of the pure parts: the tar writer's headers, the hash merge, the planners.
// (GNU tar reading the archive, age, and the restore in a chroot: test/integration/secrets.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Manifest } from '../../../core/manifest/types.gen.ts';
import { mergeHashes } from './hashes.ts';
import { planSecretsMissing, planSecretsRestore } from './plan.ts';
import { writeTar, type TarEntry } from './tar.ts';

const dec = new TextDecoder();
const field = (h: Uint8Array, at: number, len: number): string => dec.decode(h.subarray(at, at + len)).replace(/\0.*$/s, '');

const entry = (name: string, extra: Partial<TarEntry> = {}): TarEntry => ({ name, type: 'file', mode: 0o600, uid: 0, gid: 42, uname: 'root', gname: 'shadow', mtime: 1_700_000_000, content: new TextEncoder().encode('k\n'), ...extra });

test('tar: ustar headers with a valid checksum, content padded, two zero blocks at the end', () => {
  const tar = writeTar([entry('etc/shadow')]);
  assert.equal(tar.length, 512 + 512 + 1024);
  const h = tar.subarray(0, 512);
  assert.deepEqual([field(h, 0, 100), field(h, 100, 8), field(h, 116, 8), field(h, 136, 12), field(h, 156, 1), field(h, 257, 6), field(h, 265, 32), field(h, 297, 32)], ['etc/shadow', '0000600', '0000052', '14524770400', '0', 'ustar', 'root', 'shadow']);
  const sum = [...h].reduce((n, b, i) => n + (i >= 148 && i < 156 ? 32 : b), 0);
  assert.equal(parseInt(field(h, 148, 8), 8), sum);
  assert.equal(dec.decode(tar.subarray(512, 514)), 'k\n');
  assert.ok(tar.subarray(1024).every((b) => b === 0));
});

test('tar: deterministic; long names use the ustar prefix, then a pax header; symlinks keep their target', () => {
  const long = `etc/NetworkManager/system-connections/${'x'.repeat(80)}.nmconnection`;
  const longer = `etc/${'y'.repeat(200)}`;
  const a = writeTar([entry(long), entry(longer), entry('etc/ssl/private/l.key', { type: 'symlink', mode: 0o777, linkTarget: '/etc/hostname' })]);
  assert.deepEqual(a, writeTar([entry(long), entry(longer), entry('etc/ssl/private/l.key', { type: 'symlink', mode: 0o777, linkTarget: '/etc/hostname' })]));
  assert.deepEqual([field(a, 345, 155), field(a, 0, 100)], ['etc/NetworkManager/system-connections', `${'x'.repeat(80)}.nmconnection`]);
  const pax = a.subarray(1024, 1536);
  assert.equal(field(pax, 156, 1), 'x');
  const record = `path=${longer}\n`;
  const body = dec.decode(a.subarray(1536, 1536 + 512)).replace(/\0+$/, '');
  assert.equal(body, `${body.split(' ')[0]} ${record}`);
  assert.equal(Number(body.split(' ')[0]), body.length, 'a pax record counts its own length');
  const link = a.subarray(a.length - 1024 - 512, a.length - 1024);
  assert.deepEqual([field(link, 0, 100), field(link, 156, 1), field(link, 157, 100), field(link, 124, 12)], ['etc/ssl/private/l.key', '2', '/etc/hostname', '00000000000']);
});

test('hashes: merged by name, aging restored, unknown and missing accounts reported', () => {
  const archive = 'root:$y$R:19500:0:99999:7:::\nalice:$y$A:19600:1:90:14:30::\nghost:$y$G:1:::::: \n-evil:$y$E:1::::::\n';
  const target = 'root:*:20000:0:99999:7:::\nalice:!:20790:0:99999:7:::\nbin:*:20000:0:99999:7:::\n-evil:!:1::::::\n';
  const m = mergeHashes(archive, target, 'shadow');
  assert.equal(m.input, 'alice:$y$A\nroot:$y$R\n');
  assert.deepEqual(m.chage, [
    ['-d', '19600', '-m', '1', '-M', '90', '-W', '14', '-I', '30', '-E', '-1', 'alice'],
    ['-d', '19500', '-m', '0', '-M', '99999', '-W', '7', '-I', '-1', '-E', '-1', 'root'],
  ]);
  assert.deepEqual([m.unknown, m.missing], [['ghost'], ['bin']]);
  assert.equal(mergeHashes(archive, archive, 'shadow').input, '', 'nothing to do when equal');
  assert.deepEqual(mergeHashes('g:!x::a\n', 'g:!::\n', 'gshadow'), { input: 'g:!x\n', names: ['g'], chage: [], unknown: [], missing: [] });
});

const manifest = {
  apiVersion: 'sysmanifest/v1',
  host: { hostname: 'h' },
  repos: {
    etc: {
      kind: 'sysmanifest',
      path: '/etc',
      gitDir: '/var/lib/sysmanifest/etc.git',
      restoreFromElsewhere: [
        { path: '/etc/gshadow', why: 'g' },
        { path: '/etc/shadow', why: 's' },
        { path: '/etc/shadow-', why: 's-' },
        { path: '/etc/ssh/ssh_host_ed25519_key', why: 'host key' },
        { path: '/etc/wireguard/wg0.conf', why: 'wg' },
      ],
    },
  },
} as unknown as Manifest;
const ctx = (inputs: Record<string, string>, m: Manifest = manifest) => ({ manifest: m, target: '/mnt/t', hostDir: '/r/hosts/h', mirrors: [], cacheDir: '/c', inputs });

test('planSecretsRestore: one step of the users stage; files as --path, never the hash files', () => {
  const [step, ...rest] = planSecretsRestore(ctx({ secrets: '/media/s.age', identity: '/media/key.txt' }), { self: ['/usr/bin/node', '/opt/sm/bin/sysmanifest.js'], after: ['users:accounts'] });
  assert.equal(rest.length, 0);
  assert.deepEqual(step!.argv, ['/usr/bin/node', '/opt/sm/bin/sysmanifest.js', 'secrets', 'restore', '--archive', '/media/s.age', '--identity', '/media/key.txt', '--target', '/mnt/t', '--path', '/etc/ssh/ssh_host_ed25519_key', '--path', '/etc/wireguard/wg0.conf']);
  assert.deepEqual([step!.stage, step!.after, step!.risk], ['users', ['users:accounts'], 'create']);
});

test('planSecretsRestore: refuses a missing identity, a relative path, a hostile manifest path', () => {
  const self = { self: ['sysmanifest'] };
  assert.throws(() => planSecretsRestore(ctx({ secrets: '/s.age' }), self), /--secrets needs --identity KEYFILE/);
  assert.throws(() => planSecretsRestore(ctx({ secrets: 's.age', identity: '/k' }), self), /--secrets "s.age": give an absolute path/);
  const hostile = { ...manifest, repos: { etc: { ...manifest.repos!.etc!, restoreFromElsewhere: [{ path: '/etc/../root/.ssh/authorized_keys', why: 'x' }] } } } as Manifest;
  assert.throws(() => planSecretsRestore(ctx({ secrets: '/s.age', identity: '/k' }, hostile), self), /restoreFromElsewhere\[0\]\.path/);
});

test('planSecretsMissing: lists every secret, locks the accounts, refuses a name usermod would take as an option', () => {
  const r = planSecretsMissing(ctx({}), { accounts: ['bob', 'alice', 'bob'] });
  assert.deepEqual(r.notRestored.map((x) => x.path), ['/etc/gshadow', '/etc/shadow', '/etc/ssh/ssh_host_ed25519_key', '/etc/wireguard/wg0.conf']);
  assert.deepEqual(r.steps.map((s) => [s.id, s.argv]), [
    ['secrets:lock:alice', ['chroot', '/mnt/t', 'usermod', '--lock', 'alice']],
    ['secrets:lock:bob', ['chroot', '/mnt/t', 'usermod', '--lock', 'bob']],
  ]);
  assert.match(r.notice, /^no secrets archive .*: 4 secret\(s\) not restored:\n {2}\/etc\/gshadow \(g\)/);
  assert.throws(() => planSecretsMissing(ctx({}), { accounts: ['--help'] }), /not a user name usermod can be given/);
});
