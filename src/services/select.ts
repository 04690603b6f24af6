// Which disks a capture covers, and the ids of everything on them.
//   default:        every whole disk the kernel shows (not loop, zram, ram, optical, nor the
//                   live medium we booted from)
//   --disk DEV…:    exactly these disks (loop devices are only ever captured this way)
//   --exclude DEV…: minus these
import { realpath } from 'node:fs/promises';
import { UserError } from '../core/errors.ts';
import type { ReadOnlyRunner } from '../core/runner/types.ts';
import { assignIds } from '../providers/storage/ids.ts';
import { gatherInventory, stackAbove } from '../providers/storage/inventory/gather.ts';
import type { Inventory } from '../providers/storage/types.ts';
import type { StorageContext } from '../providers/types.ts';

export interface DiskSelection {
  readonly disks?: readonly string[];
  readonly exclude?: readonly string[];
}

async function toKname(inv: Inventory, spec: string, flag: string): Promise<string> {
  let name = spec;
  if (spec.startsWith('/')) {
    try {
      name = await realpath(spec); // /dev/disk/by-id/… → /dev/sda
    } catch {
      throw new UserError('USAGE', `${flag} ${spec}: no such device`, { hint: 'name a whole disk, e.g. /dev/sda or /dev/disk/by-id/…' });
    }
  }
  const kname = name.replace(/^\/dev\//, '');
  const dev = inv.devices[kname];
  if (!dev) throw new UserError('USAGE', `${flag} ${spec}: not a block device the kernel knows`, { hint: 'see lsblk for the disks present' });
  if (dev.kind === 'part') throw new UserError('USAGE', `${flag} ${spec}: is a partition; name the whole disk (${dev.parent})`);
  if (dev.kind !== 'disk' && dev.kind !== 'loop') throw new UserError('USAGE', `${flag} ${spec}: is a ${dev.kind} device, not a disk`);
  return kname;
}

/** The disk holding the mounted live medium (live-boot, casper, Debian installer) is not the machine. */
export function liveMediumDisks(inv: Inventory): Set<string> {
  const liveMounts = new Set(['/run/live/medium', '/lib/live/mount/medium', '/cdrom', '/run/archiso/bootmnt', '/run/initramfs/live']);
  const out = new Set<string>();
  for (const m of inv.mounts) {
    if (!liveMounts.has(m.mountpoint)) continue;
    const dev = Object.values(inv.devices).find((d) => d.majMin === m.majMin);
    if (dev) out.add(dev.kind === 'part' ? dev.parent! : dev.kname);
  }
  for (const d of Object.values(inv.devices)) if (d.probe.TYPE === 'iso9660' && d.kind !== 'part') out.add(d.kname);
  return out;
}

/** Stable disk order: by WWN, then serial, then kernel name (ids must not follow boot order). */
export type DiskOrder = (inv: Inventory, knames: readonly string[], runner: ReadOnlyRunner) => Promise<string[]>;

const byKname: DiskOrder = async (_inv, knames) => [...knames].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

export async function selectStorage(runner: ReadOnlyRunner, sel: DiskSelection, order: DiskOrder = byKname): Promise<StorageContext> {
  const inventory = await gatherInventory(runner);
  const named = await Promise.all((sel.disks ?? []).map((d) => toKname(inventory, d, '--disk')));
  const excluded = new Set(await Promise.all((sel.exclude ?? []).map((d) => toKname(inventory, d, '--exclude'))));
  const live = liveMediumDisks(inventory);
  const candidates =
    named.length > 0
      ? [...new Set(named)]
      : Object.values(inventory.devices)
          .filter((d) => d.kind === 'disk' && !live.has(d.kname))
          .map((d) => d.kname);
  const chosen = candidates.filter((k) => !excluded.has(k));
  const disks = await order(inventory, chosen, runner);
  const scope = new Set(disks.flatMap((k) => stackAbove(inventory, k)));
  // A device built partly on disks outside the capture (an md array with one member
  // excluded) cannot be described whole; keep it out of scope rather than half in.
  for (const k of [...scope]) {
    const dev = inventory.devices[k]!;
    if (dev.slaves.some((s) => !scope.has(s))) for (const above of stackAbove(inventory, k)) scope.delete(above);
  }
  const allIds = assignIds(inventory, disks);
  const ids = Object.fromEntries(Object.entries(allIds).filter(([k]) => scope.has(k)));
  return { runner, inventory, ids, scope };
}
