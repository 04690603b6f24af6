import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../../core/errors.ts';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import { captureDnf } from './capture.ts';
import { gatherDnf } from './gather.ts';
import { provider } from './index.ts';
import { validateSchema } from '../../../core/manifest/validate.ts';
import { parseNameLines, parseRepoFile } from './parse.ts';

const fx = (rel: string): string => fixture(import.meta.url, `__fixtures__/${rel}`);
const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
const R = '/mnt/fedora';
const FEDORA_DB = '/usr/lib/sysimage/rpm';

const USERINSTALLED = `dnf repoquery --installroot=${R} --quiet --cacheonly --disablerepo=* --userinstalled --queryformat %{name}`;
const RPM_QA = (db: string): string => `rpm -qa --root ${R} --dbpath ${db} --qf %{NAME}\\n`;

function runner(hostDbPath: string, extra: Record<string, string> = {}, programs = ['rpm', 'dnf']): FakeRunner {
  return new FakeRunner({
    commands: {
      'rpm --eval %_dbpath': `${hostDbPath}\n`,
      [RPM_QA(FEDORA_DB)]: fx('out/rpm-qa.txt'),
      [USERINSTALLED]: fx('out/dnf-repoquery-userinstalled.txt'),
      ...extra,
    },
    files: {
      [`${R}/var/lib/dnf/history.sqlite`]: 'SQLite format 3\0',
      [`${R}${FEDORA_DB}/rpmdb.sqlite`]: 'SQLite format 3\0',
      [`${R}/etc/yum.repos.d/smf.repo`]: fx('root/etc/yum.repos.d/smf.repo'),
    },
    programs,
  });
}

test('a Fedora host (rpm’s %_dbpath is Fedora’s): manual = dnf’s user-installed set, the rest counted', async () => {
  const out = await provider.contribute({ runner: runner(lines(fx('out/rpm-eval-dbpath-with-macros.txt'))[0]!), root: R });

  const p = out.packages!;
  assert.equal(p.manager, 'dnf');
  assert.deepEqual(p.manual, lines(fx('out/dnf-repoquery-userinstalled.txt')));
  // dnf history userinstalled prints NEVRAs under a heading: the same names.
  assert.deepEqual(p.manual, lines(fx('out/dnf-history-userinstalled.txt')).slice(1).map((n) => n.replace(/-[^-]+-[^-]+$/, '')));
  assert.deepEqual(p.manual, ['smf-app', 'smf-base', 'smf-tool']);
  assert.equal(p.autoCount, lines(fx('out/rpm-qa.txt')).length - 3);
  assert.equal(p.autoCount, 1);
  assert.equal(p.unsupported, undefined);
  assert.deepEqual(p.dnfRepos, [
    { file: '/etc/yum.repos.d/smf.repo', id: 'smf-disabled', enabled: false, settings: { baseurl: 'https://example.invalid/$releasever/$basearch/', gpgcheck: '1', gpgkey: 'file:///etc/pki/rpm-gpg/RPM-GPG-KEY-example', name: 'A disabled repository' } },
    { file: '/etc/yum.repos.d/smf.repo', id: 'smf-local', enabled: true, settings: { baseurl: 'file:///tmp/rpfx/repo', gpgcheck: '0', name: 'sysmanifest test repository' } },
  ]);
});

test('this Debian host (rpm’s %_dbpath is ~/.rpmdb): dnf is not asked, user-installed is unsupported', async () => {
  const host = lines(fx('out/rpm-eval-dbpath.txt'))[0]!;
  const r = runner(host);

  const p = (await provider.contribute({ runner: r, root: R })).packages!;

  assert.equal(host, '/root/.rpmdb');
  assert.deepEqual(p.unsupported, { reason: `this machine's rpm keeps its database in /root/.rpmdb (rpm --eval %_dbpath), the captured system in ${FEDORA_DB}: dnf --installroot would read the wrong database` });
  assert.equal(p.manual, undefined);
  assert.equal(p.autoCount, undefined);
  assert.ok(!r.calls.some((c) => c[0] === 'dnf'));
  // What dnf really answers there (recorded): nothing, a silently wrong empty set.
  assert.deepEqual(lines(fx('out/dnf-repoquery-userinstalled-without-home.txt')), []);
});

test('dnf missing on the capturing machine: unsupported, with the reason', async () => {
  const p = (await provider.contribute({ runner: runner(FEDORA_DB, {}, ['rpm']), root: R })).packages!;
  assert.deepEqual(p.unsupported, { reason: 'dnf is not installed on the capturing machine: the user-installed set is in its history database' });
});

test('a user-installed name rpm does not know means dnf read another database: an error', async () => {
  const facts = (await gatherDnf(runner(FEDORA_DB, { [USERINSTALLED]: 'smf-app\nghost\n' }), R))!;
  assert.throws(() => captureDnf(facts), ParseError);
});

test('gpg-pubkey entries (imported rpm keys) are not packages', () => {
  const p = captureDnf({ dbPath: FEDORA_DB, installed: ['a', 'gpg-pubkey', 'gpg-pubkey', 'b', 'kernel', 'kernel'], userInstalled: ['a', 'kernel', 'kernel'], repoFiles: [] });
  assert.deepEqual([p.manual, p.autoCount], [['a', 'kernel'], 1]);
});

test('no dnf state: nothing (Debian’s rpm package creates an empty /var/lib/rpm)', async () => {
  const r = new FakeRunner({ files: { '/r/var/lib/rpm/rpmdb.sqlite': 'x' }, dirs: ['/r/var/lib/dnf'] });
  assert.deepEqual(await provider.contribute({ runner: r, root: '/r' }), {});
  assert.equal(r.calls.length, 0);
});

test('.repo files: continuation lines, comments, enabled spellings; garbage is a ParseError', () => {
  assert.deepEqual(parseRepoFile('# c\n[a]\nbaseurl=http://x/\n  http://y/\nenabled = False\n; c\n[b]\nname=B\n', 'f'), [
    { id: 'a', enabled: false, settings: { baseurl: 'http://x/\nhttp://y/' } },
    { id: 'b', enabled: true, settings: { name: 'B' } },
  ]);
  assert.throws(() => parseRepoFile('baseurl=x\n', 'f'), ParseError);
  assert.throws(() => parseRepoFile('[a]\nenabled=maybe\n', 'f'), ParseError);
  assert.throws(() => parseNameLines('ok\nnot a name\n', 'x'), ParseError);
});

test('dnf: both shapes are valid against the schema; neither manual nor unsupported is not', async () => {
  const issues = (packages: unknown) => validateSchema({ apiVersion: 'sysmanifest/v1', host: {}, packages }).filter((i) => i.path[0] === 'packages');
  const supported = (await provider.contribute({ runner: runner(FEDORA_DB), root: R })).packages!;
  const unsupported = (await provider.contribute({ runner: runner('/root/.rpmdb'), root: R })).packages!;
  assert.deepEqual(issues(supported), []);
  assert.deepEqual(issues(unsupported), []);
  assert.notDeepEqual(issues({ manager: 'dnf', dnfRepos: [] }), []);
  assert.notDeepEqual(issues({ ...supported, manual: undefined }), []);
});
