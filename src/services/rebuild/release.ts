// rebuild --release NAME: the machine comes back on a newer Debian release. The manifest the
// base and packages stages plan from is the captured one with the release renamed — the
// codename, and every captured source suite of the old release (bookworm, bookworm-updates,
// bookworm-security → trixie, trixie-updates, trixie-security) — so the captured package set
// is installed from the new release (packages it no longer has are reported, the ones it
// replaces by one other are installed under the new name: apt-apply). /etc and the homes are
// not checked out as they were: `merge etc` and `merge home` bring the user's changes onto the
// new release's defaults (the etc and homes stages' --release variants), and what needs a
// decision stays staged in the rebuilt system for `sysmanifest merge status`.
import { UserError } from '../../core/errors.ts';
import type { Manifest } from '../../core/manifest/types.gen.ts';

const CODENAME = /^[a-z][a-z0-9-]{1,30}$/;

export function retarget(m: Manifest, release: string): Manifest {
  if (!CODENAME.test(release)) throw new UserError('USAGE', `--release ${JSON.stringify(release)}: expected a Debian release name (trixie, forky …)`);
  const old = m.host.os?.codename;
  if (m.host.os?.id !== 'debian' || old === undefined) throw new UserError('REFUSED', '--release: only a captured Debian system can be rebuilt onto a newer release (host.os.id, host.os.codename)');
  if (old === release) throw new UserError('USAGE', `--release ${release}: the manifest already is ${release} (leave --release out)`);
  const suite = (s: string): string => (s === old ? release : s.startsWith(`${old}-`) || s.startsWith(`${old}/`) ? `${release}${s.slice(old.length)}` : s);
  const { versionId: _v, prettyName: _p, ...os } = m.host.os;
  return {
    ...m,
    host: { ...m.host, os: { ...os, codename: release } },
    ...(m.packages ? { packages: { ...m.packages, ...(m.packages.sources ? { sources: m.packages.sources.map((s) => ({ ...s, suites: s.suites.map(suite) })) } : {}) } } : {}),
  };
}
