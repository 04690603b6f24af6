// Which disks a capture covers, and in which order they get their ids (disk0, disk1 …).
// Both pure: the capture service calls them between gatherInventory and assignIds.
import { UserError } from '../../../core/errors.ts';
import type { BlockDevice, Inventory } from '../types.ts';
import type { DiskIdentity } from './gather.ts';
import { naturalCompare } from '../../../core/natural.ts';

export interface DiskSelectionOptions {
  /**
   * Disks the user named (kname or /dev/kname). When non-empty, exactly these are
   * captured, loop devices included, and none of the automatic exclusions apply: naming a
   * disk is a deliberate choice. Unknown names and non-disks are usage errors.
   */
  readonly include?: readonly string[];
  /** Disks to leave out (kname or /dev/kname); names that do not exist are ignored. */
  readonly exclude?: readonly string[];
}

export interface SkippedDisk {
  readonly kname: string;
  readonly reason: string;
}

export interface DiskSelection {
  /** knames to capture, in kernel-name order (use orderDisks for id order). */
  readonly disks: string[];
  /** Disks that exist but were left out automatically or by exclude, with why (for the user). */
  readonly skipped: SkippedDisk[];
}

/** Where live systems mount the medium they booted from (Debian live-boot, Ubuntu casper, dracut, archiso). */
export const LIVE_MEDIUM_MOUNTPOINTS: readonly string[] = ['/run/live/medium', '/lib/live/mount/medium', '/cdrom', '/run/initramfs/live', '/run/archiso/bootmnt'];

const byKname = (a: string, b: string): number => naturalCompare(a, b);

function knameOf(name: string): string {
  return name.startsWith('/dev/') ? name.slice('/dev/'.length) : name;
}

/** The whole disk under a device: itself, or the parent of a partition. */
function diskOf(inv: Inventory, dev: BlockDevice): string {
  return dev.kind === 'part' && dev.parent !== undefined ? dev.parent : dev.kname;
}

/** Disks holding the booted live medium: mounted on a live mountpoint, or carrying an iso9660 image. */
function liveMediumDisks(inv: Inventory): Map<string, string> {
  const out = new Map<string, string>();
  const devices = Object.values(inv.devices);
  for (const m of inv.mounts) {
    if (!LIVE_MEDIUM_MOUNTPOINTS.includes(m.mountpoint)) continue;
    const dev = devices.find((d) => d.majMin === m.majMin);
    if (dev) out.set(diskOf(inv, dev), `holds the live medium mounted on ${m.mountpoint}`);
  }
  for (const dev of devices) {
    if (dev.probe.TYPE === 'iso9660' && !out.has(diskOf(inv, dev))) out.set(diskOf(inv, dev), `carries an iso9660 image (${dev.path}): a live or installer medium`);
  }
  return out;
}

/**
 * The disks to capture. Without `include`: every `kind === 'disk'` device (the inventory
 * already leaves out ram, zram, optical, floppy, nbd), except
 *  - a disk with no medium (size 0: an empty card reader),
 *  - the live medium sysmanifest was booted from (not part of the machine),
 *  - read-only disks (ro=1: eMMC boot areas, write-protected cards): they are not part of
 *    the storage stack an admin rebuilds, and could never be a rebuild target;
 * loop devices only when named. A disk that cannot be opened (`unreadable`) is kept: it
 * is recorded with its identity and `unsupported`, never silently dropped.
 */
export function selectDisks(inv: Inventory, options: DiskSelectionOptions = {}): DiskSelection {
  const exclude = new Set((options.exclude ?? []).map(knameOf));
  const include = (options.include ?? []).map(knameOf);
  const skipped: SkippedDisk[] = [];
  let chosen: string[];
  if (include.length > 0) {
    for (const k of include) {
      const dev = inv.devices[k];
      if (!dev) throw new UserError('USAGE', `no block device named ${k}`, { hint: 'name whole disks by kernel name (sda, nvme0n1, loop0) as lsblk shows them' });
      if (dev.kind !== 'disk' && dev.kind !== 'loop') throw new UserError('USAGE', `${k} is not a whole disk (it is a ${dev.kind})`, { hint: dev.parent ? `name its disk instead: ${dev.parent}` : undefined });
    }
    chosen = [...new Set(include)];
  } else {
    const live = liveMediumDisks(inv);
    chosen = [];
    for (const dev of Object.values(inv.devices)) {
      if (dev.kind !== 'disk') continue;
      const why =
        dev.sizeBytes === 0 ? 'no medium (size 0)'
        : live.get(dev.kname) ?? (dev.readOnly ? 'read-only (sysfs ro=1)' : undefined);
      if (why !== undefined) skipped.push({ kname: dev.kname, reason: why });
      else chosen.push(dev.kname);
    }
  }
  const disks = chosen.filter((k) => {
    if (!exclude.has(k)) return true;
    skipped.push({ kname: k, reason: 'excluded by the user' });
    return false;
  });
  return { disks: disks.sort(byKname), skipped: skipped.sort((a, b) => byKname(a.kname, b.kname)) };
}

/**
 * Id order: disks with a WWN first (by WWN), then disks with a serial (by serial), then the
 * rest by kernel name. WWN and serial travel with the disk, so disk0 stays disk0 when the
 * kernel names change between boots. Ties (clones reporting the same id) fall back to the
 * next key. Returns a new array.
 */
export function orderDisks<T extends DiskIdentity>(identities: readonly T[]): T[] {
  const tier = (d: DiskIdentity): number => (d.wwn !== undefined ? 0 : d.serial !== undefined ? 1 : 2);
  // Code-point order, not locale order: the same ids sort the same way everywhere.
  const cmp = (a = '', b = ''): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...identities].sort(
    (a, b) => tier(a) - tier(b) || cmp(a.wwn, b.wwn) || cmp(a.serial, b.serial) || byKname(a.kname, b.kname),
  );
}
