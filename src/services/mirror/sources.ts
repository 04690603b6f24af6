// Pure: the manifest → which suites of which archive a rebuild installs from, for which
// architectures, and which captured sources are left out (and why). Every value here came
// from a manifest, which may be hostile: suite and component names become directory names
// under DIR/dists/, so they are checked before anything is joined with them.
import { UserError } from '../../core/errors.ts';
import type { Manifest } from '../../core/manifest/types.gen.ts';

export interface MirrorSuite {
  readonly suite: string;
  /** The archive root the suite is downloaded from (no trailing slash). */
  readonly uri: string;
  readonly components: readonly string[];
  /** `release`: the captured release itself (what `mmdebstrap SUITE TARGET URL` uses); `extra`: its -updates, -security … */
  readonly kind: 'release' | 'extra';
}

export interface SourcePlan {
  readonly codename: string;
  readonly architecture: string;
  /** Native first, then the foreign architectures (dpkg --add-architecture). */
  readonly architectures: readonly string[];
  readonly suites: readonly MirrorSuite[];
  /** Captured sources that are not mirrored, one line each, with the reason. */
  readonly skipped: readonly string[];
  readonly manual: readonly string[];
  /** packages.installRecommends: false when the captured system installs without Recommends. */
  readonly recommends: boolean;
}

export interface SourceOverrides {
  /** Replaces the archive of every suite but the -security ones. */
  readonly mirror?: string;
  /** Replaces the archive of the -security suites. */
  readonly securityMirror?: string;
}

/** Debian's own layout, for a manifest that captured no apt sources. */
const DEFAULT_ARCHIVE = 'http://deb.debian.org/debian';
const DEFAULT_SECURITY = 'http://deb.debian.org/debian-security';

/** dpkg's architecture for `uname -m`, for a manifest without a packages section. */
const DPKG_ARCH: Readonly<Record<string, string>> = { x86_64: 'amd64', aarch64: 'arm64', i686: 'i386', i386: 'i386', armv7l: 'armhf', ppc64le: 'ppc64el', s390x: 's390x', riscv64: 'riscv64' };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;
const safeName = (s: string): boolean => NAME.test(s) && s.length <= 100;
const safeComponent = (c: string): boolean => c.split('/').every(safeName) && c.split('/').length <= 2;

function checkUri(uri: string, where: string): string {
  if (!/^(https?|file):\/\/[^\s'"\\]+$/.test(uri)) {
    throw new UserError('USAGE', `${where}: ${JSON.stringify(uri)} is not an http://, https:// or file:// URL`, { hint: 'a mirror is downloaded with apt-helper, which takes http, https and file URLs' });
  }
  return uri.replace(/\/+$/, '');
}

function refuseOs(m: Manifest, file: string): string {
  const id = m.host.os?.id;
  if (id !== 'debian') {
    throw new UserError('REFUSED', `${file}: host.os.id is ${JSON.stringify(id ?? '(none)')}: mirroring ${id ?? 'this system'} is not supported yet (Debian only)`, {
      hint: 'only Debian manifests can be mirrored and rebuilt so far',
    });
  }
  const codename = m.host.os?.codename;
  if (codename === undefined || !safeName(codename)) {
    throw new UserError('MANIFEST_RULE', `${file}: host.os.codename is ${codename === undefined ? 'missing' : `not a release name: ${JSON.stringify(codename)}`}`, {
      hint: 'capture the system again: /etc/os-release gives VERSION_CODENAME (e.g. bookworm)',
    });
  }
  if (m.packages !== undefined && m.packages.manager !== 'apt') throw new UserError('REFUSED', `${file}: packages.manager is ${m.packages.manager}, not apt: not supported yet for Debian`);
  return codename;
}

function architecturesOf(m: Manifest, file: string): string[] {
  const native = m.packages?.architecture ?? DPKG_ARCH[m.host.arch ?? ''];
  if (native === undefined) throw new UserError('MANIFEST_RULE', `${file}: packages.architecture is missing and host.arch ${JSON.stringify(m.host.arch ?? '')} names no Debian architecture`);
  const all = [native, ...(m.packages?.foreignArchitectures ?? [])];
  for (const a of all) if (!/^[a-z0-9-]+$/.test(a)) throw new UserError('MANIFEST_RULE', `${file}: packages architecture ${JSON.stringify(a)} is not a Debian architecture name`);
  return [...new Set(all)];
}

/**
 * The captured `deb` sources whose suite is the release or one of its own suites (bookworm,
 * bookworm-updates, bookworm-security, bookworm-backports …), merged by suite (components
 * united, the first URI kept: apt treats further URIs as alternatives). Other sources (a
 * vendor's repository) are listed as skipped: their keys and pools are not Debian's.
 */
export function planSources(m: Manifest, file: string, overrides: SourceOverrides = {}): SourcePlan {
  const codename = refuseOs(m, file);
  const architectures = architecturesOf(m, file);
  const bySuite = new Map<string, { uri: string; components: Set<string> }>();
  const skipped: string[] = [];
  for (const [i, s] of (m.packages?.sources ?? []).entries()) {
    const where = `${file}: packages.sources[${i}] (${s.file})`;
    if (!s.enabled || !s.types.includes('deb')) continue;
    for (const suite of s.suites) {
      if (suite !== codename && !suite.startsWith(`${codename}-`)) {
        skipped.push(`${s.uris.join(' ')} ${suite} (${s.file}): not a suite of ${codename}; other archives are not mirrored yet`);
        continue;
      }
      if (!safeName(suite)) throw new UserError('MANIFEST_RULE', `${where}: suite ${JSON.stringify(suite)} is not a suite name`);
      const bad = s.components.find((c) => !safeComponent(c));
      if (bad !== undefined) throw new UserError('MANIFEST_RULE', `${where}: component ${JSON.stringify(bad)} is not a component name`);
      const uri = s.uris[0];
      if (uri === undefined) continue;
      const entry = bySuite.get(suite) ?? { uri: checkUri(uri, where), components: new Set<string>() };
      for (const c of s.components) entry.components.add(c);
      bySuite.set(suite, entry);
    }
  }
  if ((m.packages?.sources ?? []).length === 0) {
    bySuite.set(codename, { uri: DEFAULT_ARCHIVE, components: new Set(['main']) });
    bySuite.set(`${codename}-updates`, { uri: DEFAULT_ARCHIVE, components: new Set(['main']) });
    bySuite.set(`${codename}-security`, { uri: DEFAULT_SECURITY, components: new Set(['main']) });
  }
  if (!bySuite.has(codename)) {
    throw new UserError('MANIFEST_RULE', `${file}: packages.sources has no deb source for the release suite ${codename} itself`, { hint: `a rebuild installs the base system from ${codename}; add it to the sources` });
  }
  const mirror = overrides.mirror === undefined ? undefined : checkUri(overrides.mirror, '--mirror');
  const security = overrides.securityMirror === undefined ? undefined : checkUri(overrides.securityMirror, '--security-mirror');
  const suites = [...bySuite.entries()].map(([suite, e]): MirrorSuite => {
    const isSecurity = suite.endsWith('-security');
    const uri = (isSecurity ? security : mirror) ?? e.uri;
    return { suite, uri, components: [...e.components].sort(), kind: suite === codename ? 'release' : 'extra' };
  });
  suites.sort((a, b) => (a.kind === b.kind ? (a.suite < b.suite ? -1 : 1) : a.kind === 'release' ? -1 : 1));
  return { codename, architecture: architectures[0]!, architectures, suites, skipped, manual: m.packages?.manual ?? [], recommends: m.packages?.installRecommends !== false };
}
