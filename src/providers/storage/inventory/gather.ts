// The block-device inventory, from sysfs (there may be no udev: nothing here reads the
// udev database) plus `blkid -p` of every device (low-level probe, bypasses the cache).
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import type { BlockDevice, DeviceKind, Inventory } from '../types.ts';
import { UserError } from '../../../core/errors.ts';
import { commandFailed } from '../../../core/runner/exec.ts';
import { parseBlkidExport, parseIntStrict, parseMountinfo, parseProcSwaps } from './parse.ts';

const SYS = '/sys/block';

/** Kernel devices that are never storage to capture: RAM disks, zram, optical, floppies, mtd. */
export function isIgnoredKname(kname: string): boolean {
  return /^(ram|zram|sr|fd|mtdblock|nbd)\d/.test(kname);
}

async function readTrim(r: ReadOnlyRunner, path: string): Promise<string | undefined> {
  return (await r.readFileOptional(path))?.trim();
}

/** A sysfs attribute every device has: its absence means the device just went away. */
async function readRequired(r: ReadOnlyRunner, path: string): Promise<string> {
  const v = await readTrim(r, path);
  if (v === undefined) throw new InventoryChanged();
  return v;
}

async function listOrEmpty(r: ReadOnlyRunner, path: string): Promise<string[]> {
  return (await r.exists(path)) ? r.readDir(path) : [];
}

export interface ProbeResult {
  readonly probe: Record<string, string>;
  readonly unreadable?: string;
}

export async function probe(r: ReadOnlyRunner, devPath: string): Promise<ProbeResult> {
  // blkid -p exits 2 both for "no signature found" (a fact: blank) and for "cannot open".
  // Only a silent exit 2 means blank; an open error is either recorded as unreadable
  // (permission: a sandboxed or locked device) or is a failure. Never "blank" by accident.
  const res = await r.run(['blkid', '-p', '-o', 'export', devPath], { okExitCodes: [2] });
  if (res.exitCode === 0) return { probe: parseBlkidExport(res.stdout) };
  const err = res.stderr.trim();
  if (err === '') return { probe: {} };
  if (/Operation not permitted|Permission denied/.test(err)) return { probe: {}, unreadable: `blkid -p ${devPath}: ${err.replace(/^blkid: (error: )?/, '')}` };
  throw commandFailed(res);
}

interface RawDevice {
  kname: string;
  sysPath: string;
  kind: DeviceKind;
  parent?: string;
  partitionNumber?: number;
}

/** A device went away (or appeared) while the inventory was being read. */
class InventoryChanged extends Error {}

/**
 * Reads the inventory; if the set of devices changed while it was read (a hot-plugged disk,
 * a loop device detached), reads it again, up to three times, then gives up with a clear
 * error rather than describing a machine that never existed.
 */
export async function gatherInventory(r: ReadOnlyRunner): Promise<Inventory> {
  for (let attempt = 1; ; attempt++) {
    try {
      const before = await listDevices(r);
      const inv = await gatherOnce(r, before);
      const after = await listDevices(r);
      if (JSON.stringify(before) !== JSON.stringify(after)) throw new InventoryChanged();
      return inv;
    } catch (e) {
      if (!(e instanceof InventoryChanged)) throw e;
      if (attempt === 3) {
        throw new UserError('DEVICE', 'the block devices changed three times while sysmanifest was reading them', { hint: 'wait until disks stop appearing and disappearing (udevadm settle), then run it again' });
      }
    }
  }
}

async function listDevices(r: ReadOnlyRunner): Promise<RawDevice[]> {
  const raw: RawDevice[] = [];
  for (const kname of await r.readDir(SYS)) {
    if (isIgnoredKname(kname)) continue;
    const sysPath = `${SYS}/${kname}`;
    let kind: DeviceKind = 'disk';
    if (kname.startsWith('loop')) kind = 'loop';
    else if (await r.exists(`${sysPath}/dm`)) kind = 'dm';
    else if (await r.exists(`${sysPath}/md`)) kind = 'md';
    if (kind === 'loop' && (await readTrim(r, `${sysPath}/size`)) === '0') continue; // unattached loop
    raw.push({ kname, sysPath, kind });
    for (const child of await r.readDir(sysPath)) {
      if (!child.startsWith(kname) || !(await r.exists(`${sysPath}/${child}/partition`))) continue;
      const n = parseIntStrict(await readRequired(r, `${sysPath}/${child}/partition`), `${sysPath}/${child}/partition`);
      raw.push({ kname: child, sysPath: `${sysPath}/${child}`, kind: 'part', parent: kname, partitionNumber: n });
    }
  }
  return raw;
}

async function gatherOnce(r: ReadOnlyRunner, raw: readonly RawDevice[]): Promise<Inventory> {

  const byName = new Map(raw.map((d) => [d.kname, d]));
  const devices = await Promise.all(
    raw.map(async (d): Promise<BlockDevice> => {
      const queueOf = d.kind === 'part' ? byName.get(d.parent!)!.sysPath : d.sysPath;
      const sectors = parseIntStrict(await readRequired(r, `${d.sysPath}/size`), `${d.sysPath}/size`);
      const dmName = d.kind === 'dm' ? await readTrim(r, `${d.sysPath}/dm/name`) : undefined;
      const path = dmName !== undefined ? `/dev/mapper/${dmName}` : `/dev/${d.kname}`;
      // Probe by kernel node: /dev/dm-N always exists, mapper links may not without udev.
      const probed = await probe(r, `/dev/${d.kname}`);
      const unreadable = probed.unreadable;
      return {
        kname: d.kname,
        path,
        kind: d.kind,
        majMin: (await readTrim(r, `${d.sysPath}/dev`)) ?? '',
        // sysfs "size" is always in 512-byte units, whatever the logical sector size.
        sizeBytes: sectors * 512,
        logicalSectorSize: parseIntStrict((await readTrim(r, `${queueOf}/queue/logical_block_size`)) ?? '512', 'logical_block_size'),
        physicalSectorSize: parseIntStrict((await readTrim(r, `${queueOf}/queue/physical_block_size`)) ?? '512', 'physical_block_size'),
        ...(d.parent !== undefined ? { parent: d.parent, partitionNumber: d.partitionNumber! } : {}),
        slaves: await listOrEmpty(r, `${d.sysPath}/slaves`),
        holders: await listOrEmpty(r, `${d.sysPath}/holders`),
        ...(dmName !== undefined ? { dm: { name: dmName, uuid: (await readTrim(r, `${d.sysPath}/dm/uuid`)) ?? '' } } : {}),
        removable: (await readTrim(r, `${(d.kind === 'part' ? byName.get(d.parent!)! : d).sysPath}/removable`)) === '1',
        readOnly: (await readTrim(r, `${d.sysPath}/ro`)) === '1',
        probe: probed.probe,
        ...(unreadable !== undefined ? { unreadable } : {}),
      };
    }),
  );
  return {
    devices: Object.fromEntries(devices.map((d) => [d.kname, d])),
    mounts: parseMountinfo(await r.readFile('/proc/self/mountinfo')),
    swaps: parseProcSwaps((await r.readFileOptional('/proc/swaps')) ?? 'Filename\n'),
  };
}

/** Every device built on top of `kname`, transitively (partitions, holders), including itself. */
export function stackAbove(inv: Inventory, kname: string): string[] {
  const seen = new Set<string>();
  const visit = (k: string): void => {
    if (seen.has(k)) return;
    seen.add(k);
    const dev = inv.devices[k];
    if (!dev) return;
    for (const h of dev.holders) visit(h);
    for (const p of Object.values(inv.devices)) if (p.parent === k) visit(p.kname);
  };
  visit(kname);
  return [...seen];
}
