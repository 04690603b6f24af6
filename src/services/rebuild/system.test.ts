import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Manifest } from '../../core/manifest/types.gen.ts';
import { orderSteps } from '../../core/plan/order.ts';
import { successors, unavailable } from './apt-apply.ts';
import { parseStages, systemSteps, unplannedStages } from './system.ts';

test('--stage: known names in rebuild order; absent means all; unknown is a usage error', () => {
  assert.deepEqual(parseStages('packages,base'), ['base', 'packages']);
  assert.deepEqual(parseStages(undefined), ['storage', 'base', 'packages', 'etc', 'users', 'homes', 'boot', 'datasets', 'verify']);
  assert.throws(() => parseStages('base,kernel'), /--stage kernel: not a stage/);
  assert.deepEqual(unplannedStages(parseStages(undefined)), []);
});

test('system steps: chroot mounts are runtime steps with a mountpoint check, undone innermost first after the stage', () => {
  const manifest = { apiVersion: 'sysmanifest/v1', host: { hostname: 'h', os: { id: 'debian', codename: 'bookworm' } }, packages: { manager: 'apt', architecture: 'amd64', manual: ['hello'], sources: [{ file: '/etc/apt/sources.list', format: 'one-line', enabled: true, types: ['deb'], uris: ['http://deb.debian.org/debian'], suites: ['bookworm'], components: ['main'] }] } } as Manifest;
  const steps = orderSteps(systemSteps({ manifest, target: '/t', hostDir: '/r', mirrors: ['file:///srv/m'], cacheDir: '/c', inputs: {} }, ['base', 'packages'], { cli: ['sm'], strict: false, repo: '/r' }));
  const ids = steps.map((s) => s.id);
  assert.equal(ids[1], 'base:mmdebstrap');
  const mounts = steps.filter((s) => s.id.startsWith('chroot-mount:'));
  assert.deepEqual(mounts.map((s) => s.argv.at(-1)), ['/t/dev', '/t/dev/pts', '/t/proc', '/t/sys', '/t/var/cache/apt/archives', '/t/srv/m']);
  assert.ok(mounts.every((s) => s.runtime === true && s.check?.mountpoint === s.argv.at(-1)));
  assert.ok(ids.indexOf('chroot-mount:dev') > ids.indexOf('base:mmdebstrap'));
  assert.ok(ids.indexOf('packages:install') < ids.indexOf('chroot-umount:mirror:/srv/m'));
  assert.deepEqual(steps.filter((s) => s.id.startsWith('chroot-umount:')).map((s) => s.argv[1]), ['/t/srv/m', '/t/var/cache/apt/archives', '/t/sys', '/t/proc', '/t/dev/pts', '/t/dev']);
});

test('apt-apply: the packages apt cannot install are read from its messages (LC_ALL=C)', () => {
  // Real stderr of `chroot DEBIAN12 env LC_ALL=C apt-get install -s -y hello no-such-pkg python` (apt 2.6.1, amd64).
  const stderr = 'E: Unable to locate package no-such-pkg\nE: Package \'python\' has no installation candidate\n';
  assert.deepEqual(unavailable(stderr), ['no-such-pkg', 'python']);
});

test('etc-apply: the metadata file is read as hostile input (paths canonical, kinds and modes known)', async () => {
  const { parseMetadata } = await import('./etc-apply.ts');
  assert.deepEqual(parseMetadata('# header\nfile\t0640\troot\tadm\tsysmanifest-test.conf\nabsent\t-\t-\t-\tissue.net\ndir\t0750\troot\troot\t"a b.d"\n'), [
    { kind: 'file', mode: 0o640, owner: 'root', group: 'adm', rel: 'sysmanifest-test.conf' },
    { kind: 'absent', rel: 'issue.net' },
    { kind: 'dir', mode: 0o750, owner: 'root', group: 'root', rel: 'a b.d' },
  ]);
  for (const bad of ['file\t0640\troot\troot\t../../root/.ssh/authorized_keys', 'file\t0640\troot\troot\t/etc/shadow', 'file\t12345\troot\troot\tx', 'evil\t0640\troot\troot\tx', 'file\t0640\troot']) {
    assert.throws(() => parseMetadata(`${bad}\n`), /\S/, bad);
  }
});

test('homes: one step per pinned dotfiles repository, its source the remote or DIR/USER; hostile entries refused', async () => {
  const { planHomes } = await import('../../providers/system/dotfiles/stage.ts');
  const { parseDotfilesSpec } = await import('./dotfiles-apply.ts');
  const repo = { user: 'alice', home: '/home/alice', layout: 'home' as const, gitDir: '/home/alice/.git', workTree: '/home/alice', commit: 'a'.repeat(40), branch: 'laptop', remote: { name: 'origin', url: 'https://example.org/alice/dotfiles.git' } };
  const m = { apiVersion: 'sysmanifest/v1', host: { hostname: 'h' }, repos: { dotfiles: [repo, { ...repo, user: 'bob', commit: undefined }] } } as unknown as Manifest;
  const ctx = { manifest: m, target: '/t', hostDir: '/r', mirrors: [], cacheDir: '/c', inputs: {} };
  const [step, ...rest] = planHomes(ctx, ['sm']);
  assert.equal(rest.length, 0, 'no commit, nothing to bring back');
  assert.deepEqual(step!.argv, ['sm', 'internal', 'dotfiles-apply', '--target', '/t']);
  assert.equal(parseDotfilesSpec((step!.input as { text: string }).text).source, 'https://example.org/alice/dotfiles.git');
  assert.equal(JSON.parse((planHomes({ ...ctx, inputs: { dotfiles: '/media/usb/dots' } }, ['sm'])[0]!.input as { text: string }).text).source, '/media/usb/dots/alice');
  for (const bad of [{ ...repo, home: '/home/../root' }, { ...repo, gitDir: 'home/alice/.git' }, { ...repo, branch: '--upload-pack=x' }, { ...repo, user: '../root' }, { ...repo, commit: 'HEAD' }]) {
    assert.throws(() => parseDotfilesSpec(JSON.stringify({ repo: bad, source: '/x' })), /\S/, JSON.stringify(bad));
  }
  assert.throws(() => parseDotfilesSpec(JSON.stringify({ repo, source: '--upload-pack=touch /x' })), /\S/);
});

test('flatpak refs the manifest holds are named in the plan as not restored (with what to do), never silently dropped', async () => {
  const { systemPlan } = await import('./full.ts');
  const { renderPlan } = await import('../../ui/plan.ts');
  const manifest = {
    apiVersion: 'sysmanifest/v1',
    host: { hostname: 'h', os: { id: 'debian', codename: 'bookworm' } },
    packages: {
      manager: 'apt', architecture: 'amd64', manual: ['flatpak'], sources: [{ file: '/etc/apt/sources.list', format: 'one-line', enabled: true, types: ['deb'], uris: ['http://deb.debian.org/debian'], suites: ['bookworm'], components: ['main'] }],
      extra: { flatpak: [{ installation: 'system', ref: 'app/org.gnome.Calculator/x86_64/stable', origin: 'flathub' }], flatpakRemotes: [{ installation: 'system', name: 'flathub', url: 'https://dl.flathub.org/repo/' }] },
    },
  } as Manifest;
  const empty = { version: 1, manifestSha256: 'x', host: 'h', disks: {}, wipe: [], steps: [], target: '/t' } as const;
  const plan = await systemPlan({} as never, manifest, '/r/hosts/h/manifest.yaml', empty, { stages: ['storage', 'packages'], mirrors: [], cacheDir: '/c', strict: false });
  assert.equal(plan.notices?.length, 1);
  assert.match(plan.notices![0]!, /^packages\.extra\.flatpak: 1 flatpak ref\(s\) \(org\.gnome\.Calculator\) are not reinstalled by this version; after the first boot add the remotes \(flathub https:\/\/dl\.flathub\.org\/repo\/\)/);
  assert.match(renderPlan(plan), /^ {2}NOT RESTORED: packages\.extra\.flatpak/m);
  const none = await systemPlan({} as never, { ...manifest, packages: { ...manifest.packages!, extra: {} } } as Manifest, '/r/hosts/h/manifest.yaml', empty, { stages: ['storage', 'packages'], mirrors: [], cacheDir: '/c', strict: false });
  assert.equal(none.notices, undefined);
});

test('apt-apply: a package the new release replaces by exactly one other is installed under its new name; a choice among several is not made', () => {
  // Real stdout then stderr of `LC_ALL=C apt-get install -s -y python mail-transport-agent`
  // (apt 2.6.1 of this Debian 12 host, reading Debian 13 trixie's main indexes of 2026-12-04).
  const text = readFileSync(new URL('./__fixtures__/apt-install-s-trixie.txt', import.meta.url), 'utf8');
  assert.deepEqual([...successors(text)], [['python', 'python-is-python3']]);
  assert.deepEqual(unavailable(text), ['python', 'mail-transport-agent']);
});

test('--release: base installs the new release from the captured sources renamed; /etc and the homes are merged, not checked out; a bad name is refused', async () => {
  const { retarget } = await import('./release.ts');
  const manifest = {
    apiVersion: 'sysmanifest/v1',
    host: { hostname: 'h', os: { id: 'debian', versionId: '12', codename: 'bookworm' } },
    packages: { manager: 'apt', architecture: 'amd64', manual: ['hello'], sources: [{ file: '/etc/apt/sources.list.d/debian.sources', format: 'deb822', enabled: true, types: ['deb'], uris: ['http://deb.debian.org/debian'], suites: ['bookworm', 'bookworm-updates', 'bookworm-backports'], components: ['main'] }, { file: '/etc/apt/sources.list.d/debian.sources', format: 'deb822', enabled: true, types: ['deb'], uris: ['http://security.debian.org/debian-security'], suites: ['bookworm-security'], components: ['main'] }] },
    repos: {
      etc: { kind: 'sysmanifest', path: '/etc', gitDir: '/var/lib/sysmanifest/etc.git', commit: 'a'.repeat(40) },
      dotfiles: [{ user: 'alice', home: '/home/alice', layout: 'home', gitDir: '/home/alice/.git', workTree: '/home/alice', commit: 'b'.repeat(40), remote: { name: 'origin', url: 'https://example.org/a.git' } }],
    },
  } as Manifest;
  const t = retarget(manifest, 'trixie');
  assert.deepEqual(t.host.os, { id: 'debian', codename: 'trixie' });
  assert.deepEqual(t.packages!.sources!.map((s) => s.suites), [['trixie', 'trixie-updates', 'trixie-backports'], ['trixie-security']]);
  assert.throws(() => retarget(manifest, 'bookworm'), /already is bookworm/);
  assert.throws(() => retarget(manifest, '--x'), /expected a Debian release name/);
  const release = { from: 'bookworm', to: 'trixie', manifestFile: '/r/hosts/h/manifest.yaml' };
  const steps = systemSteps({ manifest: t, target: '/t', hostDir: '/r/hosts/h', mirrors: [], cacheDir: '/c', inputs: {}, release }, ['base', 'etc', 'homes'], { cli: ['sm'], strict: false, repo: '/r' });
  const base = steps.find((s) => s.id === 'base:mmdebstrap')!;
  assert.ok(base.argv.includes('trixie') && base.argv.includes('deb http://deb.debian.org/debian trixie-updates main') && base.argv.includes('deb http://security.debian.org/debian-security trixie-security main'), base.argv.join(' '));
  assert.deepEqual(steps.filter((s) => s.stage === 'etc').map((s) => s.argv.slice(1, 3)), [['merge', 'etc'], ['merge', 'apply']]);
  assert.ok(!steps.some((s) => s.argv.includes('checkout')), 'nothing of /etc is checked out');
  assert.deepEqual(steps.find((s) => s.id === 'etc:merge')!.argv.slice(-4), ['--skip', 'apt/sources.list', '--skip', 'apt/sources.list.d/']);
  const homes = steps.filter((s) => s.stage === 'homes');
  assert.deepEqual(homes.map((s) => s.argv.slice(0, 3)), [['chroot', '/t', 'cp'], ['chroot', '/t', 'chown'], ['sm', 'internal', 'dotfiles-apply'], ['sm', 'merge', 'home'], ['sm', 'merge', 'apply']]);
  assert.deepEqual(homes[0]!.argv.slice(3), ['-a', '--no-clobber', '--no-target-directory', '/etc/skel', '/home/alice'], 'theirs: the home a fresh install makes');
  assert.equal(JSON.parse(homes[2]!.input!.kind === 'text' ? homes[2]!.input!.text : '{}').checkout, false);
  assert.deepEqual(homes[4]!.argv.slice(3), ['home', '--user', 'alice', '--partial', '--root', '/t']);
});
