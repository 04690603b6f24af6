// The pure parts of the mirror against real Release files and real apt-get --print-uris
// output (see __fixtures__/README.md for where and when they were downloaded).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../../core/runner/fake.ts';
import { parseManifest } from '../../core/manifest/load.ts';
import { requests, aptConfig, sourcesList } from './apt-request.ts';
import { byHashPath, indexFilesFor, parseRelease } from './release.ts';
import { planSources } from './sources.ts';
import { mirrorSourcesText } from './sources-file.ts';
import { urlFor } from './mirror.ts';
import { parsePrintUris, poolPathProblem, unionByPath } from './uris.ts';

const updates = parseRelease(fixture(import.meta.url, '__fixtures__/bookworm-updates.Release'), 'bookworm-updates Release');
const security = parseRelease(fixture(import.meta.url, '__fixtures__/bookworm-security.Release'), 'bookworm-security Release');
const printUris = fixture(import.meta.url, '__fixtures__/print-uris-minbase-hello-less.txt');

test('Release: fields and the SHA256 list of a real bookworm-updates Release file', () => {
  assert.equal(updates.codename, 'bookworm-updates');
  assert.equal(updates.suite, 'oldstable-updates');
  assert.equal(updates.origin, 'Debian');
  assert.equal(updates.acquireByHash, true);
  assert.deepEqual(updates.components, ['main', 'contrib', 'non-free-firmware', 'non-free']);
  assert.ok(updates.architectures.includes('amd64') && updates.architectures.includes('s390x'));
  // the hash sha256sum printed for the Packages.xz downloaded with this Release file
  assert.deepEqual(updates.sha256.get('main/binary-amd64/Packages.xz'), { path: 'main/binary-amd64/Packages.xz', size: 6924, sha256: '87e7e94047fb7fb6f4ceecc7022d4bee55b66031cc2a7666d3196f3e0aabb846' });
  assert.equal(security.validUntil, 'Tue, 08 Dec 2026 19:40:00 UTC');
});

test('Release: picks the xz Packages index and the small Release of each component/arch', () => {
  const files = indexFilesFor(updates, 'bookworm-updates', ['main', 'contrib'], ['amd64', 'i386']);
  assert.deepEqual(files.map((f) => f.path), ['main/binary-amd64/Packages.xz', 'main/binary-amd64/Release', 'contrib/binary-amd64/Packages.xz', 'contrib/binary-amd64/Release', 'main/binary-i386/Packages.xz', 'main/binary-i386/Release', 'contrib/binary-i386/Packages.xz', 'contrib/binary-i386/Release']);
  for (const f of files) assert.equal(f.sha256, updates.sha256.get(f.path)!.sha256);
  assert.equal(byHashPath(files[0]!), `main/binary-amd64/by-hash/SHA256/${files[0]!.sha256}`);
});

test('Release: security names its components updates/main but keeps main/; an arch it lacks is skipped only in an extra suite', () => {
  assert.deepEqual(security.components, ['updates/main', 'updates/contrib', 'updates/non-free-firmware', 'updates/non-free']);
  assert.deepEqual(indexFilesFor(security, 'bookworm-security', ['main'], ['amd64']).map((f) => f.path), ['main/binary-amd64/Packages.xz', 'main/binary-amd64/Release']);
  assert.deepEqual(indexFilesFor(security, 'bookworm-security', ['main'], ['armel'], true), []);
  assert.throws(() => indexFilesFor(security, 'bookworm-security', ['main'], ['armel']), /has no architecture armel/);
  assert.throws(() => indexFilesFor(updates, 'bookworm-updates', ['universe'], ['amd64']), /has no universe\/binary-amd64\/Packages index/);
});

test('Release: text that is not a Release file is a ParseError, not an empty mirror', () => {
  assert.throws(() => parseRelease('Origin: Debian\nCodename: x\n', 'x'), /no SHA256 list/);
  assert.throws(() => parseRelease('SHA256:\n deadbeef 12 main/x\n', 'x'), /not "hash size path"/);
});

test('print-uris: the pool paths of a real minbase + hello + less resolution, percent-decoded', () => {
  const files = parsePrintUris(printUris, 'file:/tmp/ftest/m');
  assert.equal(files.length, 98);
  const hello = files.find((f) => f.path.endsWith('/hello_2.10-3_amd64.deb'));
  assert.deepEqual(hello, { path: 'pool/main/h/hello/hello_2.10-3_amd64.deb', size: 53080, sha256: hello!.sha256 });
  assert.ok(files.some((f) => f.path === 'pool/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb'));
  assert.equal(files.filter((f) => f.path.startsWith('pool/updates/main/')).length, 15);
  for (const f of files) assert.match(f.sha256, /^[0-9a-f]{64}$/);
});

test('print-uris: a line outside the mirror, a hostile path or an unknown shape is refused', () => {
  const line = printUris.split('\n')[0]!;
  assert.throws(() => parsePrintUris(line, 'file:/elsewhere'), /is not below the mirror/);
  assert.throws(() => parsePrintUris(line.replace('pool/main/g/gcc-12', 'pool/../../etc'), 'file:/tmp/ftest/m'), /"\.\." component/);
  assert.throws(() => parsePrintUris(line.replace(/SHA256:\w+/, 'MD5Sum:8e7e741807b1e1939df8f58323affdcb'), 'file:/tmp/ftest/m'), /unexpected line/);
  assert.equal(poolPathProblem('dists/bookworm/Release'), 'does not start with pool/');
  assert.equal(poolPathProblem('pool/main/a/a b.deb'), 'has a character outside A-Z a-z 0-9 + . ~ _ / -');
});

test('union of resolutions: one entry per path, sorted; two hashes for one path is an error', () => {
  const a = parsePrintUris(printUris, 'file:/tmp/ftest/m');
  const u = unionByPath([a.slice(0, 60), a.slice(40)]);
  assert.equal(u.length, 98);
  assert.deepEqual(u.map((f) => f.path), [...u.map((f) => f.path)].sort());
  assert.throws(() => unionByPath([[a[0]!], [{ ...a[0]!, sha256: '0'.repeat(64) }]]), /two different SHA256/);
});

const manifestText = (extra = '', os = 'debian'): string => `apiVersion: sysmanifest/v1
host: {hostname: small, os: {id: ${os}, versionId: "12", codename: bookworm}, arch: x86_64}
packages:
  manager: apt
  architecture: amd64
  foreignArchitectures: [i386]
  manual: [hello, less]
  autoCount: 0
  held: []
  keys: []
  pins: []
  sources:
    - {file: /etc/apt/sources.list.d/debian.sources, format: deb822, enabled: true, types: [deb], uris: [http://deb.debian.org/debian], suites: [bookworm, bookworm-updates], components: [main]}
    - {file: /etc/apt/sources.list.d/debian.sources, format: deb822, enabled: true, types: [deb], uris: [http://deb.debian.org/debian-security], suites: [bookworm-security], components: [main, non-free-firmware]}
    - {file: /etc/apt/sources.list.d/nodesource.sources, format: deb822, enabled: true, types: [deb], uris: [https://deb.nodesource.com/node_20.x], suites: [nodistro], components: [main]}
    - {file: /etc/apt/sources.list, format: one-line, enabled: true, types: [deb-src], uris: [http://deb.debian.org/debian], suites: [bookworm], components: [contrib]}
${extra}`;

test('sources: the Debian suites of the captured sources, the others listed as skipped, overrides applied', () => {
  const p = planSources(parseManifest(manifestText(), 'm.yaml'), 'm.yaml', { mirror: 'http://mirror.example/debian/' });
  assert.equal(p.codename, 'bookworm');
  assert.deepEqual(p.architectures, ['amd64', 'i386']);
  assert.deepEqual(p.suites.map((s) => [s.suite, s.uri, s.components.join(' '), s.kind]), [
    ['bookworm', 'http://mirror.example/debian', 'main', 'release'],
    ['bookworm-security', 'http://deb.debian.org/debian-security', 'main non-free-firmware', 'extra'],
    ['bookworm-updates', 'http://mirror.example/debian', 'main', 'extra'],
  ]);
  assert.equal(p.skipped.length, 1);
  assert.match(p.skipped[0]!, /nodistro .*not a suite of bookworm/);
  assert.equal(urlFor('pool/updates/main/t/tzdata/tzdata_2026f-0+deb12u1_all.deb', p.suites), 'http://deb.debian.org/debian-security');
  assert.equal(urlFor('pool/main/h/hello/hello_2.10-3_amd64.deb', p.suites), 'http://mirror.example/debian');
});

test('sources: a non-Debian OS is not supported yet; a hostile suite name or URL is refused', () => {
  assert.throws(() => planSources(parseManifest(manifestText('', 'ubuntu'), 'm.yaml'), 'm.yaml'), /host.os.id is "ubuntu": mirroring ubuntu is not supported yet/);
  const hostile = manifestText().replace('suites: [bookworm, bookworm-updates]', 'suites: [bookworm, "bookworm-../../etc"]');
  assert.throws(() => planSources(parseManifest(hostile, 'm.yaml'), 'm.yaml'), /suite "bookworm-..\/..\/etc" is not a suite name/);
  assert.throws(() => planSources(parseManifest(manifestText(), 'm.yaml'), 'm.yaml', { mirror: 'ftp://x' }), /--mirror: "ftp:\/\/x" is not an http/);
});

test('requests: mmdebstrap\'s minbase words (essential set, then required), then the manual set with recommends', () => {
  const r = requests('minbase', 'bookworm', 'amd64', ['vim'], ['hello', 'less'], true);
  const ess = '?narrow(?or(?archive(^bookworm$),?codename(^bookworm$)),?architecture(amd64),?essential)';
  const req = '?narrow(?or(?archive(^bookworm$),?codename(^bookworm$)),?architecture(amd64),?and(?priority(required),?not(?essential)))';
  assert.deepEqual(r, [
    { name: 'essential', words: ['install', ess], recommends: false },
    { name: 'base', words: ['install', ess, req, 'vim'], recommends: false },
    { name: 'packages', words: ['install', ess, req, 'vim', 'hello', 'less'], recommends: true },
  ]);
  assert.deepEqual(requests('apt', 'bookworm', 'amd64', [], [], false).map((x) => x.words[0]), ['dist-upgrade', 'install']);
  assert.deepEqual(requests('essential', 'trixie', 'arm64', [], [], false).map((x) => x.name), ['essential']);
});

test('apt configuration and sources: private dirs, every architecture, the mirror as file: source', () => {
  const conf = aptConfig('/tmp/t', ['amd64', 'i386']);
  assert.match(conf, /^Dir "\/tmp\/t\/";$/m);
  assert.match(conf, /^Dir::State::status "\/tmp\/t\/var\/lib\/dpkg\/status";$/m);
  assert.match(conf, /^APT::Architectures \{ "amd64"; "i386"; \};$/m);
  const p = planSources(parseManifest(manifestText(), 'm.yaml'), 'm.yaml');
  assert.equal(sourcesList('/srv/m', p.suites.slice(0, 1), '/k.gpg', ['amd64']), 'deb [signed-by=/k.gpg arch=amd64] file:/srv/m bookworm main\n');
  assert.match(mirrorSourcesText('/srv/m', p.suites, '/k.gpg'), /URIs: file:\/\/\/srv\/m\nSuites: bookworm-security\nComponents: main non-free-firmware\nSigned-By: \/k.gpg\nCheck-Valid-Until: no\n/);
});
