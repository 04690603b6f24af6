// What every storage provider shares: the block-device inventory (sysfs + blkid -p), and
// the id map that ties kernel names (facts of one boot) to the manifest's stable ids.

import { naturalCompare } from '../../core/natural.ts';

export type DeviceKind = 'disk' | 'part' | 'dm' | 'md' | 'loop';

export interface BlockDevice {
  /** Kernel name: sda, sda1, nvme0n1p2, dm-0, md127, loop3. */
  readonly kname: string;
  /** Device node: /dev/sda1; /dev/mapper/NAME for dm; /dev/md127 for md. */
  readonly path: string;
  readonly kind: DeviceKind;
  /** "8:1" */
  readonly majMin: string;
  readonly sizeBytes: number;
  readonly logicalSectorSize: number;
  readonly physicalSectorSize: number;
  /** For partitions: the kname of the disk (or loop / md) that holds them. */
  readonly parent?: string;
  readonly partitionNumber?: number;
  /** knames this device is built on (sysfs slaves/): a dm-crypt's backing device, an md's members. */
  readonly slaves: readonly string[];
  /** knames built on this device (sysfs holders/). */
  readonly holders: readonly string[];
  /** dm devices: name and uuid (CRYPT-LUKS2-…, LVM-…). */
  readonly dm?: { readonly name: string; readonly uuid: string };
  readonly removable: boolean;
  readonly readOnly: boolean;
  /** `blkid -p -o export` of this device; {} when blkid found no signature (exit 2). */
  readonly probe: Readonly<Record<string, string>>;
  /**
   * Set when the device node exists but cannot be opened (EPERM/EACCES: a sandbox, a
   * locked-down host). Providers must not read such a device; capture records it as
   * `unsupported` with this reason instead of pretending it is blank.
   */
  readonly unreadable?: string;
}

/** One line of /proc/self/mountinfo (a kernel fact, not udev's). */
export interface MountInfo {
  readonly majMin: string;
  readonly root: string;
  readonly mountpoint: string;
  readonly fstype: string;
  readonly source: string;
  readonly options: string;
}

/** One line of /proc/swaps. */
export interface ActiveSwap {
  readonly path: string;
  readonly type: string;
}

export interface Inventory {
  /** By kname. */
  readonly devices: Readonly<Record<string, BlockDevice>>;
  readonly mounts: readonly MountInfo[];
  readonly swaps: readonly ActiveSwap[];
}

/**
 * The device a mount sits on. mountinfo's major:minor is the block device for most
 * filesystems, but btrfs reports an anonymous device (0:N): then the mount source names it.
 */
export function deviceOfMount(inv: Inventory, m: MountInfo): BlockDevice | undefined {
  const devices = Object.values(inv.devices);
  return devices.find((d) => d.majMin === m.majMin) ?? devices.find((d) => m.source === d.path || m.source === `/dev/${d.kname}`);
}

/**
 * Mount entries of a device, e.g. to find the mountpoint of a btrfs. A multi-device btrfs
 * is mounted through one member only; every member whose filesystem UUID matches counts.
 */
export function mountsOf(inv: Inventory, kname: string): MountInfo[] {
  const dev = inv.devices[kname];
  if (!dev) return [];
  return inv.mounts.filter((m) => {
    const on = deviceOfMount(inv, m);
    if (!on) return false;
    if (on.kname === dev.kname) return true;
    return dev.probe.TYPE === 'btrfs' && on.probe.TYPE === 'btrfs' && dev.probe.UUID !== undefined && on.probe.UUID === dev.probe.UUID;
  });
}

/** kname → manifest id. Built up the stack: disks and partitions, then md, luks, lvm. */
export type IdMap = Readonly<Record<string, string>>;

export function devicesOfKind(inv: Inventory, kind: DeviceKind): BlockDevice[] {
  return Object.values(inv.devices)
    .filter((d) => d.kind === kind)
    .sort((a, b) => naturalCompare(a.kname, b.kname));
}

/** Devices whose blkid probe says TYPE=… (e.g. 'crypto_LUKS', 'LVM2_member', 'linux_raid_member', 'ext4'). */
export function devicesWithType(inv: Inventory, ...types: string[]): BlockDevice[] {
  return Object.values(inv.devices)
    .filter((d) => types.includes(d.probe.TYPE ?? ''))
    .sort((a, b) => naturalCompare(a.kname, b.kname));
}
