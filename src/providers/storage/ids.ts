// Stable manifest ids for block devices. /dev names change between boots; ids do not:
//   disk0, disk1 …            whole disks, ordered by identity (WWN, serial, then kernel name)
//   disk0p1 …                 partitions: disk id + "p" + partition number
//   md-NAME                   md arrays, by the array name without its homehost ("host:NAME")
//   luks-ON                   an open LUKS mapping, by the id of the device it sits on
//   VG/LV                     LVM logical volumes (hidden ones too: vg/pool_tdata)
//   dm-NAME                   any other device-mapper device, by its dm name
import type { IdMap, Inventory } from './types.ts';

/** LVM's dm name is VG-LV with '-' inside names doubled (lvm(8): "--" escapes a hyphen). */
export function splitLvmDmName(name: string): { vg: string; lv: string } | undefined {
  const m = /^((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(name);
  if (!m) return undefined;
  return { vg: m[1]!.replaceAll('--', '-'), lv: m[2]!.replaceAll('--', '-') };
}

/** The md array name ("homehost:name" from the members' blkid LABEL), without the homehost. */
function mdName(inv: Inventory, kname: string): string {
  const dev = inv.devices[kname]!;
  for (const s of dev.slaves) {
    const label = inv.devices[s]?.probe.LABEL;
    if (label) return label.includes(':') ? label.slice(label.indexOf(':') + 1) : label;
  }
  return kname;
}

/**
 * Assigns ids to `disks` (knames, already in identity order) and everything built on
 * them. Walks upwards until no device is left whose slaves all have ids.
 */
export function assignIds(inv: Inventory, disks: readonly string[], diskIds?: readonly string[]): IdMap {
  const ids: Record<string, string> = {};
  // diskIds: verify captures a rebuilt target under the manifest's own disk ids.
  disks.forEach((k, i) => (ids[k] = diskIds?.[i] ?? `disk${i}`));
  let changed = true;
  while (changed) {
    changed = false;
    for (const dev of Object.values(inv.devices)) {
      if (ids[dev.kname] !== undefined) continue;
      let id: string | undefined;
      if (dev.kind === 'part' && dev.parent !== undefined && ids[dev.parent] !== undefined) {
        id = `${ids[dev.parent]}p${dev.partitionNumber}`;
      } else if ((dev.kind === 'md' || dev.kind === 'dm') && dev.slaves.length > 0 && dev.slaves.every((s) => ids[s] !== undefined)) {
        if (dev.kind === 'md') id = `md-${mdName(inv, dev.kname)}`;
        else if (dev.dm?.uuid.startsWith('CRYPT-')) id = `luks-${ids[dev.slaves[0]!]}`;
        else if (dev.dm?.uuid.startsWith('LVM-')) {
          const split = splitLvmDmName(dev.dm.name);
          id = split ? `${split.vg}/${split.lv}` : `dm-${dev.dm.name}`;
        } else id = `dm-${dev.dm?.name ?? dev.kname}`;
      }
      if (id !== undefined) {
        ids[dev.kname] = id;
        changed = true;
      }
    }
  }
  return ids;
}
