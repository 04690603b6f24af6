// Pure parsers for the disks provider: sysfs identity attributes and `sfdisk --json`.
import { ParseError } from '../../../core/errors.ts';

/**
 * Identity strings as sysfs gives them are padded (nvme serials to 20 with spaces, SCSI
 * INQUIRY fields with spaces, t10 wwids with runs of spaces) and may end in NUL or a
 * newline. Trim, drop NULs and collapse blank runs, so that the same disk always yields the
 * same string whatever the bus padding; undefined when nothing is left.
 */
export function normalizeIdString(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const s = raw.replace(/\0/g, '').replace(/\s+/g, ' ').trim();
  return s === '' ? undefined : s;
}

/**
 * SCSI VPD page 0x80 "Unit Serial Number" (SPC-4 7.8.16), as the kernel exposes it in
 * /sys/block/X/device/vpd_pg80: byte 1 is the page code 0x80, bytes 2–3 the big-endian
 * length of the serial that follows the 4-byte header. SATA disks behind libata pad it
 * with spaces (SAT-3 copies the 20-byte ATA serial field).
 */
export function parseVpdPg80(bytes: Uint8Array): string | undefined {
  if (bytes.length < 4) throw new ParseError('vpd_pg80', `page shorter than its 4-byte header (${bytes.length} bytes)`);
  if (bytes[1] !== 0x80) throw new ParseError('vpd_pg80', `page code 0x${bytes[1]!.toString(16)} is not 0x80`);
  const length = (bytes[2]! << 8) | bytes[3]!;
  if (4 + length > bytes.length) throw new ParseError('vpd_pg80', `page length ${length} runs past the ${bytes.length} bytes read`);
  return normalizeIdString(new TextDecoder('latin1').decode(bytes.subarray(4, 4 + length)));
}

export interface SfdiskPartition {
  readonly node: string;
  readonly start: number;
  readonly size: number;
  readonly type: string;
  readonly uuid?: string;
  readonly name?: string;
  readonly attrs?: string;
  readonly bootable?: boolean;
}

export interface SfdiskTable {
  readonly label: string;
  readonly id: string;
  readonly device: string;
  readonly unit: string;
  readonly firstlba?: number;
  readonly lastlba?: number;
  /** GPT entries, only when not 128 (util-linux 2.38 prints it as a string). */
  readonly tableLength?: number;
  readonly sectorsize?: number;
  readonly partitions: readonly SfdiskPartition[];
}

type Json = Record<string, unknown>;

function field<T>(obj: Json, key: string, type: 'string' | 'number' | 'boolean', where: string, required: true): T;
function field<T>(obj: Json, key: string, type: 'string' | 'number' | 'boolean', where: string, required: false): T | undefined;
function field<T>(obj: Json, key: string, type: 'string' | 'number' | 'boolean', where: string, required: boolean): T | undefined {
  const v = obj[key];
  if (v === undefined) {
    if (required) throw new ParseError('sfdisk --json', `${where}: missing "${key}"`);
    return undefined;
  }
  if (typeof v !== type) throw new ParseError('sfdisk --json', `${where}: "${key}" is ${typeof v}, expected ${type}`);
  if (type === 'number' && !Number.isSafeInteger(v)) throw new ParseError('sfdisk --json', `${where}: "${key}" is not an integer`);
  return v as T;
}

/** "table-length": a string of digits in util-linux 2.38, a number perhaps elsewhere. */
function tableLength(v: unknown): { tableLength?: number } {
  if (v === undefined) return {};
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new ParseError('sfdisk --json', `partitiontable: "table-length" is ${JSON.stringify(v)}, expected a positive integer`);
  return { tableLength: n };
}

/** `sfdisk --json DEV` (util-linux ≥ 2.38 also prints "sectorsize"). */
export function parseSfdiskJson(text: string): SfdiskTable {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ParseError('sfdisk --json', (e as Error).message);
  }
  const pt = (doc as { partitiontable?: unknown } | null)?.partitiontable;
  if (typeof pt !== 'object' || pt === null) throw new ParseError('sfdisk --json', 'no "partitiontable" object');
  const t = pt as Json;
  const parts = t.partitions ?? [];
  if (!Array.isArray(parts)) throw new ParseError('sfdisk --json', '"partitions" is not an array');
  const opt = <T>(o: Json, k: string, type: 'string' | 'number' | 'boolean', w: string): Partial<Record<string, T>> => {
    const v = field<T>(o, k, type, w, false);
    return v === undefined ? {} : { [k]: v };
  };
  return {
    label: field<string>(t, 'label', 'string', 'partitiontable', true),
    id: field<string>(t, 'id', 'string', 'partitiontable', true),
    device: field<string>(t, 'device', 'string', 'partitiontable', true),
    unit: field<string>(t, 'unit', 'string', 'partitiontable', true),
    ...opt<number>(t, 'firstlba', 'number', 'partitiontable'),
    ...opt<number>(t, 'lastlba', 'number', 'partitiontable'),
    ...tableLength(t['table-length']),
    ...opt<number>(t, 'sectorsize', 'number', 'partitiontable'),
    partitions: parts.map((p: unknown, i): SfdiskPartition => {
      if (typeof p !== 'object' || p === null) throw new ParseError('sfdisk --json', `partitions[${i}] is not an object`);
      const o = p as Json;
      const w = `partitions[${i}]`;
      return {
        node: field<string>(o, 'node', 'string', w, true),
        start: field<number>(o, 'start', 'number', w, true),
        size: field<number>(o, 'size', 'number', w, true),
        type: field<string>(o, 'type', 'string', w, true),
        ...opt<string>(o, 'uuid', 'string', w),
        ...opt<string>(o, 'name', 'string', w),
        ...opt<string>(o, 'attrs', 'string', w),
        ...opt<boolean>(o, 'bootable', 'boolean', w),
      };
    }),
  };
}

/** The partition number of sfdisk's `node` (/dev/sda3, /dev/nvme0n1p3, /dev/loop0p3 → 3). */
export function partitionNumber(device: string, node: string): number {
  const m = node.startsWith(device) ? /^p?(\d+)$/.exec(node.slice(device.length)) : null;
  if (!m) throw new ParseError('sfdisk --json', `partition node ${node} is not ${device} followed by a number`);
  return Number(m[1]);
}

// libfdisk gpt.c (gpt_entry_attrs_to_string / _from_string): the names of bits 0–2, and
// "GUID:" followed by a comma list of the type-specific bits 48–63. Bits 3–47 are never shown.
const ATTR_NAMES: Readonly<Record<string, number>> = { RequiredPartition: 0, NoBlockIOProtocol: 1, LegacyBIOSBootable: 2 };

/** sfdisk's GPT attribute string → sorted bit numbers. */
export function gptAttrBits(attrs: string): number[] {
  const bits = new Set<number>();
  for (const token of attrs.trim().split(/\s+/)) {
    if (token === '') continue;
    if (ATTR_NAMES[token] !== undefined) {
      bits.add(ATTR_NAMES[token]);
      continue;
    }
    const m = /^GUID:(\d+(?:,\d+)*)$/.exec(token);
    if (!m) throw new ParseError('sfdisk --json', `unknown GPT attribute "${token}" in "${attrs}"`);
    for (const n of m[1]!.split(',').map(Number)) {
      if (n < 48 || n > 63) throw new ParseError('sfdisk --json', `GPT GUID attribute bit ${n} outside 48–63 in "${attrs}"`);
      bits.add(n);
    }
  }
  return [...bits].sort((a, b) => a - b);
}

/** MBR extended partition types (fdisk's IS_EXTENDED: 0x05, 0x0f, 0x85). */
export function isExtendedType(type: string): boolean {
  return ['5', '05', 'f', '0f', '85'].includes(type.toLowerCase());
}

/** The message sfdisk prints (exit 1) for a device without any partition table it knows. */
export function isNoTableError(stderr: string): boolean {
  return /does not contain a recognized partition table/.test(stderr);
}
