// The identities a rebuild recreates — filesystem, swap, LUKS, PV and md UUIDs, PARTUUIDs,
// GPT disk GUIDs / MBR disk ids, VG and LV UUIDs — must not already exist on a device that
// stays attached: the normal way to move to a bigger disk is to rebuild onto it while the old
// one is still connected, and then two devices carry one identity. Mounts by UUID and fstab
// pick either one, LVM sees duplicate PVs, and mkfs.btrfs stops the rebuild half-way ("non-
// unique UUID") after the new disk was written. So preflight compares what the plan will
// create with what `blkid -p` (the inventory's probe of every device) and device-mapper
// (dm uuids of active LVs) show on every device outside the targets, before the first write.
//
// Namespaces follow what the tools see: blkid UUID (filesystems, swap, LUKS, PV, md member:
// /dev/disk/by-uuid), PART_ENTRY_UUID (by-partuuid), PTUUID (the table's id), and the VG/LV
// UUIDs inside dm uuids "LVM-<vg><lv>". Without device-mapper (this host) VG and LV UUIDs
// are not visible as such, but the PVs that hold them are: an attached PV of the same VG has
// one of the PV UUIDs the plan creates. Devices that cannot be opened (Inventory.unreadable)
// cannot be checked; capture records them as unsupported and so does nothing here.
import type { Manifest } from '../../core/manifest/types.gen.ts';
import { stackAbove } from '../../providers/storage/inventory/gather.ts';
import type { BlockDevice, Inventory } from '../../providers/storage/types.ts';

export type IdentityKind = 'UUID' | 'PARTUUID' | 'PTUUID' | 'VG UUID' | 'LV UUID';

export interface PlannedIdentity {
  readonly kind: IdentityKind;
  /** As the manifest writes it. */
  readonly value: string;
  /** What it identifies, for the message: "ext4 filesystem UUID", "LUKS UUID" … */
  readonly what: string;
  /** Manifest id of the device the plan creates it on. */
  readonly on: string;
}

/**
 * Compared without case and separators: blkid prints md UUIDs as 8-4-4-4-12 where mdadm
 * writes 8:8:8:8, vfat ids as XXXX-XXXX, MBR ids without the 0x the manifest keeps, GPT
 * GUIDs in lower case where sfdisk prints upper case.
 */
export function normalizeIdentity(value: string): string {
  return value.toLowerCase().replace(/^0x/, '').replace(/[-:]/g, '');
}

/** An all-zero id is "none" (an MBR without a disk id, a volume id never set), never an identity. */
const isNull = (v: string): boolean => /^0*$/.test(normalizeIdentity(v));

/** Every identity the plan of this manifest recreates, with the device it goes on. */
export function plannedIdentities(m: Manifest): PlannedIdentity[] {
  const s = m.storage ?? {};
  const out: PlannedIdentity[] = [];
  const add = (kind: IdentityKind, value: string | undefined, what: string, on: string): void => {
    if (value !== undefined && !isNull(value)) out.push({ kind, value, what, on });
  };
  for (const d of s.disks ?? []) {
    if (d.table) add('PTUUID', d.table.id, d.table.type === 'gpt' ? 'GPT disk GUID' : 'MBR disk id', d.id);
    for (const p of d.partitions ?? []) add('PARTUUID', p.uuid, 'PARTUUID', p.id);
  }
  for (const md of s.mdraid ?? []) add('UUID', md.uuid, 'md array UUID', md.id);
  for (const l of s.luks ?? []) add('UUID', l.uuid, 'LUKS UUID', l.on);
  for (const vg of s.lvm?.vgs ?? []) {
    if (vg.unsupported) continue;
    for (const pv of vg.pvs ?? []) add('UUID', pv.uuid, `LVM PV UUID (VG ${vg.name})`, pv.on);
    const firstPv = vg.pvs?.[0]?.on;
    if (firstPv !== undefined) add('VG UUID', vg.uuid, `LVM VG UUID (VG ${vg.name})`, firstPv);
    for (const lv of vg.lvs ?? []) add('LV UUID', lv.uuid, `LVM LV UUID (${vg.name}/${lv.name})`, lv.id);
  }
  for (const f of s.filesystems ?? []) add('UUID', f.uuid, `${f.type} filesystem UUID`, f.on);
  for (const w of s.swap ?? []) add('UUID', w.uuid, 'swap UUID', w.on);
  return out;
}

/** The identities a device shows, by namespace (normalized values). */
function identitiesOf(d: BlockDevice): [IdentityKind, string][] {
  const out: [IdentityKind, string][] = [];
  if (d.probe.UUID) out.push(['UUID', d.probe.UUID]);
  if (d.probe.PART_ENTRY_UUID) out.push(['PARTUUID', d.probe.PART_ENTRY_UUID]);
  if (d.probe.PTUUID) out.push(['PTUUID', d.probe.PTUUID]);
  // An active LV's dm uuid: "LVM-" + VG UUID + LV UUID, 32 characters each, no dashes.
  const lvm = /^LVM-([A-Za-z0-9]{32})([A-Za-z0-9]{32})?/.exec(d.dm?.uuid ?? '');
  if (lvm) {
    out.push(['VG UUID', lvm[1]!]);
    if (lvm[2]) out.push(['LV UUID', lvm[2]]);
  }
  return out.filter(([, v]) => !isNull(v)).map(([k, v]) => [k, normalizeIdentity(v)]);
}

export interface IdentityClash {
  readonly identity: PlannedIdentity;
  /** The attached device that already carries it. */
  readonly existing: BlockDevice;
  /** The whole disks under it (what to detach). */
  readonly disks: readonly string[];
}

/**
 * Identities the plan would create that a device outside every target's stack already
 * carries. `targets`: the target knames; everything stacked on them is handed over (or
 * refused as not blank by the other preflight checks), so it does not count.
 */
export function identityClashes(inv: Inventory, targets: readonly string[], planned: readonly PlannedIdentity[], disksUnder: (kname: string) => Iterable<string>): IdentityClash[] {
  const handedOver = new Set(targets.flatMap((k) => stackAbove(inv, k)));
  const seen = new Map<string, BlockDevice[]>();
  for (const d of Object.values(inv.devices)) {
    if (handedOver.has(d.kname)) continue;
    for (const [kind, v] of identitiesOf(d)) {
      const key = `${kind}\0${v}`;
      seen.set(key, [...(seen.get(key) ?? []), d]);
    }
  }
  const clashes: IdentityClash[] = [];
  for (const identity of planned) {
    for (const existing of seen.get(`${identity.kind}\0${normalizeIdentity(identity.value)}`) ?? []) {
      const disks = [...disksUnder(existing.kname)].map((k) => inv.devices[k]?.path ?? `/dev/${k}`).sort();
      clashes.push({ identity, existing, disks });
    }
  }
  return clashes;
}
