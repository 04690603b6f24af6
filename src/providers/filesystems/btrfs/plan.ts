// Recreate btrfs filesystems: mkfs.btrfs with the captured geometry, features, profiles and
// identity on all member devices, then, on a private mount of the top level, the subvolumes
// in id order (so that they get their captured ids: btrfs hands out the next free objectid),
// snapshots as snapshots of their source, nodatacow, read-only flags (after everything inside
// was created), the default subvolume, and the unmount.
//
// Resumability (core/plan/apply.ts retries a step that started but did not finish unless its
// check says it is done): mkdir -p, chattr, property set, set-default, remount and rm -f are
// harmless to repeat; the others carry a check — the mount: /sys/fs/btrfs/<fsid> exists only
// while the filesystem is mounted; a subvolume: its path exists; the unmount: a marker
// directory made in the empty mount point before mounting is visible again.
import { checkRelativePath, childInside, joinInside } from '../../../core/confine/index.ts';
import type { BtrfsParams, BtrfsSubvolume, Filesystem } from '../../../core/manifest/types.gen.ts';
import type { PlanContext } from '../../../core/plan/context.ts';
import type { Step } from '../../../core/plan/types.ts';
import { cannotRecreate, filesystemsOf, mkfsStep, probeOf } from '../plan.ts';

/** Where rebuild mounts a btrfs top level while it creates the subvolumes (tmpfs: gone after a reboot). */
export const mountPointFor = (uuid: string, where = 'uuid'): string => childInside('/run/sysmanifest', `mnt-${uuid}`, where);
const UNMOUNTED_MARKER = '.sysmanifest-unmounted';
const GAPS = '.sysmanifest-gaps';
const FIRST_SUBVOLUME_ID = 256;

/** Superblock incompat flags mkfs.btrfs -O sets or clears (btrfs-progs common/fsfeatures.c). */
const TOGGLED: Readonly<Record<string, string>> = { EXTENDED_IREF: 'extref', SKINNY_METADATA: 'skinny-metadata', NO_HOLES: 'no-holes' };
/** Set by mkfs.btrfs -O only when asked for (several are implied by the profiles anyway). */
const ON_DEMAND: Readonly<Record<string, string>> = { MIXED_GROUPS: 'mixed-bg', RAID56: 'raid56', RAID1C34: 'raid1c34', ZONED: 'zoned' };
/** Set by mkfs.btrfs itself, or by a later step of this plan. */
const IMPLIED = new Set(['MIXED_BACKREF', 'BIG_METADATA', 'DEFAULT_SUBVOL', 'COMPRESS_LZO', 'COMPRESS_ZSTD']);
/** The kernel marks the filesystem when it is mounted with compress=… (fs/btrfs/super.c). */
const COMPRESS: Readonly<Record<string, string>> = { COMPRESS_LZO: 'lzo', COMPRESS_ZSTD: 'zstd' };

export function mkfsBtrfsArgv(where: string, fs: Filesystem, devices: readonly string[]): string[] {
  const b = fs.btrfs!;
  if (fs.uuid === undefined) throw cannotRecreate(where, 'no UUID was captured');
  if (b.metadataUuid !== undefined) throw cannotRecreate(where, `metadata_uuid ${b.metadataUuid} differs from the fsid (btrfstune -m/-M is not planned)`);
  if (b.features.compat.length) throw cannotRecreate(where, `compat features ${b.features.compat.join(', ')}`);
  const ro = b.features.compatRo.filter((f) => f !== 'FREE_SPACE_TREE' && f !== 'FREE_SPACE_TREE_VALID');
  if (ro.length) throw cannotRecreate(where, `compat_ro features ${ro.join(', ')} cannot be set by mkfs.btrfs`);
  const O: string[] = [];
  for (const [flag, name] of Object.entries(TOGGLED)) O.push(b.features.incompat.includes(flag) ? name : `^${name}`);
  for (const flag of b.features.incompat) {
    if (ON_DEMAND[flag] !== undefined) O.push(ON_DEMAND[flag]);
    else if (TOGGLED[flag] === undefined && !IMPLIED.has(flag)) throw cannotRecreate(where, `incompat feature ${flag} cannot be set by mkfs.btrfs`);
  }
  const p = b.profiles;
  // mkfs.btrfs gives the system chunks the metadata profile; anything else took a balance.
  if (p.system !== undefined && p.system !== p.metadata) throw cannotRecreate(where, `system profile ${p.system} differs from the metadata profile ${String(p.metadata)}`);
  return [
    'mkfs.btrfs', '-f',
    '-U', fs.uuid,
    ...(fs.label !== undefined ? ['-L', fs.label] : []),
    '--nodesize', String(b.nodesize),
    '--sectorsize', String(b.sectorsize),
    '--csum', b.csumType,
    ...(p.data !== undefined ? ['-d', p.data] : []),
    ...(p.metadata !== undefined ? ['-m', p.metadata] : []),
    '-O', O.join(','),
    '-R', b.features.compatRo.includes('FREE_SPACE_TREE') ? 'free-space-tree' : '^free-space-tree',
    ...devices,
  ];
}

/** Subvolume steps in id order; throws for layouts that id order cannot produce. */
function subvolumeSteps(where: string, on: string, b: BtrfsParams, mnt: string, chain: (s: Omit<Step, 'after' | 'risk'>) => Step): void {
  const byId = new Map<number, BtrfsSubvolume>(b.subvolumes.map((s) => [s.id, s]));
  const byPath = new Map<string, BtrfsSubvolume>(b.subvolumes.map((s) => [s.path, s]));
  // Subvolume paths come from the manifest: joined to the private mount only through
  // joinInside, so "../x" can never create a directory or a subvolume outside it.
  const at = (path: string, field = `${where}.btrfs.subvolumes`): string => (path === '' ? mnt : joinInside(mnt, checkRelativePath(path, field), field));
  b.subvolumes.forEach((s, i) => {
    at(s.path, `${where}.btrfs.subvolumes[${i}].path`);
    if (s.snapshotOf !== undefined) at(s.snapshotOf, `${where}.btrfs.subvolumes[${i}].snapshotOf`);
  });
  at(b.defaultSubvolume, `${where}.btrfs.defaultSubvolume`);
  const sorted = [...b.subvolumes].sort((x, y) => x.id - y.id);
  const madeReadOnly = new Set<number>();
  const dirs = new Set<string>();
  let nextId = FIRST_SUBVOLUME_ID;
  let gaps = false;
  for (const s of sorted) {
    const sw = `${where}.btrfs.subvolumes[${b.subvolumes.indexOf(s)}]`;
    // Ids that were handed out and are gone (deleted subvolumes) are used up by placeholders.
    for (; nextId < s.id; nextId++) {
      if (!gaps) chain({ id: `btrfs-gaps:${on}`, title: `placeholder directory for unused subvolume ids`, argv: ['mkdir', '-p', `${mnt}/${GAPS}`] });
      gaps = true;
      const path = `${mnt}/${GAPS}/${nextId}`;
      chain({ id: `btrfs-gap:${on}:${nextId}`, title: `placeholder subvolume for the unused id ${nextId}`, argv: ['btrfs', 'subvolume', 'create', path], check: { device: path, probe: {} } });
    }
    nextId = s.id + 1;
    const container = s.parentId === 5 ? '' : byId.get(s.parentId)?.path;
    if (container === undefined) throw cannotRecreate(sw, `${s.path} is inside subvolume ${s.parentId}, which is not in the manifest`);
    if (s.parentId !== 5 && s.parentId > s.id) throw cannotRecreate(sw, `${s.path} (id ${s.id}) was moved into ${container} (id ${s.parentId}), which is newer: creating in id order cannot place it`);
    const prefix = container === '' ? '' : `${container}/`;
    if (!s.path.startsWith(prefix) || s.path.length <= prefix.length) throw cannotRecreate(sw, `path ${s.path} is not inside its parent subvolume ${container}`);
    const dir = s.path.slice(0, Math.max(s.path.lastIndexOf('/'), 0));
    if (dir !== container && !dirs.has(dir)) {
      dirs.add(dir);
      chain({ id: `btrfs-dir:${on}:${dir}`, title: `directory ${dir}`, argv: ['mkdir', '-p', at(dir)] });
    }
    let inherited = false;
    const children = b.subvolumes.some((c) => c.parentId === s.id);
    if (s.snapshotOf !== undefined) {
      const source = byPath.get(s.snapshotOf);
      if (source === undefined || source.id > s.id) throw cannotRecreate(sw, `snapshot source ${s.snapshotOf} is missing or newer than the snapshot`);
      inherited = source.nodatacow;
      // -r only when nothing has to happen inside the snapshot afterwards.
      const ro = s.readOnly && !children && s.nodatacow === inherited;
      if (ro) madeReadOnly.add(s.id);
      chain({
        id: `subvol:${on}:${s.path}`,
        title: `${ro ? 'read-only ' : ''}snapshot ${s.path} of ${s.snapshotOf} (id ${s.id})`,
        argv: ['btrfs', 'subvolume', 'snapshot', ...(ro ? ['-r'] : []), at(s.snapshotOf), at(s.path)],
        check: { device: at(s.path), probe: {} },
      });
    } else {
      chain({ id: `subvol:${on}:${s.path}`, title: `subvolume ${s.path} (id ${s.id})`, argv: ['btrfs', 'subvolume', 'create', at(s.path)], check: { device: at(s.path), probe: {} } });
    }
    // A new subvolume's root directory does not inherit C; a snapshot's is a copy of its source's.
    if (s.nodatacow !== inherited) {
      chain({ id: `nodatacow:${on}:${s.path}`, title: `${s.nodatacow ? 'nodatacow' : 'datacow'} on ${s.path}`, argv: ['chattr', s.nodatacow ? '+C' : '-C', at(s.path)] });
    }
  }
  for (const s of sorted) {
    if (!s.readOnly || madeReadOnly.has(s.id)) continue;
    chain({ id: `ro:${on}:${s.path}`, title: `read-only ${s.path}`, argv: ['btrfs', 'property', 'set', '-ts', at(s.path), 'ro', 'true'] });
  }
  if (b.defaultSubvolume !== '' || b.features.incompat.includes('DEFAULT_SUBVOL')) {
    // set-default also sets the DEFAULT_SUBVOL flag, even for the top level (id 5).
    const argv = b.defaultSubvolume === '' ? ['btrfs', 'subvolume', 'set-default', '5', mnt] : ['btrfs', 'subvolume', 'set-default', at(b.defaultSubvolume)];
    if (b.defaultSubvolume !== '' && !byPath.has(b.defaultSubvolume)) throw cannotRecreate(`${where}.btrfs.defaultSubvolume`, `${b.defaultSubvolume} is not a captured subvolume`);
    chain({ id: `default:${on}`, title: `default subvolume ${b.defaultSubvolume || '(top level)'}`, argv });
  }
  if (gaps) {
    // rmdir(2) deletes an empty subvolume (Linux ≥ 4.18), so rm -rf removes the placeholders;
    // subvolume sync waits until the cleaner has dropped them from the root tree. The
    // BTRFS_IOC_SYNC of `filesystem sync` commits and pokes the transaction thread, which wakes
    // the cleaner now rather than at the next 30 s commit.
    chain({ id: `btrfs-gaps-rm:${on}`, title: 'remove the id placeholders', argv: ['rm', '-rf', `${mnt}/${GAPS}`] });
    chain({ id: `btrfs-gaps-commit:${on}`, title: 'commit the removal', argv: ['btrfs', 'filesystem', 'sync', mnt] });
    chain({ id: `btrfs-gaps-sync:${on}`, title: 'wait until the placeholders are cleaned up', argv: ['btrfs', 'subvolume', 'sync', mnt] });
  }
}

function planOne(ctx: PlanContext, fs: Filesystem, where: string): Step[] {
  const b = fs.btrfs;
  if (!b) throw cannotRecreate(where, 'no btrfs parameters were captured');
  const members = fs.devices ?? [fs.on];
  const paths = members.map((id) => ctx.devicePath(id));
  const mkfs = mkfsStep(ctx, {
    on: fs.on,
    devices: members,
    title: `btrfs on ${paths.join(' + ')} (${members.join(', ')})${fs.label ? ` "${fs.label}"` : ''}: device UUIDs will be new (mkfs.btrfs cannot set them)`,
    argv: mkfsBtrfsArgv(where, fs, paths),
    probe: probeOf('btrfs', fs.uuid),
  });
  const compress = b.features.incompat.filter((f) => COMPRESS[f] !== undefined);
  const grown = members.filter((id) => ctx.grow.has(id));
  const needsMount = b.subvolumes.length > 0 || b.defaultSubvolume !== '' || b.features.incompat.includes('DEFAULT_SUBVOL') || compress.length > 0 || grown.length > 0;
  if (!needsMount) return [mkfs];

  const mnt = mountPointFor(fs.uuid!, `${where}.uuid`);
  const steps: Step[] = [mkfs];
  const chain = (s: Omit<Step, 'after' | 'risk'>): Step => {
    const step: Step = { ...s, risk: 'create', after: [steps.at(-1)!.id] };
    steps.push(step);
    return step;
  };
  // The marker lives in the empty mount point: hidden while mounted, visible after umount.
  chain({ id: `btrfs-mnt:${fs.on}`, title: `mount point ${mnt}`, argv: ['mkdir', '-p', `${mnt}/${UNMOUNTED_MARKER}`] });
  const options = ['subvolid=5', ...(paths.length > 1 ? paths.map((p) => `device=${p}`) : [])];
  chain({
    id: `btrfs-mount:${fs.on}`,
    title: `mount the top level of ${paths[0]} on ${mnt}`,
    argv: ['mount', '-t', 'btrfs', '-o', options.join(','), paths[0]!, mnt],
    check: { device: childInside('/sys/fs/btrfs', fs.uuid!, `${where}.uuid`), probe: {} },
  });
  for (const f of compress) {
    chain({ id: `btrfs-compress:${fs.on}:${COMPRESS[f]}`, title: `mark the filesystem as using ${COMPRESS[f]} compression (${f})`, argv: ['mount', '-o', `remount,compress=${COMPRESS[f]}`, mnt] });
  }
  subvolumeSteps(where, fs.on, b, mnt, chain);
  // --grow: the device was made with the captured geometry; give it the enlarged partition.
  for (const id of grown) {
    const devid = b.devices?.find((d) => d.on === id)?.devid ?? 1;
    chain({ id: `grow:${id}`, title: `btrfs on ${ctx.devicePath(id)}: grow device ${devid} to fill the enlarged ${id}`, argv: ['btrfs', 'filesystem', 'resize', `${devid}:max`, mnt] });
  }
  chain({ id: `btrfs-umount:${fs.on}`, title: `unmount ${mnt}`, argv: ['umount', mnt], check: { device: `${mnt}/${UNMOUNTED_MARKER}`, probe: {} } });
  return steps;
}

export function plan(ctx: PlanContext): Step[] {
  return filesystemsOf(ctx, ['btrfs']).flatMap(({ entry, where }) => planOne(ctx, entry, where));
}
