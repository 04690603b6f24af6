// A minimal Debian chroot for --root tests, debootstrapped ONCE into a cache directory and
// reused (tests work on a `cp -a` copy, since they change it). Built into DIR.partial and
// renamed when complete, so an interrupted build is never mistaken for a cache.
//   debootstrap --variant=minbase bookworm DIR <mirror of this host's apt sources>
//   chroot DIR apt-get install -y --no-install-recommends hello less   (manual ≠ base)
//   chroot DIR apt-get install --download-only tree                   (a .deb tests install offline)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROOT_CACHE = process.env.SYSMANIFEST_TEST_CHROOT ?? '/var/tmp/sysmanifest-test-chroot';
export const CHROOT_EXTRA = ['hello', 'less'] as const;
/** Downloaded (not installed) in the cache: tests install it with apt-get, offline. */
export const CHROOT_SPARE = 'tree';

const ENV = { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive', PATH: `${process.env.PATH}:/usr/sbin:/sbin` };

export function run(argv: readonly string[], input?: string): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: ENV, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 256 << 20, ...(input === undefined ? {} : { input }) });
}

/** The Debian mirror this host uses (deb822 first, then one-line sources), or deb.debian.org. */
export function hostMirror(): string {
  try {
    const deb822 = readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8');
    for (const stanza of deb822.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      if (uri && /^Suites:.*\bbookworm\b(?!-)/m.test(stanza)) return uri;
    }
  } catch {
    /* no deb822 file */
  }
  try {
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(readFileSync('/etc/apt/sources.list', 'utf8'));
    if (m) return m[1]!;
  } catch {
    /* no sources.list */
  }
  return 'http://deb.debian.org/debian';
}

/** undefined when argv ran, else the tail of what it said. */
export function tryRun(argv: readonly string[]): string | undefined {
  try {
    run(argv);
    return undefined;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return (err.stderr || err.message).trim().split('\n').slice(-3).join(' / ');
  }
}

/** Build the cache if needed. Returns a reason to skip (loudly), or undefined when the chroot is ready. */
export function ensureChrootCache(): string | undefined {
  if (process.getuid?.() !== 0) return 'SKIPPED: needs root (debootstrap, chroot)';
  if (existsSync(join(CHROOT_CACHE, 'var/lib/dpkg/status'))) return undefined;
  const arch = run(['dpkg', '--print-architecture']).trim();
  if (!existsSync('/usr/sbin/debootstrap')) {
    const why = tryRun(['apt-get', 'install', '-y', '--no-install-recommends', 'debootstrap']);
    if (why) return `SKIPPED: debootstrap is missing and apt-get install debootstrap failed: ${why}`;
  }
  const mirror = hostMirror();
  const partial = `${CHROOT_CACHE}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const steps: string[][] = [
    ['debootstrap', '--variant=minbase', `--arch=${arch}`, 'bookworm', partial, mirror],
    ['chroot', partial, 'apt-get', 'install', '-y', '--no-install-recommends', ...CHROOT_EXTRA],
    ['chroot', partial, 'apt-get', 'install', '-y', '--no-install-recommends', '--download-only', CHROOT_SPARE],
  ];
  for (const argv of steps) {
    const why = tryRun(argv);
    if (why) {
      rmSync(partial, { recursive: true, force: true });
      return `SKIPPED: could not build the test chroot (${argv.slice(0, 3).join(' ')}… from mirror ${mirror}; unreachable mirror?): ${why}`;
    }
  }
  renameSync(partial, CHROOT_CACHE);
  return undefined;
}

/** A private copy of the cached chroot (tests change it); remove it with rmSync when done. */
export function copyChroot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-chroot-'));
  const root = join(dir, 'root');
  run(['cp', '-a', CHROOT_CACHE, root]);
  return root;
}
