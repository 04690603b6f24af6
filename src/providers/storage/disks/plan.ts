// Pure: a disk's partition table in the manifest → the steps that recreate it on the target.
//
// Per disk with a table, two steps:
//   sfdisk:<disk>  `sfdisk --wipe always --wipe-partitions always DISK` fed an sfdisk script
//                  (sfdisk(8) "INPUT FORMATS") with the captured disk GUID / MBR id, first/last
//                  usable LBA, and per partition its exact start, size, type, PARTUUID, name and
//                  attributes (GPT) or type and boot flag (MBR). The wipe options erase old
//                  signatures on the disk and at the start of every new partition, so that a new
//                  partition never shows a filesystem from a previous life. sfdisk then asks the
//                  kernel to re-read the table (BLKRRPART), which drops stale partitions.
//   table:<disk>   `partx --update --nr 1:MAX DISK`: makes the kernel see every new partition. Some
//                  kernels (loop devices in containers) drop the old partitions on BLKRRPART but add
//                  none; without udev nobody else adds them. partx without --nr only looks at
//                  numbers 1..count (util-linux 2.38), which misses partitions after a numbering gap;
//                  with --nr 1:MAX it adds, updates or removes each number in turn, and is a no-op
//                  when the kernel already has the right partitions. Its waitFor lists every
//                  partition node; context.ts readyStep makes the layers above wait for this step.
// A disk with a table but no partitions gets the sfdisk step only, under the id table:<disk>.
import { UserError } from '../../../core/errors.ts';
import type { Disk, Manifest, Partition } from '../../../core/manifest/types.gen.ts';
import { partitionPath, stepIds, type PlanContext } from '../../../core/plan/context.ts';
import type { Step } from '../../../core/plan/types.ts';
import { sfdiskScript } from './script.ts';

export { sfdiskQuote, sfdiskScript } from './script.ts';

/** Sectors after the last usable LBA of a GPT disk: the backup entries (128 bytes each) and header. */
export function gptBackupSectors(sectorSize: number, entries = 128): number {
  return 1 + Math.ceil((entries * 128) / sectorSize);
}

/** The last usable LBA sfdisk gives a new GPT on a disk of this size (sfdisk --json `lastlba`). */
export function gptLastUsableLba(diskBytes: number, sectorSize: number, entries = 128): number {
  return Math.floor(diskBytes / sectorSize) - 1 - gptBackupSectors(sectorSize, entries);
}

/** MBR entries hold 32-bit LBAs: nothing can end past sector 2^32 − 1. */
const MBR_LAST_SECTOR = 2 ** 32 - 1;

const end = (p: Partition): number => p.start + p.size - 1;
const isExtended = (p: Partition): boolean => p.kind === 'extended';

/** The extended partition holding a logical one (MBR). */
function containerOf(disk: Disk, p: Partition): Partition | undefined {
  if (p.kind !== 'logical') return undefined;
  return (disk.partitions ?? []).find((e) => isExtended(e) && e.start <= p.start && end(e) >= end(p));
}

/**
 * `--grow last`: on each disk with partitions, the partition that starts last, not counting
 * an MBR extended partition (its last logical partition is meant, and the extended
 * partition grows along); the extended partition only when it holds no logical partition.
 * Disks without a partition table contribute nothing.
 */
export function lastPartitionIds(disks: readonly Disk[]): string[] {
  const out: string[] = [];
  for (const d of disks) {
    const parts = d.partitions ?? [];
    if (!d.table || parts.length === 0) continue;
    const pool = parts.some((p) => !isExtended(p)) ? parts.filter((p) => !isExtended(p)) : parts;
    out.push(pool.reduce((a, b) => (b.start > a.start ? b : a)).id);
  }
  return out;
}

/**
 * The disk as it will be on a target of `targetBytes` when the partitions in `grow` take the
 * space up to the end of the target: the grown partition ends at the last usable sector, a
 * GPT's last usable LBA moves to the target's, an MBR extended partition grows with the
 * logical partition it holds. Without a grown partition on this disk the disk is returned
 * unchanged: a larger target keeps the captured geometry (the captured last usable LBA too).
 * Only the last partition can grow (nothing may start after it): anything else is refused.
 */
export function grownDisk(disk: Disk, targetBytes: number, grow: ReadonlySet<string>): Disk {
  const parts = disk.partitions ?? [];
  const grown = parts.filter((p) => grow.has(p.id));
  if (!disk.table || grown.length === 0) return disk;
  const sector = disk.logicalSectorSize;
  const lastUsable = disk.table.type === 'gpt' ? gptLastUsableLba(targetBytes, sector, disk.table.tableLength) : Math.min(Math.floor(targetBytes / sector) - 1, MBR_LAST_SECTOR);
  const sizes = new Map<string, number>();
  for (const p of grown) {
    const container = containerOf(disk, p);
    const blockers = parts.filter((q) => q !== p && q !== container && !(isExtended(p) && containerOf(disk, q) === p) && q.start > p.start);
    if (blockers.length) {
      const list = blockers.map((q) => `${q.id} (sectors ${q.start}–${end(q)})`).join(', ');
      throw new UserError('USAGE', `--grow ${p.id}: only the last partition of a disk can grow, and ${list} ${blockers.length === 1 ? 'follows' : 'follow'} it on ${disk.id}`, {
        hint: `grow the last partition instead (--grow last), or rebuild without --grow to keep the captured geometry`,
      });
    }
    if (lastUsable < end(p)) {
      throw new UserError('USAGE', `--grow ${p.id}: the target of ${disk.id} is too small to hold it (its last usable sector would be ${lastUsable}, the partition ends at ${end(p)})`);
    }
    sizes.set(p.id, lastUsable - p.start + 1);
    if (container) sizes.set(container.id, lastUsable - container.start + 1);
  }
  return {
    ...disk,
    table: disk.table.type === 'gpt' ? { ...disk.table, lastLba: lastUsable } : disk.table,
    partitions: parts.map((p) => (sizes.has(p.id) ? { ...p, size: sizes.get(p.id)! } : p)),
  };
}

/** The manifest's storage as a rebuild with these target sizes and --grow ids leaves it (for verify). */
export function grownManifest(m: Manifest, diskBytes: Readonly<Record<string, number>>, grow: ReadonlySet<string>): Manifest {
  const disks = m.storage?.disks;
  if (!disks || grow.size === 0) return m;
  return { ...m, storage: { ...m.storage, disks: disks.map((d) => (diskBytes[d.id] === undefined ? d : grownDisk(d, diskBytes[d.id]!, grow))) } };
}

function tableSteps(ctx: PlanContext, source: Disk, where: string): Step[] {
  const path = ctx.devicePath(source.id);
  const disk = grownDisk(source, ctx.diskBytes[source.id] ?? source.match.sizeBytes, ctx.grow);
  const parts = disk.partitions ?? [];
  const label = disk.table!.type === 'gpt' ? 'GPT' : 'MBR';
  const wiped = ctx.wipe.has(disk.id);
  const grown = parts.filter((p) => p.size !== source.partitions!.find((q) => q.id === p.id)!.size).map((p) => p.id);
  const sfdiskId = parts.length ? `sfdisk:${disk.id}` : stepIds.table(disk.id);
  const write: Step = {
    id: sfdiskId,
    title: `${label} partition table on ${path} (${disk.id}): ${parts.length} partition${parts.length === 1 ? '' : 's'}${grown.length ? `, ${grown.join(' and ')} grown to the end of the disk` : ''}${wiped ? '; erases what the disk holds' : ''}`,
    argv: ['sfdisk', '--wipe', 'always', '--wipe-partitions', 'always', path],
    input: { kind: 'text', text: sfdiskScript(disk, path, where) },
    risk: wiped ? 'destroy' : 'create',
    after: [],
    creates: disk.id,
  };
  if (parts.length === 0) return [write];
  const max = Math.max(...parts.map((p) => p.number));
  return [
    write,
    {
      id: stepIds.table(disk.id),
      title: `make the kernel see the partitions of ${path} (${disk.id})`,
      argv: ['partx', '--update', '--nr', `1:${max}`, path],
      risk: 'create',
      after: [sfdiskId],
      waitFor: [...parts].sort((a, b) => a.number - b.number).map((p) => partitionPath(path, p.number)),
    },
  ];
}

/** The disks planner: every manifest disk with a partition table, in manifest order. */
export function planDisks(ctx: PlanContext): Step[] {
  const steps: Step[] = [];
  for (const [i, disk] of (ctx.manifest.storage?.disks ?? []).entries()) {
    if (disk.unsupported) {
      throw new UserError('REFUSED', `${disk.id}: the manifest could not describe this disk at capture (${disk.unsupported.reason}); it cannot be rebuilt`, {
        hint: 'capture again where the disk can be read, or remove it from the manifest',
      });
    }
    if (!disk.table) continue;
    steps.push(...tableSteps(ctx, disk, `storage.disks[${i}]`));
  }
  return steps;
}
