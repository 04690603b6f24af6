// Safety checks before a single write. A target disk is refused when it (or anything on it)
// is mounted, active swap, an md member or under a dm/LVM holder, holds the running root,
// or carries any signature and the user did not pass --wipe for it. A target too small for
// the manifest is refused with the exact shortfall. An identity the plan would create that
// a device outside the targets already carries (identities.ts) is refused too, naming both
// devices and the ways out. All problems are listed at once.
import { gptBackupSectors } from '../../providers/storage/disks/plan.ts';
import type { Disk } from '../../core/manifest/types.gen.ts';
import { stackAbove } from '../../providers/storage/inventory/gather.ts';
import { deviceOfMount, mountsOf, type Inventory } from '../../providers/storage/types.ts';
import { humanBytes } from '../../ui/tree.ts';
import { identityClashes, type PlannedIdentity } from './identities.ts';

/** The whole disks under a device, following slaves down (dm → partition → disk). */
export function disksUnder(inv: Inventory, kname: string): Set<string> {
  const out = new Set<string>();
  const walk = (k: string): void => {
    const d = inv.devices[k];
    if (!d) return;
    if (d.kind === 'part' && d.parent) walk(d.parent);
    else if (d.slaves.length) d.slaves.forEach(walk);
    else out.add(k);
  };
  walk(kname);
  return out;
}

/** Disks holding the running system's root filesystem. */
export function rootDisks(inv: Inventory): Set<string> {
  const root = inv.mounts.find((m) => m.mountpoint === '/');
  const dev = root && deviceOfMount(inv, root);
  return dev ? disksUnder(inv, dev.kname) : new Set();
}

/** Bytes a disk of the manifest needs: the end of its last partition (+ the GPT backup header). */
export function requiredBytes(disk: Disk): number {
  const sector = disk.logicalSectorSize;
  if (!disk.table) return disk.match.sizeBytes;
  let lastUsed = 0;
  for (const p of disk.partitions ?? []) lastUsed = Math.max(lastUsed, p.start + p.size - 1);
  if (disk.table.type === 'gpt') {
    // The backup GPT (its entries, 128 bytes each, and header) follows the last usable LBA.
    const last = Math.max(lastUsed, disk.table.lastLba ?? lastUsed);
    return (last + 1 + gptBackupSectors(sector, disk.table.tableLength)) * sector;
  }
  return (lastUsed + 1) * sector;
}

export interface PreflightInput {
  readonly inventory: Inventory;
  /** Manifest disk id → target kname. */
  readonly targets: Readonly<Record<string, string>>;
  readonly disks: readonly Disk[];
  /** Manifest disk ids the user handed over with --wipe. */
  readonly wipe: ReadonlySet<string>;
  /** What the plan will create (plannedIdentities), and where: checked against every other attached device. */
  readonly planned?: { readonly identities: readonly PlannedIdentity[]; devicePath(id: string): string };
}

/** One line per identity already present elsewhere, then the choices once per attached disk. */
function clashProblems(p: PreflightInput): string[] {
  if (!p.planned) return [];
  const { identities, devicePath } = p.planned;
  const clashes = identityClashes(p.inventory, Object.values(p.targets), identities, (k) => disksUnder(p.inventory, k));
  const problems: string[] = [];
  const byDisk = new Map<string, string[]>();
  for (const c of clashes) {
    const on = c.identity.on;
    const disk = c.disks.join(', ') || c.existing.path;
    const inside = c.disks.length === 1 && c.disks[0] === c.existing.path ? '' : ` (on ${disk})`;
    problems.push(`${on} → ${devicePath(on)}: ${c.identity.what} ${c.identity.value} is already on ${c.existing.path}${inside}, an attached device that is not a target of this rebuild`);
    byDisk.set(disk, [...(byDisk.get(disk) ?? []), c.identity.value]);
  }
  const ids = Object.keys(p.targets);
  const id = ids.length === 1 ? ids[0]! : 'ID';
  for (const [disk, values] of byDisk) {
    problems.push(
      `${disk} carries ${values.length} identit${values.length === 1 ? 'y' : 'ies'} this rebuild would create again (two devices with one UUID make mounts, fstab, LVM and mkfs pick either or fail half-way). ` +
        `Detach ${disk} before rebuilding; or, if ${disk} is meant to go, rebuild onto it instead (--map ${id}=${disk}) and hand it over with --wipe ${id}; ` +
        `or, to clone this machine, give the new disks new identities with --new-identities`,
    );
  }
  return problems;
}

export function preflightProblems(p: PreflightInput): string[] {
  const problems: string[] = [];
  const inv = p.inventory;
  const roots = rootDisks(inv);
  for (const disk of p.disks) {
    const kname = p.targets[disk.id];
    if (kname === undefined) continue;
    const dev = inv.devices[kname]!;
    const here = `${disk.id} → ${dev.path}`;
    if (disk.unsupported) problems.push(`${here}: the manifest could not describe this disk at capture (${disk.unsupported.reason}); it cannot be rebuilt`);
    if (roots.has(kname)) problems.push(`${here}: holds the root filesystem of the running system; it is never a target`);
    const stack = stackAbove(inv, kname);
    for (const k of stack) {
      const d = inv.devices[k]!;
      for (const m of mountsOf(inv, k)) problems.push(`${here}: ${d.path} is mounted on ${m.mountpoint}; unmount it first`);
      if (inv.swaps.some((s) => s.path === d.path || s.path === `/dev/${d.kname}`)) problems.push(`${here}: ${d.path} is active swap; swapoff ${d.path} first`);
      for (const h of d.holders) {
        const hd = inv.devices[h];
        const what = hd?.kind === 'md' ? `is a member of md array ${hd.path}; stop it (mdadm --stop ${hd.path})` : `is held by ${hd?.dm ? `device-mapper device ${hd.dm.name}` : h}; close or deactivate it (cryptsetup close / vgchange -an)`;
        problems.push(`${here}: ${d.path} ${what}`);
      }
    }
    if (dev.unreadable) problems.push(`${here}: cannot be opened (${dev.unreadable})`);
    const signatures = stack
      .map((k) => inv.devices[k]!)
      .filter((d) => d.probe.TYPE || d.probe.PTTYPE)
      .map((d) => `${d.path}: ${d.probe.PTTYPE ? `${d.probe.PTTYPE} partition table` : ''}${d.probe.PTTYPE && d.probe.TYPE ? ', ' : ''}${d.probe.TYPE ?? ''}`);
    if (signatures.length && !p.wipe.has(disk.id)) {
      problems.push(`${here}: is not blank (${signatures.join('; ')}); pass --wipe ${disk.id} to hand it over for erasing`);
    }
    const need = requiredBytes(disk);
    if (dev.sizeBytes < need) problems.push(`${here}: is ${humanBytes(dev.sizeBytes)} (${dev.sizeBytes} bytes) but the manifest needs ${need} bytes: ${need - dev.sizeBytes} bytes (${humanBytes(need - dev.sizeBytes)}) short`);
    if (dev.logicalSectorSize !== disk.logicalSectorSize)
      problems.push(`${here}: has ${dev.logicalSectorSize}-byte logical sectors, the manifest's disk had ${disk.logicalSectorSize}; partition offsets would not mean the same`);
  }
  return [...problems, ...clashProblems(p)];
}
