// The manual / auto / held sets exactly as apt-mark computes them, from dpkg's status file and
// apt's extended_states, without building apt's cache. What apt does (apt 2.6 source):
//
// - A package is "installed" (has a CurrentVer) when its dpkg state is anything but
//   not-installed or config-files (debListParser::ParseStatus); the selection (install, hold,
//   deinstall, purge) does not matter: "deinstall ok installed" is still installed.
// - apt keeps one cache package per name and architecture; arch "all" packages live in the
//   native architecture's package (pkgCache::GrpIterator::FindPkg maps "all" to native).
// - pkgDepCache::readStateFile sets the Auto flag from "Auto-Installed: N" with N > 0 for the
//   (Package, Architecture) named; an entry without Architecture applies to every
//   architecture of that name.
// - apt-mark showmanual/showauto list installed packages by Auto flag; showhold lists every
//   package whose selection is hold, installed or not. Names are printed with
//   PkgIterator::FullName(true): ":arch" only when the arch is not the native one (nor "all"),
//   and the list is sorted with std::sort on std::string (bytewise).
import type { DpkgEntry, ExtendedState } from './parse.ts';

export interface PackageSets {
  readonly manual: string[];
  readonly auto: string[];
  readonly held: string[];
}

/** Bytewise order, as std::sort on std::string (package names are ASCII). */
export const bytewise = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function cacheArch(arch: string | undefined, native: string): string {
  // A status stanza without Architecture is treated as native: dpkg ≥ 1.16 always writes one.
  return arch === undefined || arch === 'all' ? native : arch;
}

export function prettyName(name: string, arch: string, native: string): string {
  return arch === native ? name : `${name}:${arch}`;
}

const sortedUnique = (xs: Iterable<string>): string[] => [...new Set(xs)].sort(bytewise);

export function selectPackages(status: readonly DpkgEntry[], extended: readonly ExtendedState[], native: string): PackageSets {
  const autoExact = new Set<string>();
  const autoAnyArch = new Set<string>();
  for (const e of extended) {
    if (!e.auto) continue;
    if (e.arch === undefined || e.arch === 'any') autoAnyArch.add(e.name);
    else autoExact.add(`${e.name}:${cacheArch(e.arch, native)}`);
  }
  const manual: string[] = [];
  const auto: string[] = [];
  const held: string[] = [];
  for (const p of status) {
    const arch = cacheArch(p.arch, native);
    const pretty = prettyName(p.name, arch, native);
    if (p.want === 'hold') held.push(pretty);
    if (p.state === 'not-installed' || p.state === 'config-files') continue;
    const isAuto = autoAnyArch.has(p.name) || autoExact.has(`${p.name}:${arch}`);
    (isAuto ? auto : manual).push(pretty);
  }
  return { manual: sortedUnique(manual), auto: sortedUnique(auto), held: sortedUnique(held) };
}

/** dpkg's native architecture: the architecture dpkg itself is built for, i.e. its own package's. */
export function nativeArchitecture(status: readonly DpkgEntry[], archFileLines: readonly string[]): string | undefined {
  const dpkg = status.find((p) => p.name === 'dpkg' && p.state !== 'not-installed' && p.state !== 'config-files' && p.arch !== undefined && p.arch !== 'all');
  // dpkg writes its arch file with the native architecture first (dpkg_arch_save_list).
  return dpkg?.arch ?? archFileLines[0];
}
