// Read-only facts about LVM: three reports (VGs, PVs, LV segments) with exactly the fields
// capture uses. lvm scans devices itself; we only run it when a device in scope is an LVM
// PV (blkid TYPE=LVM2_member, or an active LV sits on it).
//
// --config devices{obtain_device_list_from_udev=0}: a live system may run without udev,
// so lvm must scan /dev itself rather than ask the udev database (this is also lvm 2.03's
// default; saying it keeps the behaviour when lvm.conf differs).
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import type { BlockDevice, Inventory } from '../types.ts';
import { naturalCompare } from '../../../core/natural.ts';

const COMMON = ['--reportformat', 'json', '--units', 'b', '--nosuffix', '--config', 'devices{obtain_device_list_from_udev=0}'];

export const VGS_FIELDS = 'vg_name,vg_uuid,vg_extent_size,vg_tags,vg_allocation_policy,vg_mda_copies,max_lv,max_pv,vg_systemid,vg_lock_type';
export const PVS_FIELDS = 'pv_name,pv_uuid,pv_major,pv_minor,vg_name,vg_uuid,pe_start,pv_size,dev_size,pv_mda_count,pv_mda_size,pv_ba_start,pv_ba_size,pv_tags';
export const LVS_FIELDS =
  'vg_name,vg_uuid,lv_name,lv_uuid,lv_role,lv_size,lv_tags,lv_allocation_policy,lv_read_ahead,lv_metadata_size,pool_lv,data_lv,metadata_lv,segtype,seg_start,seg_size,stripes,stripe_size,region_size,chunk_size,zero,discards,seg_le_ranges';

export const VGS_ARGV: readonly string[] = ['lvm', 'vgs', ...COMMON, '-o', VGS_FIELDS];
export const PVS_ARGV: readonly string[] = ['lvm', 'pvs', ...COMMON, '-o', PVS_FIELDS];
/** -a: internal LVs too; --segments: one row per segment. */
export const LVS_ARGV: readonly string[] = ['lvm', 'lvs', ...COMMON, '-a', '--segments', '-o', LVS_FIELDS];

export interface LvmFacts {
  /** LVM PVs in scope (by blkid or by an active LV on top), kernel-name order. */
  readonly devices: readonly BlockDevice[];
  readonly vgs: string;
  readonly pvs: string;
  readonly lvs: string;
}

const isLvmHolder = (inv: Inventory, kname: string): boolean => inv.devices[kname]?.dm?.uuid.startsWith('LVM-') === true;

export function lvmDevices(inv: Inventory, scope: ReadonlySet<string>): BlockDevice[] {
  return Object.values(inv.devices)
    .filter((d) => scope.has(d.kname) && (d.probe.TYPE === 'LVM2_member' || d.holders.some((h) => isLvmHolder(inv, h)) ))
    .filter((d) => !(d.dm?.uuid.startsWith('LVM-') === true && d.probe.TYPE !== 'LVM2_member')) // an LV under a thin pool is not a PV
    .sort((a, b) => naturalCompare(a.kname, b.kname));
}

export async function gatherLvm(r: ReadOnlyRunner, inv: Inventory, scope: ReadonlySet<string>): Promise<LvmFacts | undefined> {
  const devices = lvmDevices(inv, scope);
  if (devices.length === 0) return undefined;
  // Reading reports does not change metadata; the runner's policy allows only these verbs.
  const vgs = (await r.run(VGS_ARGV)).stdout;
  const pvs = (await r.run(PVS_ARGV)).stdout;
  const lvs = (await r.run(LVS_ARGV)).stdout;
  return { devices, vgs, pvs, lvs };
}
