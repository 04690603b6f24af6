// Pure parsers for `lvm vgs|pvs|lvs --reportformat json --units b --nosuffix -o …`
// (lvmreport(7)): {"report": [{"vg"|"pv"|"seg": [{field: "string", …}]}]}. With
// --reportformat json every value is a string; sizes are plain byte counts thanks to
// --units b --nosuffix.
import { ParseError } from '../../../core/errors.ts';

export type LvmRow = Readonly<Record<string, string>>;

export function parseLvmReport(text: string, key: 'vg' | 'pv' | 'seg' | 'lv', what: string): LvmRow[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ParseError(what, (e as Error).message);
  }
  const report = (doc as { report?: unknown }).report;
  if (!Array.isArray(report)) throw new ParseError(what, 'no "report" array');
  const rows: LvmRow[] = [];
  for (const r of report) {
    const list = (r as Record<string, unknown>)[key];
    if (!Array.isArray(list)) throw new ParseError(what, `report entry without "${key}" array`);
    for (const row of list) {
      if (typeof row !== 'object' || row === null) throw new ParseError(what, `${key} row is not an object`);
      for (const [k, v] of Object.entries(row)) if (typeof v !== 'string') throw new ParseError(what, `${key}.${k} is not a string`);
      rows.push(row as LvmRow);
    }
  }
  return rows;
}

/** A field that must be present in every row (we asked for it with -o). */
export function field(row: LvmRow, name: string, what: string): string {
  const v = row[name];
  if (v === undefined) throw new ParseError(what, `missing field ${name}`);
  return v;
}

export function intField(row: LvmRow, name: string, what: string): number {
  const v = field(row, name, what);
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new ParseError(what, `${name}: expected an integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** lvm lists tags comma-separated (tag characters exclude ','). */
export function tags(v: string): string[] {
  return v === '' ? [] : v.split(',').sort();
}

export interface LeRange {
  /** PV device name (/dev/…) or LV name (without brackets). */
  readonly name: string;
  readonly isLv: boolean;
  readonly start: number;
  readonly end: number;
}

/** seg_le_ranges: "/dev/mapper/a:32-39,/dev/mapper/b:20-27" or "[pool_tdata]:0-31"; "" for thin. */
export function parseLeRanges(v: string, what: string): LeRange[] {
  if (v === '') return [];
  return v.split(',').map((part) => {
    const m = /^(.+):(\d+)-(\d+)$/.exec(part);
    if (!m) throw new ParseError(what, `seg_le_ranges: cannot read ${JSON.stringify(part)}`);
    const raw = m[1]!;
    const isLv = !raw.startsWith('/');
    return { name: isLv ? raw.replace(/^\[(.*)\]$/, '$1') : raw, isLv, start: Number(m[2]), end: Number(m[3]) };
  });
}

/** lvm shows internal LVs in brackets: "[pool_tdata]". */
export function lvName(v: string): { name: string; hidden: boolean } {
  const m = /^\[(.*)\]$/.exec(v);
  return m ? { name: m[1]!, hidden: true } : { name: v, hidden: false };
}
