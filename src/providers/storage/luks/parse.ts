// Pure parsers for LUKS headers: LUKS2 from `cryptsetup luksDump --dump-json-metadata`
// (the JSON area, see the LUKS2 on-disk format spec, gitlab.com/cryptsetup/LUKS2-docs),
// LUKS1 from the text of `cryptsetup luksDump` (LUKS1 has no JSON; the text is stable
// under LC_ALL=C and is what cryptsetup itself prints from the binary header).
// Salts, digests and key material are read past, never returned.
import { ParseError } from '../../../core/errors.ts';

export interface LuksPbkdfFacts {
  readonly type: 'pbkdf2' | 'argon2i' | 'argon2id';
  readonly hash?: string;
  readonly iterations?: number;
  readonly time?: number;
  readonly memory?: number;
  readonly parallel?: number;
}

/** What both header versions yield. uuid/label/subsystem of LUKS2 come from blkid (binary header). */
export interface LuksHeaderFacts {
  readonly version: 1 | 2;
  readonly uuid?: string;
  readonly cipher: string;
  readonly keySize?: number;
  readonly hash: string;
  readonly pbkdf?: LuksPbkdfFacts;
  readonly sectorSize: number;
  readonly dataOffset: number;
  readonly dataSize?: number;
  readonly metadataSize?: number;
  readonly keyslotsSize?: number;
  readonly integrity?: string;
  readonly flags?: readonly string[];
  readonly keyslots: number;
  readonly tokens?: readonly string[];
  /** Set when the header is in a state a rebuild cannot reproduce (reencryption, requirements). */
  readonly unsupported?: string;
}

type Json = Record<string, unknown>;

const WHAT2 = 'cryptsetup luksDump --dump-json-metadata';
const WHAT1 = 'cryptsetup luksDump (LUKS1)';

function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ParseError(WHAT2, `${what} is not an object`);
  return v as Json;
}

/** LUKS2 stores 64-bit values as decimal strings, small ones as JSON numbers. */
function int(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d+$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
  throw new ParseError(WHAT2, `${what}: expected an integer, got ${JSON.stringify(v)}`);
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') throw new ParseError(WHAT2, `${what}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

/** Object keys of a LUKS2 id map ("0", "1", …) in numeric order. */
function ids(o: Json): string[] {
  return Object.keys(o).sort((a, b) => Number(a) - Number(b));
}

/** The LUKS2 binary header that precedes each JSON area is 4096 bytes (LUKS2 spec §2). */
const LUKS2_BINARY_HEADER = 4096;

function pbkdfOf(kdf: Json, where: string): LuksPbkdfFacts {
  const type = kdf.type;
  if (type === 'pbkdf2') return { type, hash: str(kdf.hash, `${where}.hash`), iterations: int(kdf.iterations, `${where}.iterations`) };
  if (type === 'argon2i' || type === 'argon2id') {
    return { type, time: int(kdf.time, `${where}.time`), memory: int(kdf.memory, `${where}.memory`), parallel: int(kdf.cpus, `${where}.cpus`) };
  }
  throw new ParseError(WHAT2, `${where}.type: unknown kdf ${JSON.stringify(type)}`);
}

export function parseLuks2Json(text: string): LuksHeaderFacts {
  let root: Json;
  try {
    root = obj(JSON.parse(text), 'metadata');
  } catch (e) {
    if (e instanceof ParseError) throw e;
    throw new ParseError(WHAT2, (e as Error).message);
  }
  const keyslots = obj(root.keyslots, 'keyslots');
  const segments = obj(root.segments, 'segments');
  const digests = obj(root.digests, 'digests');
  const config = obj(root.config, 'config');
  const tokens = root.tokens === undefined ? {} : obj(root.tokens, 'tokens');

  const unsupported: string[] = [];
  const segIds = ids(segments);
  if (segIds.length !== 1) unsupported.push(`${segIds.length} data segments (reencryption in progress?)`);
  const seg = obj(segments[segIds[0] ?? '0'] ?? {}, `segments.${segIds[0] ?? '0'}`);
  if (seg.type !== 'crypt') unsupported.push(`data segment type ${JSON.stringify(seg.type)}`);
  const mandatory = config.requirements === undefined ? [] : (obj(config.requirements, 'config.requirements').mandatory ?? []);
  if (Array.isArray(mandatory) && mandatory.length > 0) unsupported.push(`header requirements: ${mandatory.join(', ')}`);

  const slotIds = ids(keyslots);
  const slots = slotIds.map((id) => obj(keyslots[id], `keyslots.${id}`));
  for (const [i, s] of slots.entries()) if (s.type !== 'luks2') unsupported.push(`keyslot ${slotIds[i]} of type ${JSON.stringify(s.type)}`);
  const first = slots[0];
  const digestIds = ids(digests);
  if (digestIds.length === 0) throw new ParseError(WHAT2, 'no digest');
  const digest = obj(digests[digestIds[0]!], `digests.${digestIds[0]}`);

  const flags = config.flags === undefined ? [] : (config.flags as unknown[]).map((f, i) => str(f, `config.flags[${i}]`));
  const tokenTypes = ids(tokens).map((id) => str(obj(tokens[id], `tokens.${id}`).type, `tokens.${id}.type`));
  const integrity = seg.integrity === undefined || seg.integrity === null ? undefined : str(obj(seg.integrity, 'segment integrity').type, 'segment integrity.type');
  return {
    version: 2,
    cipher: str(seg.encryption, 'segment encryption'),
    ...(first !== undefined ? { keySize: int(first.key_size, `keyslots.${slotIds[0]}.key_size`) * 8 } : {}),
    hash: str(digest.hash, `digests.${digestIds[0]}.hash`),
    ...(first !== undefined ? { pbkdf: pbkdfOf(obj(first.kdf, `keyslots.${slotIds[0]}.kdf`), `keyslots.${slotIds[0]}.kdf`) } : {}),
    sectorSize: int(seg.sector_size, 'segment sector_size'),
    dataOffset: int(seg.offset, 'segment offset'),
    ...(seg.size !== 'dynamic' ? { dataSize: int(seg.size, 'segment size') } : {}),
    metadataSize: int(config.json_size, 'config.json_size') + LUKS2_BINARY_HEADER,
    keyslotsSize: int(config.keyslots_size, 'config.keyslots_size'),
    ...(integrity !== undefined ? { integrity } : {}),
    flags: [...flags].sort(),
    keyslots: slots.length,
    tokens: tokenTypes.sort(),
    ...(unsupported.length > 0 ? { unsupported: unsupported.join('; ') } : {}),
  };
}

/** LUKS1 payload offsets are in 512-byte sectors (LUKS1 on-disk format, "payload-offset"). */
const LUKS1_SECTOR = 512;

export function parseLuks1Dump(text: string): LuksHeaderFacts {
  const field = (name: string): string => {
    const m = new RegExp(`^${name}:\\s*(\\S.*?)\\s*$`, 'm').exec(text);
    if (!m) throw new ParseError(WHAT1, `no "${name}:" line`);
    return m[1]!;
  };
  const num = (name: string): number => {
    const v = field(name);
    if (!/^\d+$/.test(v)) throw new ParseError(WHAT1, `${name}: expected an integer, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  if (field('Version') !== '1') throw new ParseError(WHAT1, `Version is ${field('Version')}, expected 1`);
  // Key slots: "Key Slot N: ENABLED" followed by indented "Iterations:" (the first
  // "MK iterations:" line is the volume-key digest's, not a keyslot's).
  const slots: Array<{ n: number; iterations?: number }> = [];
  let current: { n: number; iterations?: number } | undefined;
  for (const line of text.split('\n')) {
    const slot = /^Key Slot (\d+): (ENABLED|DISABLED)\s*$/.exec(line);
    if (slot) {
      current = slot[2] === 'ENABLED' ? { n: Number(slot[1]) } : undefined;
      if (current) slots.push(current);
      continue;
    }
    const it = /^\s+Iterations:\s*(\d+)\s*$/.exec(line);
    if (it && current) current.iterations = Number(it[1]);
  }
  if (!/^Key Slot \d+:/m.test(text)) throw new ParseError(WHAT1, 'no "Key Slot" lines');
  const hash = field('Hash spec');
  const firstIterations = slots[0]?.iterations;
  if (slots[0] !== undefined && firstIterations === undefined) throw new ParseError(WHAT1, `key slot ${slots[0].n}: no Iterations line`);
  return {
    version: 1,
    uuid: field('UUID'),
    cipher: `${field('Cipher name')}-${field('Cipher mode')}`,
    keySize: num('MK bits'),
    hash,
    ...(firstIterations !== undefined ? { pbkdf: { type: 'pbkdf2' as const, hash, iterations: firstIterations } } : {}),
    sectorSize: LUKS1_SECTOR,
    dataOffset: num('Payload offset') * LUKS1_SECTOR,
    keyslots: slots.length,
  };
}
