// Which disks a capture covers (see providers/storage/disks/select.ts for the rules), the
// ids of everything on them, and the scope providers work in.
import { realpath } from 'node:fs/promises';
import { UserError } from '../core/errors.ts';
import type { ReadOnlyRunner } from '../core/runner/types.ts';
import { orderByIdentity, selectDisks, type SkippedDisk } from '../providers/storage/disks/index.ts';
import { assignIds } from '../providers/storage/ids.ts';
import { gatherInventory, stackAbove } from '../providers/storage/inventory/gather.ts';
import type { StorageContext } from '../providers/types.ts';

export interface DiskSelection {
  /** --disk: capture exactly these (device paths, /dev/disk/by-* links or kernel names). */
  readonly disks?: readonly string[];
  /** --exclude: leave these out. */
  readonly exclude?: readonly string[];
  /** verify: exactly these disks (kname → manifest disk id), under these ids. */
  readonly fixedIds?: Readonly<Record<string, string>>;
}

/** /dev/disk/by-id/… → sda; /dev/sda → sda; sda → sda. */
async function toKname(spec: string, flag: string): Promise<string> {
  if (!spec.startsWith('/')) return spec;
  try {
    return (await realpath(spec)).replace(/^\/dev\//, '');
  } catch {
    throw new UserError('USAGE', `${flag} ${spec}: no such device`, { hint: 'name a whole disk, e.g. /dev/sda or /dev/disk/by-id/…' });
  }
}

export interface SelectedStorage extends StorageContext {
  readonly skipped: readonly SkippedDisk[];
}

export async function selectStorage(runner: ReadOnlyRunner, sel: DiskSelection): Promise<SelectedStorage> {
  const inventory = await gatherInventory(runner);
  const include = await Promise.all((sel.disks ?? []).map((d) => toKname(d, '--disk')));
  const exclude = await Promise.all((sel.exclude ?? []).map((d) => toKname(d, '--exclude')));
  const fixed = sel.fixedIds ? Object.keys(sel.fixedIds) : undefined;
  const chosen = selectDisks(inventory, { include: fixed ?? include, exclude });
  const disks = fixed ?? (await orderByIdentity(inventory, chosen.disks, runner));
  const scope = new Set(disks.flatMap((k) => stackAbove(inventory, k)));
  // A device built partly on disks outside the capture (an md array with one member
  // excluded) cannot be described whole; keep it and what sits on it out of scope.
  for (const k of [...scope]) {
    const dev = inventory.devices[k]!;
    if (dev.slaves.some((s) => !scope.has(s))) for (const above of stackAbove(inventory, k)) scope.delete(above);
  }
  const allIds = assignIds(inventory, disks, fixed?.map((k) => sel.fixedIds![k]!));
  const ids = Object.fromEntries(Object.entries(allIds).filter(([k]) => scope.has(k)));
  return { runner, inventory, ids, scope, skipped: chosen.skipped };
}
