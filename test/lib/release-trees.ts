// Installed Debian release trees for the merge tests (issue 15: a clean reinstall, often of a
// newer release): bookworm (12) as the machine that was captured, trixie (13) as the fresh
// install. Built ONCE per codename with mmdebstrap into a cache directory and reused; tests
// work on a `cp -a` copy (copyReleaseTree), since they change it. Built into DIR.partial and
// renamed when complete, so an interrupted build is never mistaken for a cache.
//
//   mmdebstrap --variant=minbase --include=openssh-server,… --skip=cleanup/apt/cache --skip=essential/unlink CODENAME DIR MIRROR
//   chroot DIR useradd --create-home --shell /bin/bash alice      (a home started from /etc/skel)
//
// --skip=cleanup/apt/cache and --skip=essential/unlink keep every .deb in var/cache/apt/archives
// (without the second, those of the Essential set — bash, debconf … — are gone): the pristine
// conffiles a capture records as merge bases come from there. TREE_VERSION names what the
// recipe makes: a change of the recipe changes it, and the old cache is not used. mmdebstrap (root mode) mounts /proc, /sys
// and /dev inside the tree while it installs and unmounts them itself; nothing else is mounted.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostMirror, tryRun } from './chroot.ts';

export type Codename = 'bookworm' | 'trixie';

export const RELEASE_TREES = process.env.SYSMANIFEST_TEST_RELEASE_TREES ?? '/var/tmp/sysmanifest-release-trees';
/** Packages with conffiles a merge test edits (sshd_config, sysctl, login.defs, apt's own). */
export const RELEASE_PACKAGES = ['openssh-server', 'procps', 'bash', 'git', 'adduser', 'passwd', 'login', 'sed', 'less'] as const;
/** The user created in each tree (home from that release's /etc/skel). */
export const RELEASE_USER = 'alice';

const ENV = { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive', PATH: `${process.env.PATH}:/usr/sbin:/sbin` };

function run(argv: readonly string[]): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: ENV, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
}


const TREE_VERSION = 2;

export function releaseTreePath(codename: Codename): string {
  return join(RELEASE_TREES, `${codename}-v${TREE_VERSION}`);
}

/**
 * The cached tree of `codename`, built if needed: its path, or { skip } with the reason
 * (printed by the test as it skips: no root, no mmdebstrap, an unreachable mirror).
 */
export function ensureReleaseTree(codename: Codename): string | { skip: string } {
  const dir = releaseTreePath(codename);
  if (existsSync(join(dir, 'var/lib/dpkg/status'))) return dir;
  if (process.getuid?.() !== 0) return { skip: `SKIPPED: building the ${codename} tree needs root (mmdebstrap, chroot)` };
  if (!existsSync('/usr/bin/mmdebstrap')) {
    const why = tryRun(['apt-get', 'install', '-y', '--no-install-recommends', 'mmdebstrap']);
    if (why) return { skip: `SKIPPED: mmdebstrap is missing and apt-get install mmdebstrap failed: ${why}` };
  }
  const arch = run(['dpkg', '--print-architecture']).trim();
  // The same mirror for both releases: a Debian mirror carries every suite it serves.
  const mirror = hostMirror();
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(RELEASE_TREES, { recursive: true });
  const steps: string[][] = [
    ['mmdebstrap', '--quiet', '--mode=root', '--variant=minbase', `--architectures=${arch}`, `--include=${RELEASE_PACKAGES.join(',')}`, '--skip=cleanup/apt/cache', '--skip=essential/unlink', codename, partial, mirror],
    ['chroot', partial, 'useradd', '--create-home', '--shell', '/bin/bash', RELEASE_USER],
  ];
  for (const argv of steps) {
    const why = tryRun(argv);
    if (why) {
      rmSync(partial, { recursive: true, force: true });
      return { skip: `SKIPPED: could not build the ${codename} release tree (${argv.slice(0, 3).join(' ')}… from mirror ${mirror}; unreachable mirror?): ${why}` };
    }
  }
  renameSync(partial, dir);
  return dir;
}

export interface ReleaseTreeCopy {
  /** The copy's root directory. */
  readonly root: string;
  /** Removes the copy (safe to call twice). */
  readonly cleanup: () => void;
}

/** A private `cp -a` copy of the cached tree (ensureReleaseTree first); the caller cleans up. */
export function copyReleaseTree(codename: Codename): ReleaseTreeCopy {
  const source = releaseTreePath(codename);
  if (!existsSync(join(source, 'var/lib/dpkg/status'))) throw new Error(`the ${codename} release tree is not built: call ensureReleaseTree('${codename}') first`);
  const dir = mkdtempSync(join(tmpdir(), `sysmanifest-${codename}-`));
  const root = join(dir, 'root');
  try {
    run(['cp', '-a', source, root]);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { root, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
