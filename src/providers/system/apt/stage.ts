// The base and packages stages of a rebuild, for Debian (apt). Pure planners: manifest +
// SystemPlanContext → steps with exact argv.
//
// base: mmdebstrap(1) of the captured release and architecture into the mounted target
// (--mode=root; --skip=check/empty because the target holds mount points and lost+found),
// from --mirror or the captured Debian sources. The apt archive cache (--cache) is synced in
// before and out after (mmdebstrap's own sync-in/sync-out hooks, its documented way to reuse
// downloads), so a package is downloaded once across stages and attempts. mmdebstrap was
// chosen over debootstrap by measurement (issue 12: minbase in the TCG guest 389 s vs 1,127 s).
//
// packages: as curtin does, nothing may start a service in the chroot (policy-rc.d exits 101)
// and the initramfs is not built per package (update-initramfs diverted to a no-op; the boot
// stage puts it back and builds it once). The captured sources and keys go in first (with
// --mirror, the mirror is used for the install and the captured sources are written after),
// foreign architectures are added, then ONE apt transaction installs the manual set through
// `sysmanifest internal apt-apply` (its stdin is the list): packages the mirror no longer has
// are reported and left out (--strict: an error), the rest are marked auto, holds applied.
import { UserError } from '../../../core/errors.ts';
import { joinInside } from '../../../core/confine/index.ts';
import type { AptPin, AptSource, Manifest } from '../../../core/manifest/types.gen.ts';
import type { Step } from '../../../core/plan/types.ts';
import type { SystemPlanContext } from '../../types.ts';

/** The release names mmdebstrap can install from a Debian archive (a codename, never a path or option). */
const CODENAME = /^[a-z][a-z0-9-]{1,30}$/;
const DPKG_ARCH = /^[a-z0-9][a-z0-9-]{0,30}$/;
const URI = /^(https?|file):\/\/[^\s"'\\]+$/;

export interface DebianTarget {
  readonly codename: string;
  readonly arch: string;
}

/** What base needs from the manifest, or a clear refusal for anything that is not Debian with apt. */
export function debianTarget(m: Manifest): DebianTarget {
  const os = m.host.os;
  if (os?.id !== 'debian') {
    throw new UserError('REFUSED', `host.os.id: ${JSON.stringify(os?.id ?? null)} — rebuilding the system of this distribution is not supported yet (only Debian); nothing was written`, {
      hint: 'the storage stage works for any distribution: sysmanifest rebuild MANIFEST --stage storage',
    });
  }
  if (m.packages?.manager !== 'apt') throw new UserError('REFUSED', 'packages.manager: a Debian system without an apt package set cannot be rebuilt (capture it again with its dpkg database)');
  const codename = os.codename;
  if (codename === undefined || !CODENAME.test(codename)) throw new UserError('REFUSED', `host.os.codename: ${JSON.stringify(codename ?? null)} is not a Debian release name mmdebstrap can install`);
  const arch = m.packages.architecture;
  if (arch === undefined || !DPKG_ARCH.test(arch)) throw new UserError('REFUSED', `packages.architecture: ${JSON.stringify(arch ?? null)} is not a dpkg architecture`);
  return { codename, arch };
}

/** One-line sources for mmdebstrap: --mirror URLs for the release, else the captured Debian sources of the release. */
export function installSources(m: Manifest, ctx: SystemPlanContext, t: DebianTarget): string[] {
  const captured = (m.packages?.sources ?? []).filter((s) => s.enabled && s.types.includes('deb'));
  const main = captured.find((s) => s.suites.includes(t.codename));
  const components = main?.components.length ? main.components : ['main'];
  for (const c of components) if (!/^[a-z0-9-]+$/.test(c)) throw new UserError('REFUSED', `packages.sources: component ${JSON.stringify(c)} is not an apt component name`);
  if (ctx.mirrors.length) {
    for (const u of ctx.mirrors) if (!URI.test(u)) throw new UserError('USAGE', `--mirror ${u}: expected an http://, https:// or file:// URL`);
    return ctx.mirrors.map((u) => `deb ${u} ${t.codename} ${components.join(' ')}`);
  }
  const ours = (s: AptSource): boolean => s.suites.some((x) => x === t.codename || x.startsWith(`${t.codename}-`) || x.startsWith(`${t.codename}/`));
  const lines = captured
    .filter(ours)
    .flatMap((s) => s.uris.flatMap((u) => s.suites.filter((x) => x === t.codename || x.startsWith(`${t.codename}-`) || x.startsWith(`${t.codename}/`)).map((x) => ({ u, x, c: s.components }))))
    .map(({ u, x, c }) => {
      if (!URI.test(u) || !/^[a-z0-9/-]+$/.test(x)) throw new UserError('REFUSED', `packages.sources: ${JSON.stringify(u)} ${JSON.stringify(x)} is not a source mmdebstrap can use`);
      return `deb ${u} ${x} ${c.join(' ')}`;
    });
  if (lines.length === 0) throw new UserError('REFUSED', `packages.sources: no enabled Debian source for ${t.codename} was captured`, { hint: 'give one with --mirror URL (file:// for a mirror made by `sysmanifest mirror`)' });
  return [...new Set(lines)];
}

export const BASE_STEP = 'base:mmdebstrap';

/** mmdebstrap splits its sync-in/sync-out hook arguments at blanks: the cache path must have none. */
export function checkCacheDir(dir: string): void {
  if (!/^\/[A-Za-z0-9._/+@-]*$/.test(dir) || dir.split('/').some((c) => c === '..')) throw new UserError('USAGE', `--cache ${dir}: expected an absolute path of letters, digits and ._/+@- (mmdebstrap's hooks split at blanks)`);
}

export function planBase(ctx: SystemPlanContext): Step[] {
  checkCacheDir(ctx.cacheDir);
  const t = debianTarget(ctx.manifest);
  const sources = installSources(ctx.manifest, ctx, t);
  const fileMirror = sources.some((s) => s.includes(' file:/'));
  const archives = '/var/cache/apt/archives';
  return [
    { id: 'base:cache', stage: 'base', title: `apt cache ${ctx.cacheDir}`, argv: ['mkdir', '-p', '-m', '0755', ctx.cacheDir], risk: 'create', after: [] },
    {
      id: BASE_STEP,
      stage: 'base',
      title: `Debian ${t.codename} (${t.arch}, minbase) into ${ctx.target} from ${sources.map((s) => s.split(' ')[1]).join(', ')}`,
      argv: [
        'mmdebstrap', '--mode=root', '--variant=minbase', `--arch=${t.arch}`, '--format=directory', '--skip=check/empty', '--skip=essential/unlink',
        // file:// mirrors are bind-mounted into the chroot by mmdebstrap's own hook. apt reads
        // them as root: its sandbox user _apt cannot enter a medium under a directory only root
        // may open (a mount point of mode 0700, /root/…), and apt then reports the indexes
        // missing. mmdebstrap keeps --aptopt in the tree (apt.conf.d/99mmdebstrap): taken out
        // again at the end, or the rebuilt /etc would hold a file the machine never had.
        ...(fileMirror ? ['--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount', '--aptopt=APT::Sandbox::User "root"'] : []),
        `--setup-hook=mkdir -p "$1"${archives}`, `--setup-hook=sync-in ${ctx.cacheDir} ${archives}`,
        `--customize-hook=sync-out ${archives} ${ctx.cacheDir}`,
        ...(fileMirror ? ['--customize-hook=rm -f "$1"/etc/apt/apt.conf.d/99mmdebstrap'] : []),
        t.codename, ctx.target, ...sources,
      ],
      risk: 'create',
      after: ['base:cache'],
      long: true,
    },
  ];
}

/** A file written into the target by tee (stdin: the text), then its mode set. */
function writeStep(ctx: SystemPlanContext, id: string, path: string, text: string, mode: string, after: string[]): Step[] {
  const dst = joinInside(ctx.target, path);
  return [
    { id: `${id}:dir`, stage: 'packages', title: `directory of ${path}`, argv: ['mkdir', '-p', dst.replace(/\/[^/]+$/, '')], risk: 'create', after },
    { id, stage: 'packages', title: `write ${path}`, argv: ['tee', dst], input: { kind: 'text', text }, risk: 'create', after: [`${id}:dir`] },
    { id: `${id}:mode`, stage: 'packages', title: `mode ${mode} on ${path}`, argv: ['chmod', mode, dst], risk: 'create', after: [id] },
  ];
}

const chroot = (ctx: SystemPlanContext, ...argv: string[]): string[] => ['chroot', ctx.target, 'env', 'LC_ALL=C', 'DEBIAN_FRONTEND=noninteractive', ...argv];

/** The one-line form of a captured source (for writing the captured sources after a --mirror install). */
export function sourceLine(s: AptSource): string {
  const opts = Object.entries(s.options ?? {}).map(([k, v]) => `${k === 'architectures' ? 'arch' : k}=${v.join(',')}`);
  return s.types.map((ty) => `${ty} ${opts.length ? `[${opts.join(' ')}] ` : ''}${s.uris[0]} ${s.suites[0]} ${s.components.join(' ')}`).join('\n');
}

/** apt reads /etc/apt/preferences and the files of preferences.d named [A-Za-z0-9_.-] (apt_preferences(5)). */
const PIN_FILE = /^\/etc\/apt\/preferences(\.d\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)?$/;

/** The captured pins by file, checked: a field holds one line (a newline would add stanzas of its own). */
function pinFiles(pins: readonly AptPin[]): Map<string, AptPin[]> {
  const out = new Map<string, AptPin[]>();
  pins.forEach((x, i) => {
    if (!PIN_FILE.test(x.file)) throw new UserError('REFUSED', `packages.pins[${i}].file: ${JSON.stringify(x.file)} is not a file apt reads pins from (/etc/apt/preferences or /etc/apt/preferences.d/NAME)`);
    for (const k of ['package', 'pin'] as const) {
      if (/[\n\r]/.test(x[k]) || x[k].trim() === '') throw new UserError('REFUSED', `packages.pins[${i}].${k}: ${JSON.stringify(x[k])} is not one line of text`);
    }
    if (!Number.isInteger(x.priority)) throw new UserError('REFUSED', `packages.pins[${i}].priority: ${x.priority} is not an integer`);
    out.set(x.file, [...(out.get(x.file) ?? []), x]);
  });
  return out;
}

export function planPackages(ctx: SystemPlanContext, cli: readonly string[], strict: boolean): Step[] {
  const m = ctx.manifest;
  debianTarget(m);
  const p = m.packages!;
  const after = [BASE_STEP];
  const steps: Step[] = [];
  steps.push(...writeStep(ctx, 'packages:policy-rc.d', '/usr/sbin/policy-rc.d', '#!/bin/sh\n# sysmanifest rebuild: no service starts in the chroot (invoke-rc.d(8)); removed by the boot stage\nexit 101\n', '0755', after));
  steps.push({
    id: 'packages:divert-initramfs',
    stage: 'packages',
    title: 'divert update-initramfs: the initramfs is built once, in the boot stage',
    argv: chroot(ctx, 'dpkg-divert', '--local', '--rename', '--divert', '/usr/sbin/update-initramfs.sysmanifest', '--add', '/usr/sbin/update-initramfs'),
    risk: 'create',
    after,
  });
  steps.push(...writeStep(ctx, 'packages:initramfs-stub', '/usr/sbin/update-initramfs', '#!/bin/sh\n# sysmanifest rebuild: diverted until the boot stage builds the initramfs once\nexit 0\n', '0755', ['packages:divert-initramfs']));
  let last = 'packages:initramfs-stub:mode';
  for (const a of p.foreignArchitectures ?? []) {
    if (!DPKG_ARCH.test(a)) throw new UserError('REFUSED', `packages.foreignArchitectures: ${JSON.stringify(a)} is not a dpkg architecture`);
    steps.push({ id: `packages:arch:${a}`, stage: 'packages', title: `foreign architecture ${a}`, argv: chroot(ctx, 'dpkg', '--add-architecture', a), risk: 'create', after: [last] });
    last = `packages:arch:${a}`;
  }
  // The captured pins, before the transaction (apt_preferences(5)): /etc comes back only in the
  // etc stage, after the packages — and then in its exact captured form.
  for (const [file, stanzas] of pinFiles(p.pins ?? [])) {
    const id = `packages:pins:${file}`;
    steps.push(...writeStep(ctx, id, file, stanzas.map((x) => `Package: ${x.package}\nPin: ${x.pin}\nPin-Priority: ${x.priority}\n`).join('\n'), '0644', [last]));
    last = `${id}:mode`;
  }
  // No translations: a partial mirror (sysmanifest mirror) has none, and the install needs none.
  steps.push({ id: 'packages:update', stage: 'packages', title: 'apt-get update', argv: chroot(ctx, 'apt-get', '-o', 'Acquire::Languages=none', 'update'), risk: 'create', after: [last, 'packages:policy-rc.d:mode'], long: true });
  const manual = [...(p.manual ?? [])];
  const held = [...(p.held ?? [])];
  steps.push({
    id: 'packages:install',
    stage: 'packages',
    title: `install the ${manual.length} manually chosen packages in one apt transaction${p.installRecommends === false ? ' (without Recommends, as captured)' : ''}; the rest auto-marked${held.length ? `, ${held.length} held` : ''}`,
    argv: [...cli, 'internal', 'apt-apply', '--target', ctx.target, ...(strict ? ['--strict'] : [])],
    input: { kind: 'text', text: `${JSON.stringify({ manual, held, ...(p.installRecommends === false ? { recommends: false } : {}) })}\n` },
    risk: 'create',
    after: ['packages:update'],
    long: true,
  });
  return steps;
}
