// Filesystems, swap and mounts: what mkfs would refuse, what would make the btrfs planner
// create an unbounded number of placeholder subvolumes, and two filesystems on one mount point.
import type { Manifest } from '../types.gen.ts';
import { arr, duplicates, isPowerOfTwo, num, rec, str, type Path, type RuleIssue } from './util.ts';

/**
 * A rebuild gives every subvolume its captured id by creating placeholders for the unused ids
 * below it (btrfs hands out the next free objectid). A long-lived snapper machine has
 * thousands; a tampered id of 2^32 would mean billions of steps.
 */
export const MAX_BTRFS_ID_GAPS = 50_000;
const FIRST_SUBVOLUME_ID = 256;
const TOP_LEVEL = 5;

function powersOfTwo(f: Record<string, unknown>, here: Path): RuleIssue[] {
  const checks: [Path, unknown][] = [];
  const ext = rec(f.ext);
  const xfs = rec(f.xfs);
  const vfat = rec(f.vfat);
  const btrfs = rec(f.btrfs);
  checks.push([['ext', 'blockSize'], ext.blockSize], [['ext', 'inodeSize'], ext.inodeSize]);
  checks.push([['xfs', 'data', 'bsize'], rec(xfs.data).bsize], [['xfs', 'metadata', 'sectsz'], rec(xfs.metadata).sectsz], [['xfs', 'naming', 'bsize'], rec(xfs.naming).bsize]);
  checks.push([['vfat', 'logicalSectorSize'], vfat.logicalSectorSize], [['vfat', 'sectorsPerCluster'], vfat.sectorsPerCluster]);
  checks.push([['btrfs', 'nodesize'], btrfs.nodesize], [['btrfs', 'sectorsize'], btrfs.sectorsize]);
  const issues: RuleIssue[] = [];
  for (const [p, v] of checks) if (typeof v === 'number' && !isPowerOfTwo(v)) issues.push({ path: [...here, ...p], message: `${v} is not a power of two` });
  if (typeof ext.inodeSize === 'number' && typeof ext.blockSize === 'number' && ext.inodeSize > ext.blockSize)
    issues.push({ path: [...here, 'ext', 'inodeSize'], message: `an inode (${ext.inodeSize} bytes) cannot be larger than a block (${ext.blockSize} bytes)` });
  return issues;
}

function btrfsRules(f: Record<string, unknown>, here: Path): RuleIssue[] {
  const b = rec(f.btrfs);
  if (f.type !== 'btrfs' || f.btrfs === undefined) return [];
  const bp: Path = [...here, 'btrfs'];
  const issues: RuleIssue[] = [];
  const devices = arr(b.devices);
  const members = new Set(f.devices === undefined ? [str(f.on)] : arr(f.devices).map((x) => str(x)));
  issues.push(...duplicates(devices.map((d, j) => [num(d.devid), [...bp, 'devices', j, 'devid']]), 'btrfs devid'));
  devices.forEach((d, j) => {
    if (!members.has(str(d.on))) issues.push({ path: [...bp, 'devices', j, 'on'], message: `"${String(d.on)}" is not one of this filesystem's devices (${[...members].join(', ')})` });
  });
  const subs = arr(b.subvolumes);
  const ids = new Set(subs.map((s) => num(s.id)));
  const paths = new Set(subs.map((s) => str(s.path)));
  issues.push(...duplicates(subs.map((s, j) => [num(s.id), [...bp, 'subvolumes', j, 'id']]), 'subvolume id'));
  issues.push(...duplicates(subs.map((s, j) => [str(s.path), [...bp, 'subvolumes', j, 'path']]), 'subvolume path'));
  let maxId = FIRST_SUBVOLUME_ID - 1;
  subs.forEach((s, j) => {
    const at: Path = [...bp, 'subvolumes', j];
    const id = num(s.id) ?? 0;
    const parent = num(s.parentId);
    maxId = Math.max(maxId, id);
    if (parent !== undefined && parent !== TOP_LEVEL && !ids.has(parent)) issues.push({ path: [...at, 'parentId'], message: `${parent} is neither the top level (5) nor the id of a subvolume listed here` });
    if (parent === id) issues.push({ path: [...at, 'parentId'], message: 'a subvolume cannot contain itself' });
    const src = str(s.snapshotOf);
    if (src !== undefined && !paths.has(src)) issues.push({ path: [...at, 'snapshotOf'], message: `"${src}" is not a subvolume listed here` });
  });
  const gaps = maxId - (FIRST_SUBVOLUME_ID - 1) - ids.size;
  if (gaps > MAX_BTRFS_ID_GAPS)
    issues.push({ path: [...bp, 'subvolumes'], message: `the highest subvolume id is ${maxId}: recreating the ids would take ${gaps} placeholder subvolumes (at most ${MAX_BTRFS_ID_GAPS} are made)` });
  const def = str(b.defaultSubvolume);
  if (def !== undefined && def !== '' && !paths.has(def)) issues.push({ path: [...bp, 'defaultSubvolume'], message: `"${def}" is not a subvolume listed here` });
  return issues;
}

export const filesystemsRule = (m: Manifest): RuleIssue[] => {
  const s = rec(m.storage);
  const issues: RuleIssue[] = [];
  arr(s.filesystems).forEach((f, i) => {
    const here: Path = ['storage', 'filesystems', i];
    issues.push(...powersOfTwo(f, here));
    issues.push(...btrfsRules(f, here));
    if (f.devices !== undefined && f.type !== 'btrfs') issues.push({ path: [...here, 'devices'], message: 'only btrfs spans several devices' });
    if (f.devices !== undefined && !arr(f.devices).map((x) => str(x)).includes(str(f.on))) issues.push({ path: [...here, 'on'], message: 'must be one of `devices` (the one with the lowest devid)' });
  });
  arr(s.swap).forEach((w, i) => {
    const ps = num(w.pageSize);
    if (ps !== undefined && !isPowerOfTwo(ps)) issues.push({ path: ['storage', 'swap', i, 'pageSize'], message: `${ps} is not a power of two` });
  });
  arr(s.luks).forEach((l, i) => {
    const ss = num(l.sectorSize);
    if (ss !== undefined && !isPowerOfTwo(ss)) issues.push({ path: ['storage', 'luks', i, 'sectorSize'], message: `${ss} is not a power of two` });
  });
  return issues;
};

/**
 * Two captured filesystems on one mount point: the rebuild mounts both (the entries with a
 * manifest device, not swap, not noauto) and the second would hide the first — its files
 * would be restored into the wrong one. Other duplicates (two noauto entries for a USB stick,
 * network mounts) are the user's business.
 */
export const mountPointsRule = (m: Manifest): RuleIssue[] => {
  const entries = arr(rec(m.mounts).fstab);
  const mounted = entries.map((e, i): [string | undefined, Path] => {
    const file = str(e.file);
    const auto = !(str(e.options) ?? '').split(',').includes('noauto');
    const real = file !== undefined && file.startsWith('/') && e.vfstype !== 'swap' && e.device !== undefined && auto;
    return [real ? file.replace(/(.)\/+$/, '$1') : undefined, ['mounts', 'fstab', i, 'file']];
  });
  return duplicates(mounted, 'mount point');
};
