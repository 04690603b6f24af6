import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../../core/errors.ts';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import { captureApt, sha256 } from './capture.ts';
import { confinedRunner } from '../../../core/confine/index.ts';
import { gatherApt, isPreferencesPart, isSourcesPart, isTrustedPart, readAptKeyFiles } from './gather.ts';
import { parseDeb822Sources, parseDpkgStatus, parseExtendedStates, parseOneLineSources, parsePreferences } from './parse.ts';
import { selectPackages } from './select.ts';
import { provider } from './index.ts';

const fx = (rel: string): string => fixture(import.meta.url, `__fixtures__/${rel}`);
const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

// --- the chroot: multiarch, holds, config-files, deinstall, compared with its real apt-mark ---

const CHROOT = '/mnt/target';
const chrootRunner = (): FakeRunner =>
  new FakeRunner({
    files: {
      [`${CHROOT}/var/lib/dpkg/status`]: fx('chroot/dpkg-status'),
      [`${CHROOT}/var/lib/dpkg/arch`]: fx('chroot/dpkg-arch'),
      [`${CHROOT}/var/lib/apt/extended_states`]: fx('chroot/extended_states'),
      [`${CHROOT}/etc/apt/sources.list`]: fx('chroot/sources.list'),
      [`${CHROOT}/etc/apt/sources.list.d/old.list.save`]: 'deb http://example.invalid/ x main\n',
    },
    dirs: [`${CHROOT}/etc/apt/trusted.gpg.d`, `${CHROOT}/etc/apt/preferences.d`],
  });

test('chroot under --root: manual, held and auto count equal the chroot’s own apt-mark', async () => {
  const out = await provider.contribute({ runner: chrootRunner(), root: CHROOT });

  const p = out.packages!;
  assert.deepEqual(p.manual, lines(fx('chroot/apt-mark-showmanual.txt')));
  assert.deepEqual(p.held, lines(fx('chroot/apt-mark-showhold.txt')));
  assert.equal(p.autoCount, lines(fx('chroot/apt-mark-showauto.txt')).length);
  assert.equal(p.architecture, 'amd64');
  assert.deepEqual(p.foreignArchitectures, ['i386']);
  assert.deepEqual(p.sources, [
    { file: '/etc/apt/sources.list', format: 'one-line', enabled: true, types: ['deb'], uris: ['http://deb.debian.org/debian'], suites: ['bookworm'], components: ['main'] },
  ]);
  assert.deepEqual(p.keys, []);
  assert.deepEqual(p.pins, []);
});

test('chroot: the multiarch and selection edge cases come out as apt-mark shows them', () => {
  const status = parseDpkgStatus(fx('chroot/dpkg-status'));
  const sets = selectPackages(status, parseExtendedStates(fx('chroot/extended_states')), 'amd64');

  assert.ok(sets.manual.includes('zlib1g') && sets.manual.includes('zlib1g:i386')); // per-arch flags
  assert.ok(sets.auto.includes('libc6:i386') && sets.manual.includes('libc6'));
  assert.ok(sets.manual.includes('less')); // "deinstall ok installed" is still installed
  assert.ok(!sets.manual.includes('nano') && !sets.auto.includes('nano')); // config-files only
  assert.deepEqual(sets.held, ['hello', 'vim-tiny', 'zlib1g:i386']); // vim-tiny: hold ok not-installed
  assert.deepEqual(sets.auto, lines(fx('chroot/apt-mark-showauto.txt')));
});

test('dpkg status: entries, arch all, states', () => {
  const status = parseDpkgStatus(fx('chroot/dpkg-status'));

  assert.equal(status.length, 119);
  assert.deepEqual(status.find((e) => e.name === 'nano'), { name: 'nano', arch: 'amd64', want: 'deinstall', state: 'config-files' });
  assert.deepEqual(status.find((e) => e.name === 'vim-tiny'), { name: 'vim-tiny', arch: 'amd64', want: 'hold', state: 'not-installed' });
  assert.deepEqual(status.find((e) => e.name === 'adduser'), { name: 'adduser', arch: 'all', want: 'install', state: 'installed' });
  assert.deepEqual(status.filter((e) => e.name === 'zlib1g').map((e) => `${e.arch} ${e.want}`), ['amd64 install', 'i386 hold']);
});

test('dpkg status: an unknown Status is a ParseError, not a guess', () => {
  assert.throws(() => parseDpkgStatus('Package: x\nStatus: install ok weird\nArchitecture: amd64\n\n'), ParseError);
  assert.throws(() => parseDpkgStatus('Package: x\nArchitecture: amd64\n\n'), ParseError);
});

// --- the development host: excerpts, compared with the host's apt-mark restricted to them ---

test('host excerpt: manual = apt-mark showmanual restricted to the excerpt’s packages', () => {
  const status = parseDpkgStatus(fx('host/dpkg-status-excerpt'));
  const names = new Set(status.map((e) => e.name));
  const expected = lines(fx('host/apt-mark-showmanual.txt')).filter((n) => names.has(n));

  const sets = selectPackages(status, parseExtendedStates(fx('host/extended_states-excerpt')), 'amd64');

  assert.deepEqual(sets.manual, expected);
  assert.deepEqual(sets.manual, ['ca-certificates', 'coreutils', 'curl', 'e2fsprogs', 'git', 'tzdata', 'zstd']);
  assert.deepEqual(sets.auto, ['adduser', 'dpkg', 'libc6', 'libpam-runtime', 'python3']);
  assert.deepEqual(sets.held, lines(fx('host/apt-mark-showhold.txt')));
});

test('extended_states without Architecture marks every architecture of the name (apt readStateFile)', () => {
  const status = parseDpkgStatus(fx('chroot/dpkg-status'));
  const sets = selectPackages(status, [{ name: 'zlib1g', arch: undefined, auto: true }], 'amd64');

  assert.ok(sets.auto.includes('zlib1g') && sets.auto.includes('zlib1g:i386'));
  assert.ok(!sets.manual.some((n) => n.startsWith('zlib1g')));
});

test('extended_states: Auto-Installed 0 is manual, garbage is a ParseError', () => {
  assert.deepEqual(parseExtendedStates('Package: a\nArchitecture: amd64\nAuto-Installed: 0\n\nPackage: b\nAuto-Installed: 1\n'), [
    { name: 'a', arch: 'amd64', auto: false },
    { name: 'b', arch: undefined, auto: true },
  ]);
  assert.throws(() => parseExtendedStates('Package: a\nAuto-Installed: yes\n'), ParseError);
});

// --- sources ---

test('deb822 sources of the host', () => {
  const debian = parseDeb822Sources(fx('host/debian.sources'), 'debian.sources');
  const node = parseDeb822Sources(fx('host/nodesource.sources'), 'nodesource.sources');

  assert.deepEqual(
    debian.map((s) => [s.types, s.uris, s.suites, s.components, [...s.options]]),
    [
      [['deb'], ['http://deb.debian.org/debian'], ['bookworm', 'bookworm-updates'], ['main'], [['signed-by', ['/usr/share/keyrings/debian-archive-keyring.gpg']]]],
      [['deb'], ['http://deb.debian.org/debian-security'], ['bookworm-security'], ['main'], [['signed-by', ['/usr/share/keyrings/debian-archive-keyring.gpg']]]],
    ],
  );
  assert.deepEqual([...node[0]!.options], [
    ['architectures', ['amd64']],
    ['signed-by', ['/usr/share/keyrings/nodesource.gpg']],
  ]);
  assert.equal(node[0]!.enabled, true);
});

test('one-line sources: the host file, and options mapped to deb822 names', () => {
  const google = parseOneLineSources(fx('host/google-cloud-sdk.list'), 'g.list');
  const withOpts = parseOneLineSources(
    '# comment\ndeb [arch=amd64,i386 signed-by=/etc/apt/keyrings/x.gpg lang-=de] https://example.org/debian stable main contrib # trailing\n\ndeb-src http://example.org/d ./\n',
    'x.list',
  );

  assert.deepEqual(google.map((s) => [s.types, s.uris, s.suites, s.components, s.options.size]), [[['deb'], ['https://packages.cloud.google.com/apt'], ['cloud-sdk-bookworm'], ['main'], 0]]);
  assert.deepEqual([...withOpts[0]!.options], [
    ['architectures', ['amd64', 'i386']],
    ['signed-by', ['/etc/apt/keyrings/x.gpg']],
    ['languages-remove', ['de']],
  ]);
  assert.deepEqual(withOpts[0]!.components, ['main', 'contrib']);
  assert.deepEqual([withOpts[1]!.types, withOpts[1]!.suites, withOpts[1]!.components], [['deb-src'], ['./'], []]);
  assert.throws(() => parseOneLineSources('rpm http://x y\n', 'x.list'), ParseError);
  assert.throws(() => parseOneLineSources('deb http://x\n', 'x.list'), ParseError);
});

test('deb822: Enabled: no is kept as disabled; an inline Signed-By key is hashed, not copied', () => {
  const key = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n-----END PGP PUBLIC KEY BLOCK-----\n';
  const text = `Types: deb deb-src\nURIs: https://example.org/d\nSuites: stable\nComponents: main\nEnabled: no\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mDMEZ\n -----END PGP PUBLIC KEY BLOCK-----\n`;

  const [s] = parseDeb822Sources(text, 'e.sources');

  assert.equal(s!.enabled, false);
  assert.deepEqual(s!.types, ['deb', 'deb-src']);
  assert.equal(s!.embeddedKey, key);
  assert.equal(s!.options.has('signed-by'), false);
});

test('preferences of the host', () => {
  assert.deepEqual(parsePreferences(fx('host/preferences-nodejs'), 'nodejs'), [{ package: 'nodejs', pin: 'origin deb.nodesource.com', priority: 600 }]);
  assert.deepEqual(parsePreferences(fx('host/preferences-nsolid'), 'nsolid'), [{ package: 'nsolid', pin: 'origin deb.nodesource.com', priority: 600 }]);
  assert.throws(() => parsePreferences('Package: x\nPin: version 1\nPin-Priority: high\n', 'p'), ParseError);
});

test('which files apt reads from the .d directories', () => {
  assert.deepEqual(['a.list', 'b.sources', 'c.list.save', 'd.sources.disabled-by-farm', 'e f.list', 'x.list.dpkg-old'].filter(isSourcesPart), ['a.list', 'b.sources']);
  assert.deepEqual(['nodejs', 'pin.pref', 'old.bak', '.hidden'].filter(isPreferencesPart), ['nodejs', 'pin.pref']);
  assert.deepEqual(['a.gpg', 'b.asc', 'c.gpg~', 'README'].filter(isTrustedPart), ['a.gpg', 'b.asc']);
});

// --- keys ---

const R = '/mnt/r';
const keyRunner = (): FakeRunner =>
  new FakeRunner({
    files: {
      [`${R}/var/lib/dpkg/status`]: fx('host/dpkg-status-excerpt'),
      [`${R}/var/lib/apt/extended_states`]: fx('host/extended_states-excerpt'),
      [`${R}/etc/apt/sources.list.d/debian.sources`]: fx('host/debian.sources'),
      [`${R}/etc/apt/sources.list.d/nodesource.sources`]: fx('host/nodesource.sources'),
      [`${R}/etc/apt/preferences.d/nodejs`]: fx('host/preferences-nodejs'),
      [`${R}/usr/share/keyrings/debian-archive-keyring.gpg`]: 'KEYRING-BYTES',
      [`${R}/etc/apt/trusted.gpg.d/local.asc`]: 'ASC-BYTES',
      [`${R}/etc/apt/trusted.gpg.d/notes.txt`]: 'ignored',
    },
    // An absolute symlink inside the root must be followed inside the root.
    links: { [`${R}/usr/share/keyrings/nodesource.gpg`]: '/opt/keys/nodesource.gpg' },
  });

test('keys: Signed-By and trusted.gpg.d files with sha256; a missing one is unsupported; symlinks stay under --root', async () => {
  const fake = keyRunner();
  // As the capture service reads --root: through core/confine's runner.
  const runner = confinedRunner(fake, R, fake);
  const facts = (await gatherApt(runner, R))!;

  const p = captureApt(facts);

  assert.deepEqual(p.keys, [
    { path: '/etc/apt/trusted.gpg.d/local.asc', scope: 'global', sha256: sha256('ASC-BYTES'), file: 'apt-keys/etc/apt/trusted.gpg.d/local.asc' },
    { path: '/usr/share/keyrings/debian-archive-keyring.gpg', scope: 'signed-by', sha256: sha256('KEYRING-BYTES'), file: 'apt-keys/usr/share/keyrings/debian-archive-keyring.gpg' },
    { path: '/usr/share/keyrings/nodesource.gpg', scope: 'signed-by', unsupported: { reason: 'key file /usr/share/keyrings/nodesource.gpg does not exist' } },
  ]);
  assert.deepEqual(p.pins, [{ file: '/etc/apt/preferences.d/nodejs', package: 'nodejs', pin: 'origin deb.nodesource.com', priority: 600 }]);
  assert.deepEqual(
    p.sources!.map((s) => s.file),
    ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list.d/nodesource.sources'],
  );
  assert.equal(p.autoCount, 5);

  const read = async (root: unknown, path: string) => {
    assert.equal(root, R);
    const bytes = await runner.readFileOptional(`${R}${path}`);
    return bytes === undefined ? undefined : { bytes: new TextEncoder().encode(bytes), mode: path.endsWith('.asc') ? 0o600 : 0o644 };
  };
  const files = await readAptKeyFiles(R, p.keys, read);
  assert.deepEqual(
    files.map((f) => [f.file, new TextDecoder().decode(f.bytes), f.mode]),
    [
      ['apt-keys/etc/apt/trusted.gpg.d/local.asc', 'ASC-BYTES', 0o600],
      ['apt-keys/usr/share/keyrings/debian-archive-keyring.gpg', 'KEYRING-BYTES', 0o644],
    ],
  );
});

test('keys: a Signed-By path with ".." or pointing out of --root is never read from the host', async () => {
  const fake = new FakeRunner({
    files: {
      [`${R}/var/lib/dpkg/status`]: fx('host/dpkg-status-excerpt'),
      [`${R}/etc/apt/sources.list.d/x.sources`]: 'Types: deb\nURIs: http://x/\nSuites: s\nComponents: main\nSigned-By: /usr/share/keyrings/../../../../etc/shadow /usr/share/keyrings//k.gpg /etc/apt/keyrings/host.gpg\n',
      [`${R}/usr/share/keyrings/k.gpg`]: 'K',
      '/etc/shadow': 'HOST-SECRET',
      '/host/key.gpg': 'HOST-KEY',
    },
    links: { [`${R}/etc/apt/keyrings/host.gpg`]: '/../../../host/key.gpg' },
  });
  const runner = confinedRunner(fake, R, fake);
  const p = captureApt((await gatherApt(runner, R))!);
  assert.deepEqual(p.keys, [
    { path: '/etc/apt/keyrings/host.gpg', scope: 'signed-by', unsupported: { reason: 'key file /etc/apt/keyrings/host.gpg does not exist' } },
    { path: '/usr/share/keyrings/k.gpg', scope: 'signed-by', sha256: sha256('K'), file: 'apt-keys/usr/share/keyrings/k.gpg' },
  ]);
});

test('a root without a dpkg database contributes nothing', async () => {
  const out = await provider.contribute({ runner: new FakeRunner({ files: { '/r/etc/os-release': 'ID=arch\n' } }), root: '/r' });
  assert.deepEqual(out, {});
});

test('installRecommends: the last APT::Install-Recommends in apt reading order wins; comments ignored; absent = apt default', async () => {
  const { installRecommends } = await import('./capture.ts');
  const f = (path: string, text: string) => ({ path, text });
  assert.equal(installRecommends([]), undefined);
  assert.equal(installRecommends([f('/etc/apt/apt.conf.d/99norecommends', 'APT::Install-Recommends "false";\n')]), false);
  assert.equal(installRecommends([f('/etc/apt/apt.conf.d/10a', 'APT::Install-Recommends "0";'), f('/etc/apt/apt.conf.d/20b', 'apt::install-recommends "true";')]), true);
  assert.equal(installRecommends([f('/etc/apt/apt.conf', 'APT {\n  Install-Recommends "no";\n  Get::Assume-Yes "true";\n};\n')]), false);
  assert.equal(installRecommends([f('/etc/apt/apt.conf.d/x', '// APT::Install-Recommends "false";\n# APT::Install-Recommends "false";\n/* APT::Install-Recommends "false"; */\n')]), undefined);
  assert.equal(installRecommends([f('/etc/apt/apt.conf.d/x', 'APT::Install-Suggests "false";\n')]), undefined);
});

test('apt: a captured section with installRecommends false is valid against the schema (a capture of a machine with Recommends off)', async () => {
  const { validateSchema, formatPath } = await import('../../../core/manifest/validate.ts');
  const p = (await provider.contribute({ runner: chrootRunner(), root: CHROOT })).packages!;
  const issues = (packages: unknown) => validateSchema({ apiVersion: 'sysmanifest/v1', host: {}, packages }).filter((i) => i.path[0] === 'packages').map((i) => formatPath(i.path));
  assert.deepEqual(issues(p), []);
  assert.deepEqual(issues({ ...p, installRecommends: false }), []);
  assert.deepEqual(issues({ ...p, installRecommends: 'no' }), ['packages.installRecommends']);
});

test('isConfPart: the apt.conf.d names apt reads (no extension or .conf)', async () => {
  const { isConfPart } = await import('./gather.ts');
  assert.deepEqual(['99norecommends', '01autoremove', 'x.conf', 'x.conf.dpkg-old', '.hidden', 'a.save', 'bad name'].filter(isConfPart), ['99norecommends', '01autoremove', 'x.conf']);
});
