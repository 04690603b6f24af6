import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ParseError } from '../../../core/errors.ts';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import { capturePacman, pacmanSets } from './capture.ts';
import { gatherPacman } from './gather.ts';
import { provider } from './index.ts';
import { formatPath, validateSchema } from '../../../core/manifest/validate.ts';
import { decompressSyncDb, parseLocalDesc, parsePacmanConf, syncDbPackageNames, tarFiles, type ConfLine } from './parse.ts';

const fx = (rel: string): string => fixture(import.meta.url, `__fixtures__/${rel}`);
const fxBytes = (rel: string): Uint8Array => new Uint8Array(readFileSync(new URL(`__fixtures__/${rel}`, import.meta.url)));
const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

const ROOT = '/mnt/arch';

function fixtureFiles(): Record<string, Uint8Array> {
  const base = fileURLToPath(new URL('__fixtures__/root/', import.meta.url));
  const files: Record<string, Uint8Array> = {};
  for (const rel of readdirSync(base, { recursive: true }) as string[]) {
    try {
      files[`${ROOT}/${rel}`] = new Uint8Array(readFileSync(`${base}${rel}`));
    } catch {
      // a directory
    }
  }
  return files;
}

test('the fixture root: explicit, dependency and foreign sets equal pacman -Qqe / -Qqd / -Qqm', async () => {
  const runner = new FakeRunner({ files: fixtureFiles() });

  const out = await provider.contribute({ runner, root: ROOT });

  const p = out.packages!;
  assert.equal(p.manager, 'pacman');
  assert.deepEqual(p.manual, lines(fx('out/pacman-Qqe.txt')));
  assert.deepEqual(p.manual, ['smf-app', 'smf-base', 'smf-tool']);
  assert.equal(p.autoCount, lines(fx('out/pacman-Qqd.txt')).length);
  assert.equal(p.autoCount, 1);
  assert.deepEqual(p.foreign, lines(fx('out/pacman-Qqm.txt')));
  assert.deepEqual(p.foreign, ['smf-tool']);
  assert.deepEqual(p.held, ['smf-tool']);
  assert.deepEqual(p.extra, undefined);
  assert.equal(runner.calls.length, 0); // files only: pacman is not needed on the capturing machine
});

test('repositories: the names pacman-conf lists, in its order, with servers from the Include', async () => {
  const facts = (await gatherPacman(new FakeRunner({ files: fixtureFiles() }), ROOT))!;

  const p = capturePacman(facts);

  assert.deepEqual(p.pacmanRepos!.map((r) => r.name), lines(fx('out/pacman-conf-repo-list.txt')));
  assert.deepEqual(p.pacmanRepos, [
    { name: 'smf-local', servers: ['file:///tmp/pmfx/repos/$repo'], includes: [] },
    { name: 'smf-mirrored', servers: ['file:///tmp/pmfx/repos/$repo'], includes: ['/etc/pacman.d/mirrorlist'], sigLevel: ['Optional', 'TrustAll'] },
  ]);
  // pacman-conf prints the servers with $repo expanded: the same list.
  const conf = fx('out/pacman-conf.txt');
  for (const r of p.pacmanRepos!) {
    const section = conf.split(`[${r.name}]\n`)[1]!.split('\n[')[0]!;
    assert.deepEqual(lines(section).filter((l) => l.startsWith('Server = ')).map((l) => l.slice(9)), r.servers.map((s) => s.replace('$repo', r.name)));
  }
});

test('Debian’s stock pacman.conf: no repository, as pacman-conf --repo-list says', () => {
  const text = fx('debian-stock-pacman.conf');
  const conf = parsePacmanConf(text.split('\n').map((t, i) => ({ file: '/etc/pacman.conf', line: i + 1, text: t })));
  assert.deepEqual(conf.repos.map((r) => r.name), lines(fx('out/debian-stock-pacman-conf-repo-list.txt')));
  assert.deepEqual(conf.repos, []);
  assert.deepEqual(conf.ignorePkg, []);
  assert.equal(conf.dbPath, '/var/lib/pacman/');
});

test('sync databases: gzip and zstd (repo-add), the package names of each', () => {
  assert.deepEqual(syncDbPackageNames(fxBytes('root/var/lib/pacman/sync/smf-local.db'), 'smf-local.db'), ['smf-app', 'smf-base']);
  assert.deepEqual(syncDbPackageNames(fxBytes('root/var/lib/pacman/sync/smf-mirrored.db'), 'smf-mirrored.db'), ['smf-lib']);
  const tar = decompressSyncDb(fxBytes('root/var/lib/pacman/sync/smf-local.db'), 'x');
  assert.deepEqual(tarFiles(tar, 'x').map((f) => f.path), ['smf-app-0.3-1/desc', 'smf-base-1.0-1/desc']);
  assert.throws(() => decompressSyncDb(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2]), 'xz.db'), ParseError);
  assert.throws(() => tarFiles(truncatedTar(), 't'), ParseError);
});

function truncatedTar(): Uint8Array {
  const tar = decompressSyncDb(fxBytes('root/var/lib/pacman/sync/smf-local.db'), 'x');
  return tar.subarray(0, 1024 + 100); // the second header (smf-app-0.3-1/desc, 405 bytes) and 100 of its bytes
}

test('a missing sync database counts as an empty repository (pacman -Qm does the same)', async () => {
  const files = fixtureFiles();
  delete files[`${ROOT}/var/lib/pacman/sync/smf-mirrored.db`];
  const facts = (await gatherPacman(new FakeRunner({ files }), ROOT))!;
  assert.deepEqual(pacmanSets(facts).foreign, ['smf-lib', 'smf-tool']);
});

test('local desc: reason absent is explicit, 1 is a dependency, anything else is a ParseError', () => {
  assert.deepEqual(parseLocalDesc(fx('root/var/lib/pacman/local/smf-base-1.0-1/desc'), 'd'), { name: 'smf-base', reason: 0 });
  assert.deepEqual(parseLocalDesc(fx('root/var/lib/pacman/local/smf-lib-2.1-3/desc'), 'd'), { name: 'smf-lib', reason: 1 });
  assert.throws(() => parseLocalDesc('%NAME%\nx\n\n%REASON%\n2\n', 'd'), ParseError);
  assert.throws(() => parseLocalDesc('%VERSION%\n1-1\n', 'd'), ParseError);
  assert.throws(() => parseLocalDesc('stray\n', 'd'), ParseError);
});

test('pacman.conf: a "#" after a value belongs to the value, sections continue across Include, IgnorePkg accumulates', () => {
  const conf: ConfLine[] = [
    '[options]',
    'IgnorePkg = linux   # keep',
    'IgnorePkg = b*',
    'DBPath = /srv/pacman/',
    '[core]',
    'Include = /etc/pacman.d/mirrorlist',
    'Server = https://a.example/$repo/os/$arch', // from the included file
    '[extra]', //                                   the included file opens a section…
    'Server = https://b.example/$repo',
    'SigLevel = Required', //                       …which stays open after it
    'Usage = Sync Search',
  ].map((text, i) => ({ file: 'f', line: i + 1, text }));
  assert.deepEqual(parsePacmanConf(conf), {
    dbPath: '/srv/pacman/',
    ignorePkg: ['linux', '#', 'keep', 'b*'],
    repos: [
      { name: 'core', servers: ['https://a.example/$repo/os/$arch'], includes: ['/etc/pacman.d/mirrorlist'] },
      { name: 'extra', servers: ['https://b.example/$repo'], includes: [], sigLevel: ['Required'], usage: ['Sync', 'Search'] },
    ],
  });
  assert.throws(() => parsePacmanConf([{ file: 'f', line: 1, text: 'Server = x' }]), ParseError);
});

test('Include globs are read in sorted order under the root; a missing Include is an error', async () => {
  const runner = new FakeRunner({
    files: {
      '/r/etc/pacman.conf': '[options]\n[core]\nInclude = /etc/pacman.d/*.conf\n',
      '/r/etc/pacman.d/b.conf': 'Server = https://b/$repo\n',
      '/r/etc/pacman.d/a.conf': 'Server = https://a/$repo\n',
      '/r/etc/pacman.d/a.conf.pacnew': 'Server = https://new/$repo\n',
      '/r/var/lib/pacman/local/ALPM_DB_VERSION': '9\n',
    },
  });
  const p = capturePacman((await gatherPacman(runner, '/r'))!);
  assert.deepEqual(p.pacmanRepos, [{ name: 'core', servers: ['https://a/$repo', 'https://b/$repo'], includes: ['/etc/pacman.d/*.conf'] }]);
  assert.deepEqual([p.manual, p.autoCount, p.foreign], [[], 0, []]);

  const missing = new FakeRunner({ files: { '/r/etc/pacman.conf': '[core]\nInclude = /etc/pacman.d/mirrorlist\n', '/r/var/lib/pacman/local/ALPM_DB_VERSION': '9\n' } });
  await assert.rejects(gatherPacman(missing, '/r'), ParseError);
});

test('no local database: nothing (Debian’s pacman package ships /etc/pacman.conf alone)', async () => {
  const runner = new FakeRunner({ files: { '/r/etc/pacman.conf': fx('debian-stock-pacman.conf') }, dirs: ['/r/var/lib/pacman'] });
  assert.deepEqual(await provider.contribute({ runner, root: '/r' }), {});
});

test('pacman: the captured section is valid against schemas/system/packages.schema.json, and required fields are checked', async () => {
  const p = (await provider.contribute({ runner: new FakeRunner({ files: fixtureFiles() }), root: ROOT })).packages!;
  const issues = (packages: unknown) => validateSchema({ apiVersion: 'sysmanifest/v1', host: {}, packages }).filter((i) => i.path[0] === 'packages');
  assert.deepEqual(issues(p), []);
  const { foreign: _, ...withoutForeign } = p;
  assert.deepEqual(issues(withoutForeign).map((i) => formatPath(i.path)), ['packages.foreign']);
  assert.notDeepEqual(issues({ ...p, sources: [] }), []); // additionalProperties holds: only apt fields by name
  assert.deepEqual(issues({ ...p, installRecommends: false }).map((i) => formatPath(i.path)), ['packages.installRecommends'], 'installRecommends is apt\'s');
});
