// Pure parsers for md RAID facts: `mdadm --detail --export` (KEY=VALUE lines, mdadm's
// Detail.c), the "Layout :" line of `mdadm --detail` (mdadm's own layout names, the ones
// `--create --layout` accepts; not in the export), and sysfs attributes of
// /sys/block/mdX/md/ (Documentation/admin-guide/md.rst).
import { ParseError } from '../../../core/errors.ts';

export interface MdDevice {
  /** Device path as mdadm prints it (/dev/vdc1). */
  readonly dev: string;
  /** Slot number, or mdadm's word for a device without one: spare, faulty, journal. */
  readonly role: number | string;
}

export interface MdDetail {
  readonly level: string;
  readonly raidDevices?: number;
  readonly metadata?: string;
  readonly uuid?: string;
  /** Superblock name, "homehost:name" (metadata 1.x only). */
  readonly name?: string;
  readonly devices: readonly MdDevice[];
}

const WHAT = 'mdadm --detail --export';

export function parseKeyValues(text: string, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (!m) throw new ParseError(what, `unexpected line ${JSON.stringify(line)}`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

export function parseMdDetailExport(text: string): MdDetail {
  const kv = parseKeyValues(text, WHAT);
  const level = kv.MD_LEVEL;
  if (level === undefined) throw new ParseError(WHAT, 'no MD_LEVEL');
  // MD_DEVICE_<dev with / and - as _>_ROLE / _DEV come in pairs, one per member.
  const devices: MdDevice[] = [];
  for (const [k, role] of Object.entries(kv)) {
    const m = /^MD_DEVICE_(.+)_ROLE$/.exec(k);
    if (!m) continue;
    const dev = kv[`MD_DEVICE_${m[1]}_DEV`];
    if (dev === undefined) throw new ParseError(WHAT, `${k} without MD_DEVICE_${m[1]}_DEV`);
    devices.push({ dev, role: /^\d+$/.test(role) ? Number(role) : role });
  }
  const devs = kv.MD_DEVICES;
  if (devs !== undefined && !/^\d+$/.test(devs)) throw new ParseError(WHAT, `MD_DEVICES=${devs}`);
  return {
    level,
    ...(devs !== undefined ? { raidDevices: Number(devs) } : {}),
    ...(kv.MD_METADATA !== undefined ? { metadata: kv.MD_METADATA } : {}),
    ...(kv.MD_UUID !== undefined ? { uuid: kv.MD_UUID } : {}),
    ...(kv.MD_NAME !== undefined ? { name: kv.MD_NAME } : {}),
    devices,
  };
}

/** "            Layout : left-symmetric" from `mdadm --detail`; undefined when mdadm prints none (raid1). */
export function parseMdDetailLayout(text: string): string | undefined {
  if (!/^\/dev\/\S+:\s*$/m.test(text) || !/^\s*Raid Level : /m.test(text)) throw new ParseError('mdadm --detail', 'no "/dev/…:" header or "Raid Level :" line');
  return /^\s*Layout : (\S+)\s*$/m.exec(text)?.[1];
}

export function parseSysInt(text: string, what: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new ParseError(what, `expected an integer, got ${JSON.stringify(text)}`);
  return Number(t);
}

export type BitmapLocation = { readonly type: 'none' } | { readonly type: 'external' } | { readonly type: 'internal'; readonly offset: number };

/** sysfs bitmap/location: "none", "file", or "+N"/"-N" sectors from the superblock (md.rst). */
export function parseBitmapLocation(text: string): BitmapLocation {
  const t = text.trim();
  if (t === 'none') return { type: 'none' };
  if (t === 'file') return { type: 'external' };
  if (/^[+-]\d+$/.test(t)) return { type: 'internal', offset: Number(t) };
  throw new ParseError('/sys/block/mdX/md/bitmap/location', `unexpected ${JSON.stringify(text)}`);
}

/** "homehost:name" → parts; a name without a colon has no homehost. */
export function splitMdName(full: string): { homehost?: string; name: string } {
  const i = full.indexOf(':');
  return i < 0 ? { name: full } : { homehost: full.slice(0, i), name: full.slice(i + 1) };
}
