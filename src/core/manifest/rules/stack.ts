// The block stack above the partitions: one consumer per device, md arrays, LUKS, LVM, and
// identities that must be unique because the tools refuse duplicates (mkfs.btrfs "non-unique
// UUID", vgcreate, mdadm) or the kernel would confuse them.
import type { Manifest } from '../types.gen.ts';
import { arr, duplicates, num, rec, str, type Path, type RuleIssue } from './util.ts';

/**
 * A device holds one thing: an md member, a LUKS header, a PV, a filesystem or a swap area —
 * and a disk with a partition table holds its partitions. Two consumers would make two
 * steps format the same device.
 */
export const oneConsumerRule = (m: Manifest): RuleIssue[] => {
  const s = rec(m.storage);
  const uses: [string | undefined, Path][] = [];
  arr(s.disks).forEach((d, i) => {
    // A table without partitions is no consumer: a FAT "superfloppy" (a filesystem on the
    // whole disk) carries the 0x55AA boot signature, and sfdisk reads it as an empty dos table.
    if (d.table !== undefined && arr(d.partitions).length > 0) uses.push([str(d.id), ['storage', 'disks', i, 'table']]);
    arr(d.partitions).forEach((p, j) => {
      if (p.kind === 'extended') uses.push([str(p.id), ['storage', 'disks', i, 'partitions', j, 'kind']]);
    });
  });
  arr(s.mdraid).forEach((md, i) => {
    arr(md.members).forEach((x, j) => uses.push([str(x.on), ['storage', 'mdraid', i, 'members', j, 'on']]));
    arr(md.spares).forEach((x, j) => uses.push([str(x), ['storage', 'mdraid', i, 'spares', j]]));
  });
  arr(s.luks).forEach((l, i) => uses.push([str(l.on), ['storage', 'luks', i, 'on']]));
  arr(rec(s.lvm).vgs).forEach((vg, i) => arr(vg.pvs).forEach((pv, j) => uses.push([str(pv.on), ['storage', 'lvm', 'vgs', i, 'pvs', j, 'on']])));
  arr(s.filesystems).forEach((f, i) => {
    const devices = arr(f.devices).map((x) => str(x));
    if (!devices.includes(str(f.on))) uses.push([str(f.on), ['storage', 'filesystems', i, 'on']]);
    devices.forEach((x, j) => uses.push([x, ['storage', 'filesystems', i, 'devices', j]]));
  });
  arr(s.swap).forEach((w, i) => uses.push([str(w.on), ['storage', 'swap', i, 'on']]));
  return duplicates(uses, 'device').map((x) => ({ ...x, message: `${x.message.replace(/ is used twice/, ' is already used')}: a device holds one thing (a table, an md member, a LUKS header, a PV, a filesystem or swap)` }));
};

export const mdRule = (m: Manifest): RuleIssue[] => {
  const issues: RuleIssue[] = [];
  const arrays = arr(rec(m.storage).mdraid);
  issues.push(...duplicates(arrays.map((md, i) => [str(md.name), ['storage', 'mdraid', i, 'name']]), 'md array name'));
  arrays.forEach((md, i) => {
    const here: Path = ['storage', 'mdraid', i];
    const members = arr(md.members);
    const n = num(md.raidDevices);
    issues.push(...duplicates(members.map((x, j) => [str(x.on), [...here, 'members', j, 'on']]), 'md member'));
    issues.push(...duplicates(members.map((x, j) => [num(x.role), [...here, 'members', j, 'role']]), 'md role'));
    if (n !== undefined) {
      members.forEach((x, j) => {
        const role = num(x.role);
        if (role !== undefined && role >= n) issues.push({ path: [...here, 'members', j, 'role'], message: `role ${role} does not exist in an array of ${n} raid devices (roles 0–${n - 1})` });
      });
    }
    const level = str(md.level);
    const min: Record<string, number> = { raid1: 1, raid4: 2, raid5: 2, raid6: 4, raid10: 2 };
    if (level && n !== undefined && min[level] !== undefined && n < min[level]!) issues.push({ path: [...here, 'raidDevices'], message: `${level} needs at least ${min[level]} raid devices, not ${n}` });
  });
  return issues;
};

export const luksRule = (m: Manifest): RuleIssue[] =>
  duplicates(arr(rec(m.storage).luks).map((l, i) => [str(l.mapping), ['storage', 'luks', i, 'mapping']]), 'LUKS mapping name');

/** Extent ranges on one PV, sorted: an overlap is two LVs on the same extents. */
function extentOverlaps(areas: { pv: string; s: number; e: number; path: Path; lv: string }[]): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const byPv = new Map<string, typeof areas>();
  for (const a of areas) byPv.set(a.pv, [...(byPv.get(a.pv) ?? []), a]);
  for (const list of byPv.values()) {
    list.sort((a, b) => a.s - b.s);
    let prev: (typeof list)[number] | undefined;
    for (const a of list) {
      if (prev && a.s <= prev.e) issues.push({ path: a.path, message: `extents ${a.s}–${a.e} on ${a.pv} overlap extents ${prev.s}–${prev.e} of ${prev.lv}` });
      if (!prev || a.e > prev.e) prev = a;
    }
  }
  return issues;
}

export const lvmRule = (m: Manifest): RuleIssue[] => {
  const issues: RuleIssue[] = [];
  const vgs = arr(rec(rec(m.storage).lvm).vgs);
  issues.push(...duplicates(vgs.map((vg, i) => [str(vg.name), ['storage', 'lvm', 'vgs', i, 'name']]), 'VG name'));
  vgs.forEach((vg, i) => {
    const here: Path = ['storage', 'lvm', 'vgs', i];
    const name = str(vg.name) ?? '';
    const pvs = new Set(arr(vg.pvs).map((pv) => str(pv.on)));
    const lvs = arr(vg.lvs);
    const lvNames = new Map(lvs.map((lv) => [str(lv.name), lv]));
    issues.push(...duplicates(lvs.map((lv, j) => [str(lv.name), [...here, 'lvs', j, 'name']]), 'LV name'));
    const extent = num(vg.extentSize);
    if (extent !== undefined && extent % 512 !== 0) issues.push({ path: [...here, 'extentSize'], message: `${extent} is not a multiple of 512 bytes` });
    const areas: { pv: string; s: number; e: number; path: Path; lv: string }[] = [];
    lvs.forEach((lv, j) => {
      const at: Path = [...here, 'lvs', j];
      const lvName = str(lv.name) ?? '';
      if (str(lv.id) !== undefined && lv.id !== `${name}/${lvName}`) issues.push({ path: [...at, 'id'], message: `must be "${name}/${lvName}" (the VG name / the LV name)` });
      for (const k of ['pool', 'dataLv', 'metadataLv'] as const) {
        const ref = str(lv[k]);
        if (ref !== undefined && !lvNames.has(ref)) issues.push({ path: [...at, k], message: `names LV "${ref}", which VG ${name} does not have` });
      }
      let next = 0;
      arr(lv.segments).forEach((seg, k) => {
        const sp: Path = [...at, 'segments', k];
        const start = num(seg.start);
        const size = num(seg.size);
        // LVM metadata counts segments in whole extents (start_extent, extent_count).
        for (const [key, v] of [['start', start], ['size', size]] as const)
          if (extent !== undefined && v !== undefined && v % extent !== 0) issues.push({ path: [...sp, key], message: `${v} bytes is not a whole number of ${extent}-byte extents` });
        if (start !== undefined && start !== next) issues.push({ path: [...sp, 'start'], message: `segment starts at byte ${start}; the previous one ends at ${next} (segments must follow each other)` });
        next = (start ?? next) + (size ?? 0);
        arr(seg.areas).forEach((a, l) => {
          const ap: Path = [...sp, 'areas', l];
          const s = num(a.start) ?? 0;
          const e = num(a.end) ?? 0;
          if (e < s) issues.push({ path: [...ap, 'end'], message: `extent ${e} is before the start extent ${s}` });
          const pv = str(a.pv);
          const onLv = str(a.lv);
          if (pv !== undefined && !pvs.has(pv)) issues.push({ path: [...ap, 'pv'], message: `"${pv}" is not a PV of VG ${name} (its PVs: ${[...pvs].join(', ') || 'none'})` });
          if (onLv !== undefined && !lvNames.has(onLv)) issues.push({ path: [...ap, 'lv'], message: `names LV "${onLv}", which VG ${name} does not have` });
          if (pv === undefined && onLv === undefined) issues.push({ path: ap, message: 'an area lies on a PV (pv:) or an LV (lv:)' });
          if (pv !== undefined && e >= s) areas.push({ pv, s, e, path: ap, lv: `${name}/${lvName}` });
        });
      });
      const size = num(lv.size);
      if (arr(lv.segments).length && size !== undefined && next !== size) issues.push({ path: [...at, 'size'], message: `is ${size} bytes but its segments add up to ${next}` });
    });
    issues.push(...extentOverlaps(areas));
  });
  return issues;
};

/**
 * Identities the tools refuse to create twice: pvcreate/vgcreate ("UUID already in use"),
 * mdadm, mkfs.btrfs ("non-unique UUID"). Others (ext, xfs, vfat, LUKS, GPT GUIDs) are left
 * alone: a disk cloned with dd legitimately shares them, and the tools accept them.
 */
export const uniqueIdentitiesRule = (m: Manifest): RuleIssue[] => {
  const s = rec(m.storage);
  const lower = (v: unknown): string | undefined => str(v)?.toLowerCase();
  const vgs = arr(rec(s.lvm).vgs);
  const lvm: [string | undefined, Path][] = vgs.flatMap((vg, i) => [
    [str(vg.uuid), ['storage', 'lvm', 'vgs', i, 'uuid']] as [string | undefined, Path],
    ...arr(vg.pvs).map((pv, j): [string | undefined, Path] => [str(pv.uuid), ['storage', 'lvm', 'vgs', i, 'pvs', j, 'uuid']]),
    ...arr(vg.lvs).map((lv, j): [string | undefined, Path] => [str(lv.uuid), ['storage', 'lvm', 'vgs', i, 'lvs', j, 'uuid']]),
  ]);
  const btrfs = arr(s.filesystems).map((f, i): [string | undefined, Path] => [f.type === 'btrfs' ? lower(f.uuid) : undefined, ['storage', 'filesystems', i, 'uuid']]);
  return [
    ...arr(s.disks).flatMap((d, i) => duplicates(arr(d.partitions).map((p, j) => [lower(p.uuid), ['storage', 'disks', i, 'partitions', j, 'uuid']]), 'partition UUID')),
    ...duplicates(btrfs, 'btrfs filesystem UUID'),
    ...duplicates(arr(s.mdraid).map((md, i) => [lower(md.uuid), ['storage', 'mdraid', i, 'uuid']]), 'md UUID'),
    ...duplicates(lvm, 'LVM UUID'),
  ];
};
