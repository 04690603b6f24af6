// Read-only facts for the mounts provider: the two files, and the symlink targets of
// /dev/… specs that exist on the running system (udev's /dev/disk/by-*, LVM's /dev/VG/LV).
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import type { Inventory } from '../types.ts';
import { parseCrypttab, parseFstab, type RawCrypttabEntry, type RawFstabEntry } from './parse.ts';

export interface MountsPaths {
  /** Default /etc/fstab; `<root>/etc/fstab` for --root. */
  readonly fstab: string;
  /** Default /etc/crypttab; a missing file means no entries. */
  readonly crypttab: string;
}

export const DEFAULT_MOUNTS_PATHS: MountsPaths = { fstab: '/etc/fstab', crypttab: '/etc/crypttab' };

export interface MountsFacts {
  readonly fstab: RawFstabEntry[];
  readonly crypttab: RawCrypttabEntry[];
  readonly links: Record<string, string>;
}

async function linkTarget(r: ReadOnlyRunner, path: string): Promise<string | undefined> {
  if (!(await r.exists(path))) return undefined;
  try {
    return await r.readLink(path);
  } catch (e) {
    // EINVAL: a device node, not a link (dm nodes made without udev). Resolved by name then.
    if ((e as NodeJS.ErrnoException).code === 'EINVAL' || (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * `files` reads the two files (for --root: the capture's confined runner, so they resolve
 * inside the root); `r` resolves /dev links of the running system.
 */
export async function gatherMounts(r: ReadOnlyRunner, inv: Inventory, paths: MountsPaths = DEFAULT_MOUNTS_PATHS, files: ReadOnlyRunner = r): Promise<MountsFacts> {
  // A system without an fstab (possible with systemd mount units only) has no entries.
  const fstab = parseFstab((await files.readFileOptional(paths.fstab)) ?? '', paths.fstab);
  const crypttab = parseCrypttab((await files.readFileOptional(paths.crypttab)) ?? '', paths.crypttab);
  const links: Record<string, string> = {};
  const specs = new Set([...fstab.map((e) => e.spec), ...crypttab.map((e) => e.spec)]);
  for (const spec of [...specs].sort()) {
    if (!spec.startsWith('/dev/')) continue;
    const rest = spec.slice('/dev/'.length);
    if (!rest.includes('/') && inv.devices[rest] !== undefined) continue; // a kernel node
    const target = await linkTarget(r, spec);
    if (target !== undefined) links[spec] = target;
  }
  return { fstab, crypttab, links };
}
