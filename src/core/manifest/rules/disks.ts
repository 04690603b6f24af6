// Disks and partition tables: everything sfdisk would refuse half-way through a rebuild
// (sfdisk(8), "Input format"; the GPT layout of the UEFI spec, chapter 5), refused here first.
import type { Manifest } from '../types.gen.ts';
import { arr, duplicates, isPowerOfTwo, num, rec, str, type Path, type Rec, type RuleIssue } from './util.ts';

const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
const MBR_TYPE = /^[0-9A-Fa-f]{1,2}$/;
/** MBR entries hold 32-bit LBAs. */
const MBR_LIMIT = 2 ** 32;
const EXTENDED_TYPES = new Set(['5', 'f', '85']);

/** Sectors the GPT entry array takes (128 bytes an entry). */
const entrySectors = (entries: number, sector: number): number => Math.ceil((entries * 128) / sector);

function sectorSizes(d: Rec, here: Path): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const logical = num(d.logicalSectorSize);
  const physical = num(d.physicalSectorSize);
  if (logical !== undefined && !isPowerOfTwo(logical)) issues.push({ path: [...here, 'logicalSectorSize'], message: `${logical} is not a power of two (512, 1024, 2048 or 4096)` });
  if (physical !== undefined && !isPowerOfTwo(physical)) issues.push({ path: [...here, 'physicalSectorSize'], message: `${physical} is not a power of two` });
  if (logical !== undefined && physical !== undefined && physical < logical) issues.push({ path: [...here, 'physicalSectorSize'], message: `${physical} is smaller than the logical sector size ${logical}` });
  const size = num(rec(d.match).sizeBytes);
  if (size !== undefined && logical !== undefined && size % logical !== 0) issues.push({ path: [...here, 'match', 'sizeBytes'], message: `${size} is not a whole number of ${logical}-byte sectors` });
  return issues;
}

/** The usable area of the table: what the header says, checked against the disk's size. */
function usableArea(d: Rec, here: Path, issues: RuleIssue[]): { first: number; last: number | undefined } {
  const t = rec(d.table);
  const sector = num(d.logicalSectorSize) ?? 512;
  const size = num(rec(d.match).sizeBytes);
  const sectors = size !== undefined ? Math.floor(size / sector) : undefined;
  if (t.type !== 'gpt') {
    const last = sectors !== undefined ? Math.min(sectors, MBR_LIMIT) - 1 : MBR_LIMIT - 1;
    return { first: 1, last };
  }
  const entries = num(t.tableLength) ?? 128;
  // Protective MBR (LBA 0), header (LBA 1), entry array; the same at the end, backwards.
  const minFirst = 2 + entrySectors(entries, sector);
  const maxLast = sectors !== undefined ? sectors - 2 - entrySectors(entries, sector) : undefined;
  const first = num(t.firstLba) ?? minFirst;
  const last = num(t.lastLba) ?? maxLast;
  const th = [...here, 'table'];
  if (first < minFirst) issues.push({ path: [...th, 'firstLba'], message: `${first} is inside the GPT header and its ${entries}-entry array; the first usable sector is at least ${minFirst}` });
  if (last !== undefined && maxLast !== undefined && last > maxLast)
    issues.push({ path: [...th, 'lastLba'], message: `${last} is past the last sector a GPT can use on a disk of ${size} bytes (${maxLast}); sizeBytes and lastLba contradict each other` });
  if (last !== undefined && last < first) issues.push({ path: [...th, 'lastLba'], message: `${last} is before firstLba ${first}` });
  return { first, last: last !== undefined && maxLast !== undefined ? Math.min(last, maxLast) : last };
}

function tableFormats(d: Rec, here: Path): RuleIssue[] {
  const t = rec(d.table);
  const issues: RuleIssue[] = [];
  const gpt = t.type === 'gpt';
  const id = str(t.id);
  if (id !== undefined && (gpt ? !GUID.test(id) : !/^0x[0-9A-Fa-f]{8}$/.test(id)))
    issues.push({ path: [...here, 'table', 'id'], message: gpt ? 'a GPT disk id is a GUID (8-4-4-4-12 hex digits)' : 'an MBR disk id is 0x and 8 hex digits' });
  if (!gpt) for (const k of ['firstLba', 'lastLba', 'tableLength']) if (t[k] !== undefined) issues.push({ path: [...here, 'table', k], message: 'is for GPT only; this table is dos (MBR)' });
  return issues;
}

function partitionFormats(p: Rec, gpt: boolean, here: Path): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const type = str(p.type);
  if (type !== undefined && (gpt ? !GUID.test(type) : !MBR_TYPE.test(type)))
    issues.push({ path: [...here, 'type'], message: gpt ? 'a GPT partition type is a type GUID (8-4-4-4-12 hex digits)' : 'an MBR partition type is one hex byte (83, 8e, fd …)' });
  const only = gpt ? ['bootable', 'kind'] : ['uuid', 'name', 'attrs', 'attrBits'];
  for (const k of only) if (p[k] !== undefined) issues.push({ path: [...here, k], message: `is for ${gpt ? 'MBR' : 'GPT'} tables only; this table is ${gpt ? 'gpt' : 'dos (MBR)'}` });
  return issues;
}

function mbrKinds(parts: Rec[], here: Path): RuleIssue[] {
  const issues: RuleIssue[] = [];
  let extended: Rec | undefined;
  parts.forEach((p, j) => {
    const n = num(p.number) ?? 0;
    const at = [...here, 'partitions', j];
    const isExt = p.kind === 'extended' || EXTENDED_TYPES.has(String(p.type).toLowerCase());
    if (n > 4 && p.kind !== 'logical') issues.push({ path: [...at, 'number'], message: `MBR partition ${n} is logical (numbers 5 and up); its kind must be logical` });
    if (n <= 4 && p.kind === 'logical') issues.push({ path: [...at, 'number'], message: `a logical MBR partition is numbered 5 and up, not ${n}` });
    if (isExt && n <= 4) {
      if (extended) issues.push({ path: at, message: 'an MBR table has at most one extended partition' });
      extended = p;
    }
  });
  const logical = parts.map((p, j) => ({ p, j })).filter(({ p }) => p.kind === 'logical');
  if (logical.length && !extended) issues.push({ path: [...here, 'partitions', logical[0]!.j], message: 'a logical partition needs an extended partition to hold it' });
  if (extended) {
    const es = num(extended.start) ?? 0;
    const ee = es + (num(extended.size) ?? 0) - 1;
    for (const { p, j } of logical) {
      const s = num(p.start) ?? 0;
      const e = s + (num(p.size) ?? 0) - 1;
      // Each logical partition is preceded by its EBR inside the extended partition.
      if (s <= es || e > ee) issues.push({ path: [...here, 'partitions', j, 'start'], message: `logical partition (sectors ${s}–${e}) lies outside its extended partition (sectors ${es + 1}–${ee})` });
    }
  }
  return issues;
}

/** Overlaps, by sorting: n·log n. An extended partition contains the logical ones by design. */
function overlaps(parts: Rec[], here: Path): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const ranges = (pred: (p: Rec) => boolean): { s: number; e: number; j: number; p: Rec }[] =>
    parts
      .map((p, j) => ({ s: num(p.start) ?? 0, e: (num(p.start) ?? 0) + (num(p.size) ?? 1) - 1, j, p }))
      .filter(({ p }) => pred(p))
      .sort((a, b) => a.s - b.s);
  for (const group of [ranges((p) => p.kind !== 'logical'), ranges((p) => p.kind === 'logical')]) {
    let prev: (typeof group)[number] | undefined;
    for (const r of group) {
      if (prev && r.s <= prev.e)
        issues.push({ path: [...here, 'partitions', r.j, 'start'], message: `overlaps partition ${String(prev.p.id ?? prev.p.number)} (sectors ${prev.s}–${prev.e})` });
      if (!prev || r.e > prev.e) prev = r;
    }
  }
  return issues;
}

export const disksRule = (m: Manifest): RuleIssue[] => {
  const issues: RuleIssue[] = [];
  const disks = arr(rec(m.storage).disks);
  disks.forEach((d, i) => {
    const here: Path = ['storage', 'disks', i];
    issues.push(...sectorSizes(d, here));
    const parts = arr(d.partitions);
    if (d.table === undefined) {
      if (parts.length) issues.push({ path: [...here, 'partitions'], message: 'partitions need a partition table: this disk has no `table`' });
      return;
    }
    const gpt = rec(d.table).type === 'gpt';
    issues.push(...tableFormats(d, here));
    const { first, last } = usableArea(d, here, issues);
    const entries = num(rec(d.table).tableLength) ?? 128;
    issues.push(...duplicates(parts.map((p, j) => [num(p.number), [...here, 'partitions', j, 'number']]), 'partition number'));
    parts.forEach((p, j) => {
      const at: Path = [...here, 'partitions', j];
      issues.push(...partitionFormats(p, gpt, at));
      const n = num(p.number);
      if (gpt && n !== undefined && n > entries) issues.push({ path: [...at, 'number'], message: `${n} is past the ${entries} entries of this GPT (table.tableLength)` });
      const start = num(p.start);
      const len = num(p.size);
      if (start === undefined || len === undefined) return;
      if (start < first) issues.push({ path: [...at, 'start'], message: `starts at sector ${start}, before the first usable sector ${first}` });
      if (last !== undefined && start + len - 1 > last)
        issues.push({ path: [...at, 'size'], message: `ends at sector ${start + len - 1}, past the last usable sector ${last} of disk ${String(d.id)} (${start + len - 1 - last} sectors too many)` });
    });
    if (!gpt) issues.push(...mbrKinds(parts, here));
    issues.push(...overlaps(parts, here));
  });
  return issues;
};
