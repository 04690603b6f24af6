// Pure: a disk's identity and partition-table facts → its manifest entry.
import { ParseError } from '../../../core/errors.ts';
import type { Disk, DiskMatch, Partition, PartitionTable } from '../../../core/manifest/types.gen.ts';
import type { BlockDevice } from '../types.ts';
import type { DiskIdentity, TableFacts } from './gather.ts';
import { gptAttrBits, isExtendedType, parseSfdiskJson, partitionNumber, type SfdiskPartition, type SfdiskTable } from './parse.ts';

export function matchOf(identity: DiskIdentity): DiskMatch {
  return {
    ...(identity.serial !== undefined ? { serial: identity.serial } : {}),
    ...(identity.wwn !== undefined ? { wwn: identity.wwn } : {}),
    ...(identity.model !== undefined ? { model: identity.model } : {}),
    ...(identity.vendor !== undefined ? { vendor: identity.vendor } : {}),
    sizeBytes: identity.sizeBytes,
  };
}

/** What every partition has, GPT or MBR: its id, number, place and type. */
function basePartition(diskId: string, number: number, p: SfdiskPartition): Partition {
  return { id: `${diskId}p${number}`, number, start: p.start, size: p.size, type: p.type };
}

function gptPartition(diskId: string, number: number, p: SfdiskPartition): Partition {
  return {
    ...basePartition(diskId, number, p),
    ...(p.uuid !== undefined ? { uuid: p.uuid } : {}),
    ...(p.name !== undefined && p.name !== '' ? { name: p.name } : {}),
    ...(p.attrs !== undefined && p.attrs.trim() !== '' ? { attrs: p.attrs, attrBits: gptAttrBits(p.attrs) } : {}),
  };
}

function dosPartition(diskId: string, number: number, p: SfdiskPartition): Partition {
  return {
    ...basePartition(diskId, number, p),
    bootable: p.bootable === true,
    kind: number >= 5 ? 'logical' : isExtendedType(p.type) ? 'extended' : 'primary',
  };
}

function tableOf(t: SfdiskTable & { label: 'gpt' | 'dos' }): PartitionTable {
  return {
    type: t.label,
    id: t.id,
    ...(t.label === 'gpt' && t.firstlba !== undefined ? { firstLba: t.firstlba } : {}),
    ...(t.label === 'gpt' && t.lastlba !== undefined ? { lastLba: t.lastlba } : {}),
    ...(t.label === 'gpt' && t.tableLength !== undefined ? { tableLength: t.tableLength } : {}),
  };
}

/**
 * The manifest entry of one disk. `facts` is undefined for a disk that must not be read
 * (inventory `unreadable`): it is kept with its sysfs identity and `unsupported`.
 */
export function captureDisk(id: string, identity: DiskIdentity, dev: BlockDevice, facts: TableFacts | undefined): Disk {
  const base: Disk = {
    id,
    path: identity.path,
    match: matchOf(identity),
    logicalSectorSize: identity.logicalSectorSize,
    physicalSectorSize: identity.physicalSectorSize,
  };
  if (dev.unreadable !== undefined || facts === undefined) {
    return { ...base, unsupported: { reason: `the disk cannot be read: ${dev.unreadable ?? 'not gathered'}` } };
  }
  if (facts.kind === 'none') {
    // blkid knows more table types than sfdisk (atari, mac, bsd …): never call such a disk blank.
    const pttype = dev.probe.PTTYPE;
    if (pttype !== undefined) return { ...base, unsupported: { reason: `blkid finds a "${pttype}" partition table that sfdisk cannot read (${facts.sfdiskStderr})` } };
    return base;
  }
  const t = parseSfdiskJson(facts.sfdiskJson);
  if (t.unit !== 'sectors') throw new ParseError('sfdisk --json', `unit "${t.unit}", expected "sectors"`);
  if (t.sectorsize !== undefined && t.sectorsize !== identity.logicalSectorSize) {
    throw new ParseError('sfdisk --json', `sector size ${t.sectorsize} differs from the kernel's logical block size ${identity.logicalSectorSize} of ${identity.path}`);
  }
  if (t.label !== 'gpt' && t.label !== 'dos') {
    return { ...base, unsupported: { reason: `partition table type "${t.label}" is not supported (only gpt and dos)` } };
  }
  const label = t.label;
  const partitions = t.partitions
    .map((p) => {
      const n = partitionNumber(t.device, p.node);
      return label === 'gpt' ? gptPartition(id, n, p) : dosPartition(id, n, p);
    })
    .sort((a, b) => a.number - b.number);
  return { ...base, table: tableOf({ ...t, label }), partitions };
}
