import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileGlob } from './glob.ts';
import { secretRules } from './secrets.ts';

const m = (pattern: string, rel: string): boolean => compileGlob(pattern, { stripPrefix: '/etc' }).matches(rel);

test('a pattern without a slash matches the last segment at any depth', () => {
  assert.equal(m('*.key', 'a.key'), true);
  assert.equal(m('*.key', 'ssl/private/a.key'), true);
  assert.equal(m('*.key', 'a.key.pub'), false);
  assert.equal(m('*.key', 'akey'), false);
  assert.equal(m('shadow', 'shadow'), true);
  assert.equal(m('shadow', 'shadow-'), false);
  assert.equal(m('shadow', 'x/shadow'), true);
  assert.equal(m('shadow', 'shadows'), false);
});

test('a pattern with a slash is anchored at the base', () => {
  assert.equal(m('ssh/ssh_host_*_key', 'ssh/ssh_host_ed25519_key'), true);
  assert.equal(m('ssh/ssh_host_*_key', 'ssh/ssh_host_ed25519_key.pub'), false);
  assert.equal(m('ssh/ssh_host_*_key', 'x/ssh/ssh_host_rsa_key'), false);
  assert.equal(m('ssh/ssh_host_*_key', 'ssh/sub/ssh_host_rsa_key'), false, '* does not cross /');
  assert.equal(m('/hosts', 'hosts'), true);
  assert.equal(m('/hosts', 'x/hosts'), false);
});

test('a leading /etc/ is dropped, so absolute /etc paths work', () => {
  assert.equal(m('/etc/foo.conf', 'foo.conf'), true);
  assert.equal(m('/etc/foo.conf', 'x/foo.conf'), false);
  assert.equal(m('/etc/app/', 'app/x'), true);
});

test('a trailing slash covers a directory and everything below, not the directory entry itself', () => {
  assert.equal(m('ssl/private/', 'ssl/private/a.pem'), true);
  assert.equal(m('ssl/private/', 'ssl/private/d/e'), true);
  assert.equal(m('ssl/private/', 'ssl/private'), false);
  assert.equal(m('ssl/private/', 'ssl/privateer'), false);
  assert.equal(m('ssl/private', 'ssl/private'), true);
  assert.equal(m('ssl/private', 'ssl/private/a.pem'), true, 'a matching parent covers its contents');
});

test('** spans any number of segments, also none', () => {
  assert.equal(m('openvpn/**/*.pem', 'openvpn/a.pem'), true);
  assert.equal(m('openvpn/**/*.pem', 'openvpn/server/keys/a.pem'), true);
  assert.equal(m('openvpn/**/*.pem', 'openvpnx/a.pem'), false);
  assert.equal(m('photos/**', 'photos/2020/a.jpg'), true);
  assert.equal(m('**/cache', 'a/b/cache'), true);
  assert.equal(m('**/cache', 'cache'), true);
});

test('? and classes stay inside one segment; regex characters are literal', () => {
  assert.equal(m('a?c', 'abc'), true);
  assert.equal(m('a?c', 'a/c'), false);
  assert.equal(m('shadow[-]', 'shadow-'), true);
  assert.equal(m('file[!0-9]', 'filea'), true);
  assert.equal(m('file[!0-9]', 'file1'), false);
  assert.equal(m('a+b.(c)', 'a+b.(c)'), true);
  assert.equal(m('a+b.(c)', 'aab.(c)'), false);
});

test('secret rules: defaults first, then user globs, first match names the reason', () => {
  const rules = secretRules(['/etc/app/token.txt']);
  const why = (rel: string): string | undefined => rules.find((r) => r.matches(rel))?.why;
  assert.equal(why('shadow'), 'password hashes (shadow(5))');
  assert.equal(why('gshadow-'), 'group password hashes (backup of gshadow(5))');
  assert.equal(why('ssh/ssh_host_rsa_key'), 'SSH host private key (sshd(8)); the .pub is kept');
  assert.equal(why('ssh/ssh_host_rsa_key.pub'), undefined);
  assert.equal(why('ssh/sshd_config'), undefined);
  assert.equal(why('wireguard/wg0.conf'), 'WireGuard private keys (PrivateKey= in wg-quick(8) configs)');
  assert.equal(why('NetworkManager/system-connections/home.nmconnection'), 'network passwords and PSKs (NetworkManager keyfiles)');
  assert.equal(why('app/token.txt'), 'excluded by repos.etc.exclude (/etc/app/token.txt)');
  assert.equal(why('passwd'), undefined);
  assert.equal(why('sudoers'), undefined);
});
