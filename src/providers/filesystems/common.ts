// What the filesystem providers (and swap) share: which devices in scope are theirs, and a
// stable order for their entries.
import type { StorageContext } from '../types.ts';
import type { BlockDevice } from '../storage/types.ts';
import { naturalCompare } from '../../core/natural.ts';

export interface OwnedDevice {
  readonly dev: BlockDevice;
  readonly id: string;
  /** The type from the blkid probe, or for an unreadable device from mountinfo / /proc/swaps. */
  readonly type: string;
}

/**
 * Devices in scope whose blkid probe TYPE is one of `types`. A device marked unreadable has
 * no probe; it is still ours when the kernel says so (mounted with that fstype, or an active
 * swap), so that capture can record it as unsupported instead of dropping it.
 */
export function ownedDevices(ctx: StorageContext, types: readonly string[]): OwnedDevice[] {
  const out: OwnedDevice[] = [];
  for (const kname of ctx.scope) {
    const dev = ctx.inventory.devices[kname];
    if (!dev) continue;
    let type = dev.probe.TYPE;
    if (dev.unreadable !== undefined && type === undefined) {
      // btrfs mounts carry an anonymous device number (0:N) in mountinfo: match the source too.
      const mounted = ctx.inventory.mounts.find((m) => m.majMin === dev.majMin || m.source === dev.path || m.source === `/dev/${kname}`);
      if (mounted) type = mounted.fstype;
      else if (ctx.inventory.swaps.some((s) => s.path === dev.path || s.path === `/dev/${kname}`)) type = 'swap';
    }
    if (type === undefined || !types.includes(type)) continue;
    const id = ctx.ids[kname];
    if (id === undefined) throw new Error(`${kname} is in scope but has no manifest id`);
    out.push({ dev, id, type });
  }
  return out.sort((a, b) => byOn(a.id, b.id));
}

/** Manifest ids in natural order (disk2 before disk10). */
export function byOn(a: string, b: string): number {
  return naturalCompare(a, b);
}

/** Kernel device node: exists without udev (mapper links may not). */
export function nodeOf(dev: BlockDevice): string {
  return `/dev/${dev.kname}`;
}
