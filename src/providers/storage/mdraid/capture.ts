// Pure: md facts (+ inventory, id map) → manifest entries.
import { ParseError } from '../../../core/errors.ts';
import type { MdArray, MdMember } from '../../../core/manifest/types.gen.ts';
import type { IdMap, Inventory } from '../types.ts';
import type { MdFacts } from './gather.ts';
import { parseBitmapLocation, parseMdDetailExport, parseMdDetailLayout, parseSysInt, splitMdName } from './parse.ts';
import { naturalCompare } from '../../../core/natural.ts';

const SECTOR = 512;
const KIB = 1024;

function idOf(ids: IdMap, kname: string): string {
  const id = ids[kname];
  if (id === undefined) throw new Error(`mdraid: no manifest id for ${kname} (is it in scope?)`);
  return id;
}

/** The kname of a device path mdadm printed (/dev/vdc1), via the inventory. */
function knameOf(inv: Inventory, path: string): string {
  const dev = Object.values(inv.devices).find((d) => d.path === path || `/dev/${d.kname}` === path);
  if (dev === undefined) throw new ParseError('mdadm --detail --export', `member ${path} is not a known block device`);
  return dev.kname;
}

// Levels whose arrays are not self-contained (external metadata containers, IMSM/DDF
// members) or are not RAID at all: a rebuild cannot recreate them from these facts.
const UNSUPPORTED_LEVEL = new Set(['container', 'faulty', 'multipath']);

export function captureMd(facts: MdFacts, inv: Inventory, ids: IdMap): MdArray {
  const id = idOf(ids, facts.dev.kname);
  if (facts.kind === 'unsupported') return { id, unsupported: { reason: facts.reason } };
  const d = parseMdDetailExport(facts.detailExport);
  const layout = parseMdDetailLayout(facts.detail);
  const sys = facts.sys;
  const problems: string[] = [];
  if (UNSUPPORTED_LEVEL.has(d.level)) problems.push(`level ${d.level}`);
  if (d.metadata !== undefined && !/^(0\.90|1\.[012])$/.test(d.metadata)) problems.push(`external metadata ${d.metadata}`);

  const members: Array<MdMember & { kname: string }> = [];
  const spares: string[] = [];
  const offsets = new Map<string, number>();
  for (const dev of d.devices) {
    const kname = knameOf(inv, dev.dev);
    const s = sys.members[kname];
    if (s === undefined) throw new ParseError(`/sys/block/${facts.dev.kname}/md`, `no dev-${kname} for member ${dev.dev}`);
    offsets.set(kname, parseSysInt(s.offset, `/sys/block/${facts.dev.kname}/md/dev-${kname}/offset`) * SECTOR);
    if (typeof dev.role === 'number') members.push({ on: idOf(ids, kname), role: dev.role, kname });
    else if (dev.role === 'spare') spares.push(idOf(ids, kname));
    else problems.push(`member ${dev.dev} is ${dev.role}`);
  }
  members.sort((a, b) => a.role - b.role);
  const distinct = new Set(offsets.values());
  const sameOffset = distinct.size === 1 ? [...distinct][0]! : undefined;

  const chunk = parseSysInt(sys.chunkSize, 'md/chunk_size');
  let bitmap: MdArray['bitmap'];
  if (sys.bitmapLocation !== undefined) {
    const loc = parseBitmapLocation(sys.bitmapLocation);
    const bchunk = sys.bitmapChunkSize !== undefined ? parseSysInt(sys.bitmapChunkSize, 'md/bitmap/chunksize') : 0;
    bitmap = loc.type === 'none' ? { type: 'none' } : { ...loc, ...(bchunk > 0 ? { chunkSize: bchunk } : {}) };
  }
  const names = d.name !== undefined ? splitMdName(d.name) : undefined;
  return {
    id,
    ...(names !== undefined ? { name: names.name } : {}),
    ...(names?.homehost !== undefined ? { homehost: names.homehost } : {}),
    ...(d.uuid !== undefined ? { uuid: d.uuid } : {}),
    level: d.level,
    ...(d.metadata !== undefined ? { metadata: d.metadata } : {}),
    ...(d.raidDevices !== undefined ? { raidDevices: d.raidDevices } : {}),
    ...(chunk > 0 ? { chunkSize: chunk } : {}),
    ...(layout !== undefined ? { layout } : {}),
    componentSize: parseSysInt(sys.componentSize, 'md/component_size') * KIB,
    ...(sameOffset !== undefined ? { dataOffset: sameOffset } : {}),
    ...(bitmap !== undefined ? { bitmap } : {}),
    members: members.map(({ on, role, kname }) => ({ on, role, ...(sameOffset === undefined ? { dataOffset: offsets.get(kname)! } : {}) })),
    ...(spares.length > 0 ? { spares: spares.sort() } : {}),
    ...(problems.length > 0 ? { unsupported: { reason: problems.join('; ') } } : {}),
  };
}

export function captureAllMd(facts: readonly MdFacts[], inv: Inventory, ids: IdMap): MdArray[] {
  return facts.map((f) => captureMd(f, inv, ids)).sort((a, b) => naturalCompare(a.id, b.id));
}
