// A partial Debian mirror for tests that install packages with no network (the qemu guest has
// none; the base and packages stages are tested offline): `sysmanifest mirror` run ONCE per
// package set into a cache directory under /var/tmp and reused by every later run without
// touching the network. A run interrupted half-way is completed by the next call (the mirror
// command resumes into its own directory; only a mirror whose marker says `complete` counts).
//   cachedMirror({ manual: ['hello', 'less'] })  →  { url: 'file:///var/tmp/…', dir, sourcesFile }
// mmdebstrap needs its file-mirror-automount hook (or copy://) to read a file:// mirror in
// root mode: MMDEBSTRAP_FILE_MIRROR below.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostMirror } from './chroot.ts';
import { cli } from './cli.ts';

export const MIRROR_CACHE = process.env.SYSMANIFEST_TEST_MIRROR ?? '/var/tmp/sysmanifest-mirror-cache';
export const MMDEBSTRAP_FILE_MIRROR = '--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount';

export interface MirrorSpec {
  /** The manual package set (packages.manual). */
  readonly manual?: readonly string[];
  /** More base packages, as mmdebstrap --include. */
  readonly include?: readonly string[];
  readonly variant?: string;
  readonly codename?: string;
  readonly versionId?: string;
  readonly architecture?: string;
  readonly recommends?: boolean;
}

export interface TestMirror {
  readonly dir: string;
  /** file://DIR, for mmdebstrap or `rebuild --mirror`. */
  readonly url: string;
  /** DIR/mirror.sources: deb822 sources of every mirrored suite. */
  readonly sourcesFile: string;
  /** The manifest it was mirrored from. */
  readonly manifest: string;
}

/** A minimal manifest of a Debian host with this manual set and Debian's usual three suites. */
export function mirrorManifestYaml(spec: MirrorSpec): string {
  const codename = spec.codename ?? 'bookworm';
  const source = (uri: string, suites: string): string =>
    `    - {file: /etc/apt/sources.list.d/debian.sources, format: deb822, enabled: true, types: [deb], uris: [${uri}], suites: [${suites}], components: [main], options: {signed-by: [/usr/share/keyrings/debian-archive-keyring.gpg]}}\n`;
  const archive = hostMirror().replace(/\/+$/, '');
  return (
    `apiVersion: sysmanifest/v1\n` +
    `host: {hostname: mirror-test, os: {id: debian, versionId: "${spec.versionId ?? '12'}", codename: ${codename}}}\n` +
    `packages:\n  manager: apt\n  architecture: ${spec.architecture ?? 'amd64'}\n  foreignArchitectures: []\n` +
    `  manual: [${[...(spec.manual ?? [])].sort().join(', ')}]\n  autoCount: 0\n  held: []\n  keys: []\n  pins: []\n  sources:\n` +
    source(archive, `${codename}, ${codename}-updates`) +
    source(archive.replace(/\/debian$/, '/debian-security'), `${codename}-security`)
  );
}

const complete = (dir: string): boolean => {
  try {
    return JSON.parse(readFileSync(join(dir, 'sysmanifest-mirror.json'), 'utf8')).complete === true;
  } catch {
    return false;
  }
};

/** Mirror args for the CLI, from the spec. */
function mirrorArgs(spec: MirrorSpec): string[] {
  return [...(spec.variant ? ['--variant', spec.variant] : []), ...(spec.include?.length ? ['--include', spec.include.join(',')] : []), ...(spec.recommends === false ? ['--no-recommends'] : [])];
}

/**
 * The cached mirror of `spec` (made on first use: needs root and the network), or a reason to
 * skip, loudly, when it cannot be made here.
 */
export function cachedMirror(spec: MirrorSpec = {}): TestMirror | { skip: string } {
  const yaml = mirrorManifestYaml(spec);
  const args = mirrorArgs(spec);
  const key = createHash('sha256').update(yaml).update(JSON.stringify(args)).digest('hex').slice(0, 16);
  const dir = join(MIRROR_CACHE, key);
  const manifest = `${dir}.yaml`;
  const mirror: TestMirror = { dir, url: `file://${dir}`, sourcesFile: join(dir, 'mirror.sources'), manifest };
  if (complete(dir)) return mirror;
  if (process.getuid?.() !== 0) return { skip: 'SKIPPED: needs root to build the cached test mirror' };
  mkdirSync(MIRROR_CACHE, { recursive: true });
  writeFileSync(manifest, yaml);
  const r = cli(['mirror', manifest, '--out', dir, ...args], { timeoutMs: 30 * 60_000 });
  if (r.status !== 0 || !complete(dir)) return { skip: `SKIPPED: could not build the test mirror in ${dir} (unreachable Debian mirror?): ${r.stderr.trim().split('\n').slice(-2).join(' / ')}` };
  return mirror;
}

export const hasMirrorTools = (): boolean => existsSync('/usr/lib/apt/apt-helper') && existsSync('/usr/bin/gpgv');
