import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../../core/errors.ts';
import type { Manifest } from '../../../core/manifest/types.gen.ts';
import type { SystemPlanContext } from '../../types.ts';
import { planBase, planPackages } from './stage.ts';

const manifest: Manifest = {
  apiVersion: 'sysmanifest/v1',
  host: { hostname: 'h', os: { id: 'debian', versionId: '12', codename: 'bookworm' } },
  packages: {
    manager: 'apt',
    architecture: 'amd64',
    foreignArchitectures: ['i386'],
    manual: ['hello', 'less'],
    held: ['hello'],
    sources: [
      { file: '/etc/apt/sources.list.d/debian.sources', format: 'deb822', enabled: true, types: ['deb'], uris: ['http://deb.debian.org/debian'], suites: ['bookworm', 'bookworm-updates'], components: ['main', 'contrib'] },
      { file: '/etc/apt/sources.list.d/debian.sources', format: 'deb822', enabled: true, types: ['deb'], uris: ['http://deb.debian.org/debian-security'], suites: ['bookworm-security'], components: ['main'] },
      { file: '/etc/apt/sources.list.d/other.list', format: 'one-line', enabled: true, types: ['deb'], uris: ['https://example.org/apt'], suites: ['stable'], components: ['main'] },
    ],
  },
} as Manifest;

const ctx = (over: Partial<SystemPlanContext> = {}): SystemPlanContext => ({ manifest, target: '/mnt/sysmanifest', hostDir: '/repo/hosts/h', mirrors: [], cacheDir: '/var/cache/sysmanifest/apt', inputs: {}, ...over });

test('base: mmdebstrap of the captured release from the captured Debian sources of that release, the cache synced in and out', () => {
  const [cache, base] = planBase(ctx());
  assert.deepEqual(cache!.argv, ['mkdir', '-p', '-m', '0755', '/var/cache/sysmanifest/apt']);
  assert.deepEqual(base!.argv, [
    'mmdebstrap', '--mode=root', '--variant=minbase', '--arch=amd64', '--format=directory', '--skip=check/empty', '--skip=essential/unlink',
    '--setup-hook=mkdir -p "$1"/var/cache/apt/archives', '--setup-hook=sync-in /var/cache/sysmanifest/apt /var/cache/apt/archives', '--customize-hook=sync-out /var/cache/apt/archives /var/cache/sysmanifest/apt',
    'bookworm', '/mnt/sysmanifest',
    'deb http://deb.debian.org/debian bookworm main contrib', 'deb http://deb.debian.org/debian bookworm-updates main contrib', 'deb http://deb.debian.org/debian-security bookworm-security main',
  ]);
});

test('base: --mirror replaces the sources (file:// mirrors bind-mounted by mmdebstrap\'s hook)', () => {
  const base = planBase(ctx({ mirrors: ['file:///srv/mirror'] }))[1]!;
  assert.deepEqual(base.argv.slice(-3), ['bookworm', '/mnt/sysmanifest', 'deb file:///srv/mirror bookworm main contrib']);
  assert.ok(base.argv.includes('--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount'));
});

test('base: anything but Debian with apt is refused at plan time; hostile values never reach argv', () => {
  const refused = (m: unknown, re: RegExp): void => assert.throws(() => planBase(ctx({ manifest: m as Manifest })), (e: unknown) => e instanceof UserError && re.test(e.message));
  refused({ ...manifest, host: { hostname: 'h', os: { id: 'arch' } } }, /not supported yet \(only Debian\)/);
  refused({ ...manifest, host: { hostname: 'h', os: { id: 'debian', codename: '--variant=x' } } }, /not a Debian release name/);
  refused({ ...manifest, packages: { ...manifest.packages!, architecture: 'amd64 i386' } }, /not a dpkg architecture/);
  refused({ ...manifest, packages: { ...manifest.packages!, sources: [{ ...manifest.packages!.sources![0]!, uris: ['http://x/ bookworm main\ndeb http://evil'] }] } }, /not a source mmdebstrap can use/);
  assert.throws(() => planBase(ctx({ cacheDir: '/var/cache/a b' })), /--cache/);
  assert.throws(() => planBase(ctx({ mirrors: ['ftp://x'] })), /--mirror ftp:\/\/x/);
});

test('packages: no service starts, update-initramfs diverted, foreign architectures, one install step fed the manual set and holds', () => {
  const steps = planPackages(ctx(), ['node', 'sysmanifest.js'], false);
  const byId = new Map(steps.map((s) => [s.id, s]));
  assert.deepEqual(byId.get('packages:policy-rc.d')!.argv, ['tee', '/mnt/sysmanifest/usr/sbin/policy-rc.d']);
  assert.match((byId.get('packages:policy-rc.d')!.input as { text: string }).text, /\nexit 101\n$/);
  assert.deepEqual(byId.get('packages:divert-initramfs')!.argv.slice(0, 2), ['chroot', '/mnt/sysmanifest']);
  assert.deepEqual(byId.get('packages:arch:i386')!.argv.slice(-3), ['dpkg', '--add-architecture', 'i386']);
  const install = byId.get('packages:install')!;
  assert.deepEqual(install.argv, ['node', 'sysmanifest.js', 'internal', 'apt-apply', '--target', '/mnt/sysmanifest']);
  assert.deepEqual(JSON.parse((install.input as { text: string }).text), { manual: ['hello', 'less'], held: ['hello'] });
  assert.ok(planPackages(ctx(), ['x'], true).find((s) => s.id === 'packages:install')!.argv.includes('--strict'));
});
