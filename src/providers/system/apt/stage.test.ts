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
  // apt reads a file:// mirror as root (its _apt user cannot enter a medium under a 0700 directory)…
  assert.ok(base.argv.includes('--aptopt=APT::Sandbox::User "root"'));
  // … and the apt.conf.d file mmdebstrap keeps that option in goes again (the machine never had it).
  assert.ok(base.argv.includes('--customize-hook=rm -f "$1"/etc/apt/apt.conf.d/99mmdebstrap'));
  // … and a mirror over the network keeps apt's sandbox.
  assert.ok(!planBase(ctx({ mirrors: ['http://deb.example.org/debian'] }))[1]!.argv.some((a) => a.includes('Sandbox')));
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

test('packages: the captured pins are written before apt-get update, one file each as captured; a pin that is not one line or not a pin file is refused', () => {
  const pins = [
    // As capture parses /etc/apt/preferences.d/nodejs (apt.test.ts) and a second stanza of another file.
    { file: '/etc/apt/preferences.d/nodejs', package: 'nodejs', pin: 'origin deb.nodesource.com', priority: 600 },
    { file: '/etc/apt/preferences', package: '*', pin: 'release a=bookworm-backports', priority: 100 },
    { file: '/etc/apt/preferences.d/nodejs', package: 'npm', pin: 'version 9.*', priority: -1 },
  ];
  const withPins = (p: typeof pins): SystemPlanContext => ctx({ manifest: { ...manifest, packages: { ...manifest.packages!, pins: p } } as Manifest });
  const steps = planPackages(withPins(pins), ['x'], false);
  const ids = steps.map((s) => s.id);
  const node = steps.find((s) => s.id === 'packages:pins:/etc/apt/preferences.d/nodejs')!;
  assert.deepEqual(node.argv, ['tee', '/mnt/sysmanifest/etc/apt/preferences.d/nodejs']);
  assert.equal((node.input as { text: string }).text, 'Package: nodejs\nPin: origin deb.nodesource.com\nPin-Priority: 600\n\nPackage: npm\nPin: version 9.*\nPin-Priority: -1\n');
  assert.equal((steps.find((s) => s.id === 'packages:pins:/etc/apt/preferences')!.input as { text: string }).text, 'Package: *\nPin: release a=bookworm-backports\nPin-Priority: 100\n');
  assert.ok(ids.indexOf('packages:pins:/etc/apt/preferences:mode') < ids.indexOf('packages:update'));
  assert.ok(steps.find((s) => s.id === 'packages:update')!.after.includes('packages:pins:/etc/apt/preferences:mode'));
  const refused = (p: typeof pins, re: RegExp): void => assert.throws(() => planPackages(withPins(p), ['x'], false), (e: unknown) => e instanceof UserError && re.test(e.message));
  refused([{ ...pins[0]!, package: 'nodejs\nPin: release a=evil' }], /packages\.pins\[0\]\.package: .* is not one line/);
  refused([{ ...pins[0]!, file: '/etc/apt/preferences.d/../../shadow' }], /packages\.pins\[0\]\.file: .* is not a file apt reads pins from/);
  refused([{ ...pins[0]!, file: '/etc/cron.d/x' }], /packages\.pins\[0\]\.file/);
});
