// The sfdisk script of one disk (sfdisk(8) "INPUT FORMATS"), safe on its own: every value that
// comes from the manifest is checked against exactly what libfdisk's script reader takes for
// that field (util-linux 2.38 libfdisk/src/script.c, gpt.c), and a value it would read
// differently — or that would end the line, the token or the quoted string early — is refused
// with the manifest path, never rendered. The schema checks the same things first; this is the
// second line, for manifests that reach the planner another way (a newline in a type once
// created an extra partition in a real rebuild).
//
// What the reader does, and so what is allowed:
// - It reads line by line (fgets): no value may hold a line break, or any control character.
// - A partition line is `<node> : key=value, key=value`; tokens end at a blank, ',' or ';'
//   unless inside double quotes, and a '"' toggles quoting. Only `name=` is unescaped
//   afterwards (\xHH, the form `sfdisk --dump` writes); `uuid=`, `type=` and `attrs=` are taken
//   as they are. So type, uuid and attrs are checked against their exact grammar, and the name
//   is quoted with every '"', '\' and control character written as \xHH.
// - GPT names are 36 UTF-16 code units; libfdisk truncates longer ones silently, refuses code
//   points above U+FFFF (EILSEQ), and a NUL ends the name: all three are refused here.
// - Header values (`label-id: …`) are the rest of the line, trimmed.
import { UserError } from '../../../core/errors.ts';
import type { Disk, Partition } from '../../../core/manifest/types.gen.ts';
import { partitionPath } from '../../../core/plan/context.ts';

const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
/** MBR partition type: one byte in hex, as sfdisk --json prints it ("83", "5", "ef"). */
const MBR_TYPE = /^(0x)?[0-9A-Fa-f]{1,2}$/;
/** MBR disk identifier as the manifest keeps it (sfdisk --json `id`). */
const MBR_ID = /^0x[0-9A-Fa-f]{8}$/;
/** GPT attribute names libfdisk knows, and GUID-specific bits 48–63 (gpt.c gpt_entry_attrs_from_string). */
const ATTR_TOKEN = /^(RequiredPartition|NoBlockIOProtocol|LegacyBIOSBootable|GUID:(4[89]|5\d|6[0-3])(,(4[89]|5\d|6[0-3]))*)$/;
/** GPT partition names: 36 UTF-16 code units (72 bytes in the entry). */
const GPT_NAME_UNITS = 36;
const SECTOR_SIZES = [512, 1024, 2048, 4096];

function refuse(where: string, what: string): UserError {
  return new UserError('REFUSED', `${where}: ${what}; refusing to write it into an sfdisk script`, {
    hint: 'the manifest holds a value sfdisk would not read as intended (validate it with `sysmanifest validate`); correct the value or capture the disk again',
  });
}

/** JSON.stringify shows control characters and quotes escaped: safe to print in a message. */
const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
};

function integer(where: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw refuse(where, `${show(v)} is not an integer ≥ ${min}`);
  return v;
}

function matching(where: string, v: unknown, re: RegExp, what: string): string {
  if (typeof v !== 'string' || !re.test(v)) throw refuse(where, `${show(v)} is not ${what}`);
  return v;
}

/** GPT attributes exactly as sfdisk prints them: known names and GUID:bits, separated by blanks. */
function attrs(where: string, v: unknown): string {
  if (typeof v !== 'string' || !v.split(' ').every((t) => ATTR_TOKEN.test(t))) {
    throw refuse(where, `${show(v)} is not a list of GPT attributes (RequiredPartition, NoBlockIOProtocol, LegacyBIOSBootable, GUID:48–63, separated by spaces)`);
  }
  return v;
}

/**
 * A partition name as an sfdisk script string: libfdisk decodes \xHH escapes inside quotes
 * (the form `sfdisk --dump` writes), so quotes, backslashes and control characters are
 * escaped that way; everything else (UTF-8 included) is written as is.
 */
export function sfdiskQuote(s: string): string {
  return `"${s.replace(/["\\\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`;
}

/** A GPT partition name libfdisk stores exactly as given, quoted; anything else refused. */
export function gptName(where: string, v: unknown): string {
  if (typeof v !== 'string') throw refuse(where, `${show(v)} is not a string`);
  if (v.includes('\0')) throw refuse(where, `${show(v)} holds a NUL character, which ends a GPT name`);
  if (!v.isWellFormed()) throw refuse(where, `${show(v)} holds a lone UTF-16 surrogate, which has no UTF-8 form`);
  if ([...v].some((c) => c.codePointAt(0)! > 0xffff)) throw refuse(where, `${show(v)} holds a character above U+FFFF, which sfdisk refuses in GPT names`);
  if (v.length > GPT_NAME_UNITS) throw refuse(where, `${show(v)} is ${v.length} UTF-16 code units long; a GPT name holds ${GPT_NAME_UNITS} (sfdisk would cut it short)`);
  return sfdiskQuote(v);
}

function partitionLine(where: string, gpt: boolean, diskPath: string, p: Partition): string {
  const number = integer(`${where}.number`, p.number, 1);
  const fields = [`start=${integer(`${where}.start`, p.start, 0)}`, `size=${integer(`${where}.size`, p.size, 1)}`];
  if (gpt) {
    fields.push(`type=${matching(`${where}.type`, p.type, GUID, 'a GPT partition type GUID (8-4-4-4-12 hex digits)')}`);
    if (p.uuid !== undefined) fields.push(`uuid=${matching(`${where}.uuid`, p.uuid, GUID, 'a partition GUID (8-4-4-4-12 hex digits)')}`);
    if (p.name !== undefined) fields.push(`name=${gptName(`${where}.name`, p.name)}`);
    if (p.attrs !== undefined) fields.push(`attrs="${attrs(`${where}.attrs`, p.attrs)}"`);
  } else {
    fields.push(`type=${matching(`${where}.type`, p.type, MBR_TYPE, 'an MBR partition type (one hex byte, e.g. 83)')}`);
    if (p.bootable !== undefined && typeof p.bootable !== 'boolean') throw refuse(`${where}.bootable`, `${show(p.bootable)} is not true or false`);
    if (p.bootable) fields.push('bootable');
  }
  // The node names the partition number: sfdisk takes the digits at its end, so gaps in the
  // numbering and MBR logical partitions (5 and up) keep their numbers.
  return `${partitionPath(diskPath, number)} : ${fields.join(', ')}`;
}

/**
 * The sfdisk script that recreates `disk`'s table on `diskPath` (disk already grown if it is
 * to be). `where`: the disk's manifest path, for the messages.
 */
export function sfdiskScript(disk: Disk, diskPath: string, where = `storage.disks (${disk.id})`): string {
  const t = disk.table!;
  if (t.type !== 'gpt' && t.type !== 'dos') throw refuse(`${where}.table.type`, `${show(t.type)} is not gpt or dos`);
  const gpt = t.type === 'gpt';
  const id = gpt ? matching(`${where}.table.id`, t.id, GUID, 'a GPT disk GUID (8-4-4-4-12 hex digits)') : matching(`${where}.table.id`, t.id, MBR_ID, 'an MBR disk identifier (0x and 8 hex digits)');
  const header = [`label: ${t.type}`, `label-id: ${id}`, 'unit: sectors'];
  if (gpt) {
    if (t.firstLba !== undefined) header.push(`first-lba: ${integer(`${where}.table.firstLba`, t.firstLba, 0)}`);
    if (t.lastLba !== undefined) header.push(`last-lba: ${integer(`${where}.table.lastLba`, t.lastLba, 0)}`);
    if (t.tableLength !== undefined) header.push(`table-length: ${integer(`${where}.table.tableLength`, t.tableLength, 1)}`);
  }
  if (!SECTOR_SIZES.includes(disk.logicalSectorSize)) throw refuse(`${where}.logicalSectorSize`, `${show(disk.logicalSectorSize)} is not 512, 1024, 2048 or 4096`);
  header.push(`sector-size: ${disk.logicalSectorSize}`);
  // Sorted by number: MBR primary and extended partitions (1–4) come before the logical ones,
  // which sfdisk can only create once their extended partition exists.
  const parts = (disk.partitions ?? []).map((p, i) => ({ p, where: `${where}.partitions[${i}]` })).sort((a, b) => a.p.number - b.p.number);
  const lines = parts.map(({ p, where: w }) => partitionLine(w, gpt, diskPath, p));
  const script = `${header.join('\n')}\n\n${lines.join('\n')}${lines.length ? '\n' : ''}`;
  // The invariant the checks above give, asserted once more on the result: one header line
  // each, a blank line, then exactly one line per partition.
  if (script.split('\n').length !== header.length + 1 + lines.length + 1) throw new Error(`sfdisk script of ${disk.id}: unexpected line count`);
  return script;
}
