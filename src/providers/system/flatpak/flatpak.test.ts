import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ParseError } from '../../../core/errors.ts';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import { captureFlatpak } from './capture.ts';
import { gatherFlatpak } from './gather.ts';
import { withPackagesExtra } from './index.ts';
import { validateSchema } from '../../../core/manifest/validate.ts';
import { parseDeployOrigin, parseRepoConfig } from './parse.ts';

const fx = (rel: string): string => fixture(import.meta.url, `__fixtures__/${rel}`);
const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
const ROOT = '/mnt/r';

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

/** `flatpak list --app|--runtime --columns=installation,ref,origin` → our refs ("user" is user:alice here). */
function listed(): Array<{ installation: string; ref: string; origin: string }> {
  const rows = (file: string, kind: string) =>
    lines(fx(file)).map((l) => {
      const [installation, ref, origin] = l.split('\t');
      return { installation: installation === 'user' ? 'user:alice' : installation!, ref: `${kind}/${ref}`, origin: origin! };
    });
  return [...rows('out/flatpak-list-app.txt', 'app'), ...rows('out/flatpak-list-runtime.txt', 'runtime')].sort((a, b) =>
    a.installation === b.installation ? (a.ref < b.ref ? -1 : 1) : a.installation < b.installation ? -1 : 1,
  );
}

test('the fixture root: refs and origins equal `flatpak list` of the system and alice’s user installation', async () => {
  const extra = captureFlatpak(await gatherFlatpak(new FakeRunner({ files: fixtureFiles() }), ROOT));

  assert.deepEqual(extra.flatpak, listed());
  assert.deepEqual(extra.flatpak, [
    { installation: 'system', ref: 'app/org.sysmanifest.Hello/x86_64/stable', origin: 'smf-test' },
    { installation: 'system', ref: 'runtime/org.sysmanifest.Platform/x86_64/1', origin: 'smf-test' },
    { installation: 'user:alice', ref: 'app/org.sysmanifest.Tool/x86_64/beta', origin: 'smf-user' },
  ]);
  // `flatpak remotes --columns=name,url,options`: smf-test system,no-gpg-verify; smf-user user,no-gpg-verify
  assert.deepEqual(extra.flatpakRemotes, [
    { installation: 'system', name: 'smf-test', url: 'file:///tmp/fpfx/repo', gpgVerify: false },
    { installation: 'user:alice', name: 'smf-user', url: 'file:///tmp/fpfx/repo', gpgVerify: false },
  ]);
});

test('added to a package manager’s section; nothing installed adds nothing (this host: `flatpak list` is empty)', async () => {
  const base = { manager: 'pacman' as const, manual: ['a'], autoCount: 0, held: [], foreign: [], pacmanRepos: [] };
  const withRefs = await withPackagesExtra({ runner: new FakeRunner({ files: fixtureFiles() }), root: ROOT }, base);
  assert.deepEqual(withRefs.extra?.flatpak?.length, 3);
  assert.deepEqual({ ...withRefs, extra: undefined }, { ...base, extra: undefined });

  assert.equal(fx('out/host-flatpak-list.txt'), '');
  const empty = new FakeRunner({ files: { '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\n' }, dirs: ['/var/lib/flatpak/repo'] });
  assert.equal(await withPackagesExtra({ runner: empty, root: '/' }, base), base);
});

test('deploy data: the origin is the GVariant’s leading string', () => {
  const deploy = new Uint8Array(readFileSync(new URL('__fixtures__/root/var/lib/flatpak/app/org.sysmanifest.Hello/x86_64/stable/active/deploy', import.meta.url)));
  assert.equal(parseDeployOrigin(deploy, 'd'), 'smf-test');
  assert.throws(() => parseDeployOrigin(new Uint8Array([0, 1, 2]), 'd'), ParseError);
  assert.throws(() => parseDeployOrigin(new TextEncoder().encode('a/b\0'), 'd'), ParseError);
});

test('repo/config: remotes only; gpg-verify absent stays absent', () => {
  assert.deepEqual(parseRepoConfig('[core]\nrepo_version=1\n\n[remote "flathub"]\nurl=https://dl.flathub.org/repo/\n', 'c'), [{ name: 'flathub', url: 'https://dl.flathub.org/repo/', gpgVerify: undefined }]);
  assert.throws(() => parseRepoConfig('[core]\njunk\n', 'c'), ParseError);
});

test('flatpak: packages.extra is valid against the schema', async () => {
  const base = { manager: 'pacman' as const, manual: ['a'], autoCount: 0, held: [], foreign: [], pacmanRepos: [] };
  const packages = await withPackagesExtra({ runner: new FakeRunner({ files: fixtureFiles() }), root: ROOT }, base);
  assert.deepEqual(validateSchema({ apiVersion: 'sysmanifest/v1', host: {}, packages }).filter((i) => i.path[0] === 'packages'), []);
  const bad = { ...packages, extra: { ...packages.extra, flatpakRemotes: [{ installation: 'system', name: 'x' }] } };
  assert.notDeepEqual(validateSchema({ apiVersion: 'sysmanifest/v1', host: {}, packages: bad }).filter((i) => i.path[0] === 'packages'), []);
});
