// Pure: LUKS facts (+ inventory, id map) → manifest entries.
import { ParseError } from '../../../core/errors.ts';
import type { LuksVolume } from '../../../core/manifest/types.gen.ts';
import type { IdMap, Inventory } from '../types.ts';
import { mappingOf, type LuksFacts } from './gather.ts';
import { parseLuks1Dump, parseLuks2Json, type LuksHeaderFacts } from './parse.ts';
import { naturalCompare } from '../../../core/natural.ts';

function idOf(ids: IdMap, kname: string): string {
  const id = ids[kname];
  if (id === undefined) throw new Error(`luks: no manifest id for ${kname} (is it in scope?)`);
  return id;
}

export function captureLuks(facts: LuksFacts, inv: Inventory, ids: IdMap): LuksVolume {
  const on = idOf(ids, facts.dev.kname);
  const base = { id: `luks-${on}`, on };
  if (facts.kind === 'unsupported') return { ...base, unsupported: { reason: facts.reason } };

  let header: LuksHeaderFacts;
  let uuid: string | undefined;
  let label: string | undefined;
  let subsystem: string | undefined;
  if (facts.kind === 'luks2') {
    header = parseLuks2Json(facts.json);
    // uuid, label and subsystem live in the LUKS2 binary header, not in the JSON area;
    // blkid -p reads that header directly (it is not the udev database).
    const probe = facts.dev.probe;
    uuid = probe.UUID;
    if (uuid === undefined) throw new ParseError(`blkid -p /dev/${facts.dev.kname}`, 'no UUID for a LUKS2 header');
    label = probe.LABEL || undefined;
    subsystem = probe.SUBSYSTEM || undefined;
  } else {
    header = parseLuks1Dump(facts.dump);
    uuid = header.uuid;
  }
  const mapping = mappingOf(inv, facts.dev)?.dm?.name;
  return {
    ...base,
    version: header.version,
    ...(uuid !== undefined ? { uuid } : {}),
    ...(label !== undefined ? { label } : {}),
    ...(subsystem !== undefined ? { subsystem } : {}),
    cipher: header.cipher,
    ...(header.keySize !== undefined ? { keySize: header.keySize } : {}),
    hash: header.hash,
    ...(header.pbkdf !== undefined ? { pbkdf: { ...header.pbkdf } } : {}),
    sectorSize: header.sectorSize,
    dataOffset: header.dataOffset,
    ...(header.dataSize !== undefined ? { dataSize: header.dataSize } : {}),
    ...(header.metadataSize !== undefined ? { metadataSize: header.metadataSize } : {}),
    ...(header.keyslotsSize !== undefined ? { keyslotsSize: header.keyslotsSize } : {}),
    ...(header.integrity !== undefined ? { integrity: header.integrity } : {}),
    ...(header.flags !== undefined && header.flags.length > 0 ? { flags: [...header.flags] } : {}),
    keyslots: header.keyslots,
    ...(header.tokens !== undefined && header.tokens.length > 0 ? { tokens: [...header.tokens] } : {}),
    ...(mapping !== undefined ? { mapping } : {}),
    ...(header.unsupported !== undefined ? { unsupported: { reason: header.unsupported } } : {}),
  };
}

/** Entries sorted by id (deterministic, independent of kernel names). */
export function captureAllLuks(facts: readonly LuksFacts[], inv: Inventory, ids: IdMap): LuksVolume[] {
  return facts.map((f) => captureLuks(f, inv, ids)).sort((a, b) => naturalCompare(a.id, b.id));
}
