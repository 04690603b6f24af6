// Pure: the private apt configuration the mirror resolves with, and the install requests
// that stand for the rebuild's apt runs. apt does the dependency resolution; this module only
// says what is asked, in the words mmdebstrap itself uses (mmdebstrap 1.3.5, run_download
// and run_install: the Essential:yes set first, then the priority set of the variant plus
// --include; its VARIANTS section), followed by the packages stage's one transaction.
import { UserError } from '../../core/errors.ts';
import type { MirrorSuite } from './sources.ts';

export const VARIANTS = ['essential', 'apt', 'required', 'minbase', 'buildd', 'important', 'debootstrap', 'standard'] as const;
export type Variant = (typeof VARIANTS)[number];

export function parseVariant(v: string): Variant {
  if ((VARIANTS as readonly string[]).includes(v)) return v as Variant;
  throw new UserError('USAGE', `--variant ${v}: not a variant the mirror knows (${VARIANTS.join(', ')})`, { hint: 'use the variant the rebuild\'s base stage uses (mmdebstrap --variant, default minbase)' });
}

/**
 * apt.conf(5) for a throw-away apt under TMP: its own state, cache, sources and an empty
 * dpkg status (nothing installed, as in an empty target), and none of the host's
 * configuration (read through APT_CONFIG, apt reads Dir::Etc::Parts of *this* file: an empty
 * directory). The sandbox user is root: apt only reads the mirror's signed local files, and
 * _apt could not enter a private temporary directory anyway.
 */
export function aptConfig(tmp: string, architectures: readonly string[]): string {
  const q = (s: string): string => `"${s}"`;
  return [
    `Dir ${q(`${tmp}/`)};`,
    `Dir::State::status ${q(`${tmp}/var/lib/dpkg/status`)};`,
    `APT::Architecture ${q(architectures[0]!)};`,
    `APT::Architectures { ${architectures.map((a) => `${q(a)};`).join(' ')} };`,
    'APT::Install-Suggests "false";',
    'APT::Get::List-Cleanup "false";',
    'Acquire::Languages "none";',
    'APT::Sandbox::User "root";',
    '',
  ].join('\n');
}

/** The directories apt expects under TMP (apt-get update fails without lists/partial). */
export const APT_DIRS = ['etc/apt/apt.conf.d', 'etc/apt/preferences.d', 'etc/apt/sources.list.d', 'etc/apt/trusted.gpg.d', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'var/lib/dpkg', 'var/log/apt'];

/** sources.list(5) one-line entries for the mirror's own copy of the suites. */
export function sourcesList(root: string, suites: readonly MirrorSuite[], keyring: string, architectures: readonly string[]): string {
  return suites.map((s) => `deb [signed-by=${keyring} arch=${architectures.join(',')}] file:${root} ${s.suite} ${s.components.join(' ')}\n`).join('');
}

export interface Request {
  /** For progress and errors: "essential", "base", "packages". */
  readonly name: string;
  /** The apt-get words after the options: "install", patterns and names. */
  readonly words: readonly string[];
  readonly recommends: boolean;
}

/** mmdebstrap's ?narrow: only the release's own Essential/Priority fields, for the native architecture. */
const narrow = (codename: string, arch: string, what: string): string => `?narrow(?or(?archive(^${codename}$),?codename(^${codename}$)),?architecture(${arch}),${what})`;

const PRIORITY: Partial<Record<Variant, string>> = {
  required: '?and(?priority(required),?not(?essential))',
  minbase: '?and(?priority(required),?not(?essential))',
  buildd: '?and(?priority(required),?not(?essential))',
  important: '?and(?or(?priority(required),?priority(important)),?not(?essential))',
  debootstrap: '?and(?or(?priority(required),?priority(important)),?not(?essential))',
  standard: '?and(?or(~prequired,~pimportant,~pstandard),?not(?essential))',
};

/**
 * The requests whose union is the download set: (1) the essential set alone, as mmdebstrap
 * downloads it into an empty target; (2) the whole base (essential + the variant's priority
 * set + --include); (3) the base plus the manual set, as the packages stage installs it,
 * with or without Recommends. Resolving (2) and (3) from an empty status may pick more than
 * the staged installs do, never less for the same choices: a superset is harmless offline.
 */
export function requests(variant: Variant, codename: string, arch: string, include: readonly string[], manual: readonly string[], recommends: boolean): Request[] {
  const essentialSet = ['install', narrow(codename, arch, '?essential')];
  // --variant=apt: `apt-get dist-upgrade` on an empty status installs the essential set and apt.
  const first = variant === 'apt' ? ['dist-upgrade'] : essentialSet;
  const priority = PRIORITY[variant];
  const rest = [...(variant === 'apt' ? ['apt'] : []), ...(priority ? [narrow(codename, arch, priority)] : []), ...(variant === 'buildd' ? ['build-essential'] : []), ...include];
  const base = [...essentialSet, ...rest];
  const out: Request[] = [{ name: 'essential', words: first, recommends: false }];
  if (rest.length > 0) out.push({ name: 'base', words: base, recommends: false });
  if (manual.length > 0) out.push({ name: 'packages', words: [...base, ...manual], recommends });
  return out;
}
