// One rule (for core/manifest/rules.ts RULES) that checks every path-like and device-name
// field of a manifest with the confinement module's own checks, so that a manifest that
// passes validation can only produce paths that joinInside accepts and device names that
// stay one component. The schema has patterns for these too; this check does not rely on them.
import type { Manifest } from '../manifest/types.gen.ts';
import { dmNameProblem, mdHomehostProblem, mdNameProblem } from './device-name.ts';
import { absolutePathProblem, componentProblem, hasControl, relativePathProblem } from './manifest-path.ts';

export interface PathIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

type Rec = Record<string, unknown>;
const arr = (v: unknown): Rec[] => (Array.isArray(v) ? (v as unknown[]).map((x) => (x && typeof x === 'object' ? (x as Rec) : {})) : []);
const strs = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const rec = (v: unknown): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});

/** Manifest paths that reach the file system or a device name, and the check each must pass. */
export function manifestPathRules(m: Manifest): PathIssue[] {
  const out: PathIssue[] = [];
  const check = (v: unknown, path: (string | number)[], problemOf: (x: unknown) => string | undefined, what: string): void => {
    if (v === undefined) return;
    const problem = problemOf(v);
    if (problem !== undefined) out.push({ path, message: `${what} ${problem}` });
  };
  const abs = (v: unknown, path: (string | number)[]): void => check(v, path, absolutePathProblem, 'path');
  const doc = m as unknown as Rec;
  const s = rec(doc.storage);

  arr(s.disks).forEach((d, i) => abs(d.path, ['storage', 'disks', i, 'path']));
  arr(s.mdraid).forEach((md, i) => {
    check(md.name, ['storage', 'mdraid', i, 'name'], mdNameProblem, 'md name');
    check(md.homehost, ['storage', 'mdraid', i, 'homehost'], mdHomehostProblem, 'homehost');
  });
  arr(s.luks).forEach((l, i) => check(l.mapping, ['storage', 'luks', i, 'mapping'], dmNameProblem, 'mapping name'));
  arr(s.filesystems).forEach((f, i) => {
    const b = rec(f.btrfs);
    const at = ['storage', 'filesystems', i, 'btrfs'];
    arr(b.subvolumes).forEach((v, j) => {
      check(v.path, [...at, 'subvolumes', j, 'path'], relativePathProblem, 'subvolume path');
      check(v.snapshotOf, [...at, 'subvolumes', j, 'snapshotOf'], relativePathProblem, 'subvolume path');
    });
    // "" is the top level.
    if (b.defaultSubvolume !== '') check(b.defaultSubvolume, [...at, 'defaultSubvolume'], relativePathProblem, 'subvolume path');
  });

  const mounts = rec(doc.mounts);
  arr(mounts.fstab).forEach((e, i) => {
    // fs_file is a mount point, or "none"/"swap" for swap areas (fstab(5)).
    if (e.file !== 'none' && e.file !== 'swap') check(e.file, ['mounts', 'fstab', i, 'file'], absolutePathProblem, 'mount point');
  });
  arr(mounts.crypttab).forEach((e, i) => {
    check(e.name, ['mounts', 'crypttab', i, 'name'], dmNameProblem, 'mapping name');
    // "none", "-", a path, or systemd's "path:device": kept as written, but one line of crypttab.
    check(e.keyfile, ['mounts', 'crypttab', i, 'keyfile'], (x) => (typeof x === 'string' && hasControl(x) ? 'contains a control character' : undefined), 'key file');
  });

  const pkgs = rec(doc.packages);
  arr(pkgs.sources).forEach((x, i) => abs(x.file, ['packages', 'sources', i, 'file']));
  arr(pkgs.pins).forEach((x, i) => abs(x.file, ['packages', 'pins', i, 'file']));
  arr(pkgs.repos).forEach((x, i) => abs(x.file, ['packages', 'repos', i, 'file']));
  arr(pkgs.keys).forEach((k, i) => {
    abs(k.path, ['packages', 'keys', i, 'path']);
    // Stored below hosts/NAME/apt-keys/: relative, normalised, and in that folder.
    check(k.file, ['packages', 'keys', i, 'file'], (x) => relativePathProblem(x) ?? (String(x).startsWith('apt-keys/') ? undefined : 'is not below apt-keys/'), 'side file');
  });

  const boot = rec(doc.boot);
  abs(rec(boot.systemdBoot).loaderConf, ['boot', 'systemdBoot', 'loaderConf']);
  strs(rec(boot.initramfs).confFiles).forEach((x, i) => check(x, ['boot', 'initramfs', 'confFiles', i], componentProblem, 'file name'));

  const repos = rec(doc.repos);
  const etc = rec(repos.etc);
  abs(etc.path, ['repos', 'etc', 'path']);
  abs(etc.gitDir, ['repos', 'etc', 'gitDir']);
  arr(etc.restoreFromElsewhere).forEach((x, i) => abs(x.path, ['repos', 'etc', 'restoreFromElsewhere', i, 'path']));
  strs(etc.trackedSecrets).forEach((x, i) => abs(x, ['repos', 'etc', 'trackedSecrets', i]));
  arr(repos.dotfiles).forEach((d, i) => {
    for (const k of ['home', 'gitDir', 'workTree'] as const) abs(d[k], ['repos', 'dotfiles', i, k]);
  });

  arr(doc.datasets).forEach((d, i) => {
    abs(d.path, ['datasets', i, 'path']);
    // The name becomes a file name (the expect cache).
    check(d.name, ['datasets', i, 'name'], componentProblem, 'name');
  });
  return out;
}
