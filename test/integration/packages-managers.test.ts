// The pacman, dnf and flatpak providers against the real tools, on roots built here with those
// tools (each provider's __fixtures__/make-root.sh: tiny packages made by makepkg / rpmbuild /
// flatpak build-export, installed by pacman / dnf / flatpak into a temp root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostReadOnlyRunner } from '../../src/core/runner/exec.ts';
import { systemProviders } from '../../src/providers/registry.ts';
import { provider as pacman } from '../../src/providers/system/pacman/index.ts';
import { provider as dnf } from '../../src/providers/system/dnf/index.ts';
import { withPackagesExtra } from '../../src/providers/system/flatpak/index.ts';
import { mergeSystem } from '../../src/services/capture.ts';
import type { Manifest } from '../../src/core/manifest/types.gen.ts';

const runner = hostReadOnlyRunner();
const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
const FX = (p: string): string => new URL(`../../src/providers/system/${p}/__fixtures__/make-root.sh`, import.meta.url).pathname;
// The tools run as the runner runs them: C locale, no HOME (rpm's ~ is then root's home).
const ENV = { LC_ALL: 'C', PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
const sh = (argv: string[], env: Record<string, string> = {}): string => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...ENV, ...env } });

function missing(tools: string[]): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (makepkg runs as nobody via runuser; installs need root)';
  const dirs = ENV.PATH.split(':');
  const absent = tools.filter((t) => !dirs.some((d) => existsSync(join(d, t))));
  return absent.length > 0 ? `missing ${absent.join(', ')} (npm test installs them: test/run.sh TEST_TOOLS)` : undefined;
}

function workdir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'smf-pkg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('pacman: explicit/dependency/foreign equal pacman -Qqe/-Qqd/-Qqm; flatpak refs ride along; only pacman claims the root', { skip: missing(['pacman', 'makepkg', 'repo-add', 'pacman-conf', 'flatpak', 'runuser']) }, async (t) => {
  const w = workdir(t);
  sh(['bash', FX('pacman'), w]);
  sh(['bash', FX('flatpak'), w]);
  const root = join(w, 'root');
  const q = (flag: string): string[] => lines(sh(['pacman', '--root', root, '--dbpath', join(root, 'var/lib/pacman'), '--config', join(w, 'pacman.conf'), flag]));

  const parts = await Promise.all(systemProviders.filter((p) => ['apt', 'pacman', 'dnf'].includes(p.name)).map((p) => p.contribute({ runner, root })));
  const p = (await pacman.contribute({ runner, root })).packages!;

  assert.deepEqual(p.manual, q('-Qqe'));
  assert.deepEqual(p.manual, ['smf-app', 'smf-base', 'smf-tool']);
  assert.equal(p.autoCount, q('-Qqd').length);
  assert.deepEqual(p.foreign, q('-Qqm'));
  assert.deepEqual(p.foreign, ['smf-tool']);
  assert.equal(p.manual.length + p.autoCount, q('-Qq').length);
  assert.deepEqual(p.pacmanRepos!.map((r) => r.name), lines(sh(['pacman-conf', '-c', join(w, 'pacman.conf'), '--repo-list'])));
  const listed = (kind: string) => lines(sh(['flatpak', 'list', `--${kind}`, '--columns=installation,ref'], { FLATPAK_SYSTEM_DIR: join(root, 'var/lib/flatpak'), HOME: join(root, 'home/alice') })).map((l) => {
    const [inst, ref] = l.split('\t');
    return `${inst === 'user' ? 'user:alice' : inst} ${kind}/${ref}`;
  });
  assert.deepEqual(p.extra!.flatpak!.map((f) => `${f.installation} ${f.ref}`).sort(), [...listed('app'), ...listed('runtime')].sort());
  assert.equal(p.extra!.flatpak!.length, 3);

  assert.deepEqual(parts.map((x) => x.packages?.manager), [undefined, 'pacman', undefined]);
  assert.deepEqual(mergeSystem({ apiVersion: 'sysmanifest/v1', host: { hostname: 'h' } } as Manifest, parts).packages, p);
});

test('dnf, database where this machine’s rpm looks: manual = dnf repoquery --userinstalled = dnf history userinstalled', { skip: missing(['dnf', 'rpm', 'rpmbuild', 'createrepo_c']) }, async (t) => {
  const w = workdir(t);
  sh(['bash', FX('dnf'), w], { SMF_RPMDB: 'host' });
  const root = join(w, 'root');
  const dbPath = sh(['rpm', '--eval', '%_dbpath']).trim();
  const dq = (...args: string[]): string => sh(['dnf', ...args, `--installroot=${root}`, '-q', '-C', '--disablerepo=*']);

  const p = (await dnf.contribute({ runner, root })).packages!;

  assert.equal(p.unsupported, undefined, p.unsupported?.reason);
  assert.deepEqual(p.manual, lines(dq('repoquery', '--userinstalled', '--qf', '%{name}')));
  assert.deepEqual(p.manual, lines(dq('history', 'userinstalled')).slice(1).map((n) => n.replace(/-[^-]+-[^-]+$/, '')));
  assert.deepEqual(p.manual, ['smf-app', 'smf-base', 'smf-tool']);
  assert.equal(p.autoCount, lines(sh(['rpm', '-qa', '--root', root, '--dbpath', dbPath, '--qf', '%{NAME}\\n'])).length - 3);
  assert.deepEqual(p.dnfRepos!.map((r) => `${r.id} ${r.enabled}`), ['smf-disabled false', 'smf-local true']);
});

test('dnf, Fedora’s database path on a machine whose rpm looks elsewhere: unsupported, and dnf is not run', { skip: missing(['dnf', 'rpm', 'rpmbuild', 'createrepo_c']) }, async (t) => {
  const w = workdir(t);
  sh(['bash', FX('dnf'), w]);
  const root = join(w, 'root');
  const hostDb = sh(['rpm', '--eval', '%_dbpath']).trim();
  if (hostDb === '/usr/lib/sysimage/rpm') return t.skip('this machine’s rpm uses Fedora’s path: nothing to show');

  const p = (await dnf.contribute({ runner, root })).packages!;

  assert.deepEqual(p.unsupported, { reason: `this machine's rpm keeps its database in ${hostDb} (rpm --eval %_dbpath), the captured system in /usr/lib/sysimage/rpm: dnf --installroot would read the wrong database` });
  assert.equal(p.manual, undefined);
  assert.equal(existsSync(join(root, hostDb)), false); // dnf would have created it
});
