import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParseError } from '../../../core/errors.ts';
import { fixture } from '../../../core/runner/fake.ts';
import { parseDebFields, parseList, parseMd5sums, parseStatusConffiles, parseStatusPackages, parseUcfHashfile, parseUcfRegistry } from './parse.ts';

test('Conffiles of the status file, not the /etc paths quoted in a Description', () => {
  const conffiles = parseStatusConffiles(fixture(import.meta.url, '__fixtures__/status.excerpt'));
  assert.deepEqual(
    [...conffiles.keys()].sort(),
    [
      '/etc/adduser.conf',
      '/etc/debian_version',
      '/etc/deluser.conf',
      '/etc/dpkg/origins/debian',
      '/etc/gprofng.rc',
      '/etc/host.conf',
      '/etc/issue',
      '/etc/issue.net',
      '/etc/update-motd.d/10-uname',
    ],
  );
  assert.deepEqual(conffiles.get('/etc/adduser.conf'), [{ pkg: 'adduser', md5: 'cc3493ecd2d09837ffdcc3e25fdfff18', obsolete: false }]);
  assert.deepEqual(conffiles.get('/etc/gprofng.rc'), [{ pkg: 'binutils-common', md5: 'd8f321679d2ce58b1399e4e6de17fcc9', obsolete: false }]);
});

test('obsolete and newconffile conffile lines', () => {
  const status = 'Package: a\nStatus: install ok installed\nConffiles:\n /etc/a.conf 0123456789abcdef0123456789abcdef obsolete\n /etc/b.conf newconffile\nDescription: x\n';
  assert.deepEqual([...parseStatusConffiles(status)], [
    ['/etc/a.conf', [{ pkg: 'a', md5: '0123456789abcdef0123456789abcdef', obsolete: true }]],
    ['/etc/b.conf', [{ pkg: 'a', md5: undefined, obsolete: false }]],
  ]);
  assert.throws(() => parseStatusConffiles('Package: a\nConffiles:\n /etc/a.conf zz\n'), ParseError);
});

test('a .list file: absolute paths, without dpkg\'s "/."', () => {
  const paths = parseList(fixture(import.meta.url, '__fixtures__/adduser.list'));
  assert.equal(paths.length, 148);
  assert.deepEqual(paths.slice(0, 3), ['/etc', '/etc/adduser.conf', '/etc/deluser.conf']);
});

test('a .md5sums file: path made absolute → md5', () => {
  const sums = parseMd5sums(fixture(import.meta.url, '__fixtures__/binutils-common.md5sums'), 'binutils-common.md5sums');
  assert.equal(sums.size, 164);
  assert.equal(sums.get('/etc/gprofng.rc'), 'd8f321679d2ce58b1399e4e6de17fcc9');
  assert.throws(() => parseMd5sums('nonsense\n', 'x.md5sums'), ParseError);
});

test('status paragraphs: name, architecture, version and state (real status of a bookworm tree)', () => {
  const pkgs = parseStatusPackages(fixture(import.meta.url, '__fixtures__/status.bookworm-tree.excerpt'));
  assert.deepEqual([...pkgs.keys()], ['openssh-server', 'procps', 'login']);
  assert.deepEqual(pkgs.get('openssh-server'), [{ name: 'openssh-server', arch: 'amd64', version: '1:9.2p1-2+deb12u10', state: 'installed' }]);
  assert.deepEqual(pkgs.get('procps'), [{ name: 'procps', arch: 'amd64', version: '2:4.0.2-3', state: 'installed' }]);
  // The same file's conffiles: sshd_config is not one of them (ucf manages it).
  const conffiles = parseStatusConffiles(fixture(import.meta.url, '__fixtures__/status.bookworm-tree.excerpt'));
  assert.ok(conffiles.has('/etc/sysctl.conf') && conffiles.has('/etc/ssh/moduli'));
  assert.equal(conffiles.has('/etc/ssh/sshd_config'), false);
});

test('a package installed for two architectures keeps both entries', () => {
  const status = 'Package: libfoo1\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n\nPackage: libfoo1\nStatus: deinstall ok config-files\nArchitecture: i386\nVersion: 0.9-1\n';
  assert.deepEqual(parseStatusPackages(status).get('libfoo1'), [
    { name: 'libfoo1', arch: 'amd64', version: '1.0-1', state: 'installed' },
    { name: 'libfoo1', arch: 'i386', version: '0.9-1', state: 'config-files' },
  ]);
});

test('dpkg-deb --field with several fields (real output)', () => {
  const f = parseDebFields(fixture(import.meta.url, '__fixtures__/dpkg-deb-field.openssh-server.txt'), 'dpkg-deb --field');
  assert.deepEqual(Object.fromEntries(f), { Package: 'openssh-server', Version: '1:9.2p1-2+deb12u10', Architecture: 'amd64' });
  assert.equal(parseDebFields(fixture(import.meta.url, '__fixtures__/dpkg-deb-field.adduser.txt'), 'x').get('Architecture'), 'all');
  assert.throws(() => parseDebFields('no colon here\n', 'dpkg-deb --field X'), ParseError);
});

test('ucf registry and hashfile (real files)', () => {
  assert.deepEqual([...parseUcfRegistry(fixture(import.meta.url, '__fixtures__/ucf.registry'))], [['/etc/ssh/sshd_config', 'openssh-server']]);
  assert.deepEqual([...parseUcfHashfile(fixture(import.meta.url, '__fixtures__/ucf.hashfile'))], [['/etc/ssh/sshd_config', 'e6fd6e8e29210c5678181f33177d5433']]);
  assert.deepEqual([...parseUcfHashfile('not-a-hash  /etc/x\n')], []);
});
