import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Manifest } from '../../core/manifest/types.gen.ts';
import { orderSteps } from '../../core/plan/order.ts';
import { unavailable } from './apt-apply.ts';
import { parseStages, systemSteps, unplannedStages } from './system.ts';

test('--stage: known names in rebuild order; absent means all; unknown is a usage error', () => {
  assert.deepEqual(parseStages('packages,base'), ['base', 'packages']);
  assert.deepEqual(parseStages(undefined), ['storage', 'base', 'packages', 'etc', 'users', 'homes', 'boot', 'verify']);
  assert.throws(() => parseStages('base,kernel'), /--stage kernel: not a stage/);
  assert.deepEqual(unplannedStages(parseStages(undefined)), ['users', 'homes', 'boot']);
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
