import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseOwner, debArchiveName } from './bases.ts';
import type { StatusPackage } from './parse.ts';
import type { EtcTree } from './tree.ts';

test("apt's cache file names: the epoch's ':' as %3a, '~' and '+' as they are (names seen in a real cache)", () => {
  assert.equal(debArchiveName('git', '1:2.39.5-0+deb12u3', 'amd64'), 'git_1%3a2.39.5-0+deb12u3_amd64.deb');
  assert.equal(debArchiveName('libproc2-0', '2:4.0.2-3', 'amd64'), 'libproc2-0_2%3a4.0.2-3_amd64.deb');
  assert.equal(debArchiveName('less', '590-2.1~deb12u2', 'amd64'), 'less_590-2.1~deb12u2_amd64.deb');
  assert.equal(debArchiveName('librtmp1', '2.4+20151223.gitfa8646d.1-2+b2', 'amd64'), 'librtmp1_2.4+20151223.gitfa8646d.1-2+b2_amd64.deb');
  assert.equal(debArchiveName('adduser', '3.134', 'all'), 'adduser_3.134_all.deb');
});

test('apt quotes "_", "%", and anything outside printable ASCII; a path cannot be formed', () => {
  assert.equal(debArchiveName('a_b', '1%2', 'x.y'), 'a%5fb_1%252_x%2ey.deb');
  assert.equal(debArchiveName('a', '1/../../x', 'amd64'), 'a_1/../../x_amd64.deb'); // "/" is printable: the caller resolves inside the root
  assert.equal(debArchiveName('a', '1 é', 'amd64'), 'a_1%20%c3%a9_amd64.deb');
});

const pkg = (name: string, version: string, state = 'installed', arch = 'amd64'): StatusPackage => ({ name, arch, version, state });
const tree = (dpkg: Partial<EtcTree['dpkgEtc']>): EtcTree =>
  ({ dpkgEtc: { present: true, conffiles: new Map(), owners: new Map(), md5sums: new Map(), ...dpkg } }) as unknown as EtcTree;
const md5a = 'a'.repeat(32);
const md5b = 'b'.repeat(32);

test('a conffile moved between packages: the installed, current owner', () => {
  const t = tree({ conffiles: new Map([['/etc/x.conf', [{ pkg: 'old', md5: md5a, obsolete: true }, { pkg: 'new', md5: md5b, obsolete: false }]]]) });
  const packages = new Map([['old', [pkg('old', '1')]], ['new', [pkg('new', '2')]]]);
  assert.deepEqual(baseOwner('/etc/x.conf', t, packages), { pkg: pkg('new', '2'), md5: md5b });
});

test("a removed package's conffile (config-files state): the version dpkg kept", () => {
  const t = tree({ conffiles: new Map([['/etc/x.conf', [{ pkg: 'gone', md5: md5a, obsolete: false }]]]) });
  assert.deepEqual(baseOwner('/etc/x.conf', t, new Map([['gone', [pkg('gone', '1', 'config-files')]]])), { pkg: pkg('gone', '1', 'config-files'), md5: md5a });
});

test('an obsolete conffile: no base from the installed version, but the package and version are named', () => {
  const t = tree({ conffiles: new Map([['/etc/x.conf', [{ pkg: 'p', md5: md5a, obsolete: true }]]]) });
  const r = baseOwner('/etc/x.conf', t, new Map([['p', [pkg('p', '2')]]]));
  assert.ok('problem' in r);
  assert.match(r.problem, /p 2 no longer ships it/);
  assert.deepEqual(r.owner, { pkg: pkg('p', '2'), md5: md5a });
});

test('a conffile of a package dpkg has no paragraph for: no owner to name', () => {
  const t = tree({ conffiles: new Map([['/etc/x.conf', [{ pkg: 'ghost', md5: md5a, obsolete: false }]]]) });
  const r = baseOwner('/etc/x.conf', t, new Map());
  assert.ok('problem' in r && r.owner === undefined);
});

test('an md5sums-listed file of a multi-arch package: the stem names the architecture', () => {
  const t = tree({ owners: new Map([['/etc/ld.so.conf.d/x86_64-linux-gnu.conf', ['libc6:amd64']]]), md5sums: new Map([['/etc/ld.so.conf.d/x86_64-linux-gnu.conf', md5a]]) });
  const packages = new Map([['libc6', [pkg('libc6', '2.36-9', 'installed', 'i386'), pkg('libc6', '2.36-9')]]]);
  assert.deepEqual(baseOwner('/etc/ld.so.conf.d/x86_64-linux-gnu.conf', t, packages), { pkg: pkg('libc6', '2.36-9'), md5: md5a });
});
