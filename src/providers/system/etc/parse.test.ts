import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParseError } from '../../../core/errors.ts';
import { fixture } from '../../../core/runner/fake.ts';
import { parseList, parseMd5sums, parseStatusConffiles } from './parse.ts';

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
