// Renders a volume group of the manifest as LVM2 text metadata, the format of
// /etc/lvm/backup (lvm(8) "vgcfgbackup", lib/format_text/export.c). `vgcfgrestore -f` writes
// it onto PVs created with their old UUIDs: VG and LV UUIDs, extent placement, tags and thin
// pool parameters come back exactly, as ReaR restores LVM. Numbers are in 512-byte sectors.
import { UserError } from '../../../core/errors.ts';
import type { LvmLogicalVolume, LvmSegment, LvmVolumeGroup } from '../../../core/manifest/types.gen.ts';

const SECTOR = 512;

export interface RenderOptions {
  /** Thin pools and thin LVs left out; each pool's metadata LV made visible under tempMetaName (see plan.ts). */
  readonly metaOnly?: boolean;
}

/** The visible name a thin pool's metadata LV gets while thin_restore formats it. */
export const tempMetaName = (pool: string): string => `${pool}-sysmanifest-tmeta`;

const q = (s: string): string => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
const list = (xs: readonly string[]): string => `[${xs.map(q).join(', ')}]`;

function sectors(where: string, bytes: number): number {
  if (bytes % SECTOR !== 0) throw new UserError('REFUSED', `${where}: ${bytes} bytes is not a whole number of 512-byte sectors`);
  return bytes / SECTOR;
}

/** PV key in the metadata ("pv0"…) by the manifest id of the device it is on. */
function pvKeys(vg: LvmVolumeGroup): Map<string, string> {
  return new Map((vg.pvs ?? []).map((pv, i) => [pv.on, `pv${i}`]));
}

/** Extents the manifest's segments use on each PV: the smallest PV that holds them. */
export function usedExtents(vg: LvmVolumeGroup): Map<string, number> {
  const used = new Map<string, number>((vg.pvs ?? []).map((pv) => [pv.on, 0]));
  for (const lv of vg.lvs ?? []) for (const seg of lv.segments) for (const a of seg.areas ?? []) if (a.pv !== undefined) used.set(a.pv, Math.max(used.get(a.pv) ?? 0, a.end + 1));
  return used;
}

/** Thin LVs of each pool, in name order: their device ids in the pool are 1, 2, … (see thinRestoreXml). */
export function thinLvsOf(vg: LvmVolumeGroup, pool: string): LvmLogicalVolume[] {
  return (vg.lvs ?? []).filter((lv) => lv.pool === pool && lv.segments.some((s) => s.type === 'thin'));
}

function segmentLines(where: string, vg: LvmVolumeGroup, lv: LvmLogicalVolume, seg: LvmSegment, extent: number): string[] {
  const keys = pvKeys(vg);
  const out = [`start_extent = ${seg.start / extent}`, `extent_count = ${seg.size / extent}`];
  switch (seg.type) {
    case 'linear':
    case 'striped': {
      const areas = seg.areas ?? [];
      if (areas.some((a) => a.pv === undefined)) throw new UserError('REFUSED', `${where}: a ${seg.type} segment on another LV`);
      out.push('type = "striped"', `stripe_count = ${areas.length}`);
      if (areas.length > 1) out.push(`stripe_size = ${sectors(where, seg.stripeSize ?? 0)}`);
      out.push(`stripes = [${areas.map((a) => `${q(keys.get(a.pv!)!)}, ${a.start}`).join(', ')}]`);
      return out;
    }
    case 'thin-pool': {
      const thins = thinLvsOf(vg, lv.name);
      out.push('type = "thin-pool"', `metadata = ${q(lv.metadataLv ?? `${lv.name}_tmeta`)}`, `pool = ${q(lv.dataLv ?? `${lv.name}_tdata`)}`);
      out.push(`transaction_id = ${thins.length}`, `chunk_size = ${sectors(where, lv.chunkSize ?? 0)}`);
      if (lv.discards !== undefined) out.push(`discards = ${q(lv.discards)}`);
      out.push(`zero_new_blocks = ${lv.zero === true ? 1 : 0}`);
      return out;
    }
    case 'thin': {
      const pool = lv.pool!;
      const n = thinLvsOf(vg, pool).findIndex((t) => t.name === lv.name);
      out.push('type = "thin"', `thin_pool = ${q(pool)}`, `transaction_id = ${n}`, `device_id = ${n + 1}`);
      return out;
    }
    default:
      throw new UserError('REFUSED', `${where}: segment type ${seg.type} cannot be recreated yet`);
  }
}

function isThinPart(vg: LvmVolumeGroup, lv: LvmLogicalVolume): boolean {
  const pools = (vg.lvs ?? []).filter((l) => l.segments.some((s) => s.type === 'thin-pool'));
  return lv.segments.some((s) => s.type === 'thin' || s.type === 'thin-pool') || pools.some((p) => p.dataLv === lv.name || p.metadataLv === lv.name) || /_pmspare$/.test(lv.name);
}

/**
 * VG and LV names are written unquoted as section names, and tags inside quotes: each must be
 * what LVM itself accepts (lvm(8) VALID NAMES: A-Z a-z 0-9 + _ . -, not starting with -, not
 * . or .., at most 127 characters; tags also / = ! : & #), checked here whatever the schema
 * said, so that a value can never add a section or a line to the metadata.
 */
const LVM_NAME = /^(?!\.\.?$)[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$/;
const LVM_TAG = /^[A-Za-z0-9_+.\-/=!:&#]{1,1024}$/;

function checkNames(where: string, vg: LvmVolumeGroup): void {
  const bad = (what: string, v: string): never => {
    throw new UserError('REFUSED', `${where}: ${what} ${JSON.stringify(v)} is not a name LVM accepts (A-Z a-z 0-9 + _ . -, not starting with -, not . or .., at most 127 characters)`);
  };
  if (!LVM_NAME.test(vg.name)) bad('VG name', vg.name);
  for (const t of vg.tags ?? []) if (!LVM_TAG.test(t)) bad('VG tag', t);
  for (const lv of vg.lvs ?? []) {
    if (!LVM_NAME.test(lv.name)) bad('LV name', lv.name);
    for (const t of lv.tags ?? []) if (!LVM_TAG.test(t)) bad('LV tag', t);
    for (const ref of [lv.pool, lv.dataLv, lv.metadataLv]) if (ref !== undefined && !LVM_NAME.test(ref)) bad('LV name', ref);
    for (const seg of lv.segments) for (const a of seg.areas ?? []) if (a.lv !== undefined && !LVM_NAME.test(a.lv)) bad('LV name', a.lv);
  }
  for (const pv of vg.pvs ?? []) for (const t of pv.tags ?? []) if (!LVM_TAG.test(t)) bad('PV tag', t);
}

export function renderVgMetadata(where: string, vg: LvmVolumeGroup, o: RenderOptions = {}): string {
  checkNames(where, vg);
  const extent = vg.extentSize;
  if (extent === undefined || vg.uuid === undefined) throw new UserError('REFUSED', `${where}: the VG's ${extent === undefined ? 'extent size' : 'uuid'} was not captured`);
  const used = usedExtents(vg);
  const L: string[] = [];
  const block = (depth: number, name: string, body: () => void): void => {
    L.push(`${'\t'.repeat(depth)}${name} {`);
    body();
    L.push(`${'\t'.repeat(depth)}}`);
  };
  const line = (depth: number, s: string): void => {
    L.push(`${'\t'.repeat(depth)}${s}`);
  };
  L.push('contents = "Text Format Volume Group"', 'version = 1', '', `description = ${q(`sysmanifest rebuild of ${vg.name}${o.metaOnly ? ' (thin pool metadata only)' : ''}`)}`, '');
  block(0, vg.name, () => {
    line(1, `id = ${q(vg.uuid!)}`);
    line(1, 'seqno = 1');
    line(1, 'format = "lvm2"');
    line(1, 'status = ["RESIZEABLE", "READ", "WRITE"]');
    line(1, 'flags = []');
    if (vg.tags?.length) line(1, `tags = ${list(vg.tags)}`);
    if (vg.systemId !== undefined) line(1, `system_id = ${q(vg.systemId)}`);
    line(1, `extent_size = ${sectors(where, extent)}`);
    line(1, `max_lv = ${vg.maxLv ?? 0}`);
    line(1, `max_pv = ${vg.maxPv ?? 0}`);
    const copies = vg.metadataCopies ?? 'unmanaged';
    if (!/^(unmanaged|\d+)$/.test(copies)) throw new UserError('REFUSED', `${where}: vg metadata copies "${copies}" cannot be written into metadata`);
    line(1, `metadata_copies = ${copies === 'unmanaged' ? 0 : copies}`);
    if (vg.allocationPolicy !== undefined && vg.allocationPolicy !== 'normal') line(1, `allocation_policy = ${q(vg.allocationPolicy)}`);
    L.push('');
    block(1, 'physical_volumes', () => {
      (vg.pvs ?? []).forEach((pv, i) => {
        L.push('');
        block(2, `pv${i}`, () => {
          const peStart = sectors(where, pv.peStart ?? 2048 * SECTOR);
          // The smallest PV that holds the used extents; pvresize then gives it the whole
          // device (the manifest does not pin PV sizes: a larger target keeps free space).
          const peCount = Math.max(used.get(pv.on) ?? 0, 1);
          line(3, `id = ${q(pv.uuid)}`);
          line(3, 'status = ["ALLOCATABLE"]');
          line(3, 'flags = []');
          if (pv.tags?.length) line(3, `tags = ${list(pv.tags)}`);
          line(3, `dev_size = ${peStart + peCount * sectors(where, extent)}`);
          line(3, `pe_start = ${peStart}`);
          line(3, `pe_count = ${peCount}`);
          if (pv.bootloaderAreaSize !== undefined) throw new UserError('REFUSED', `${where}: PV ${pv.on} has a bootloader area, which is not recreated yet`);
        });
      });
    });
    const lvs = (vg.lvs ?? []).filter((lv) => !o.metaOnly || !isThinPart(vg, lv) || (vg.lvs ?? []).some((p) => p.metadataLv === lv.name));
    if (lvs.length === 0) return;
    L.push('');
    block(1, 'logical_volumes', () => {
      for (const lv of lvs) {
        const pool = o.metaOnly ? (vg.lvs ?? []).find((p) => p.metadataLv === lv.name) : undefined;
        L.push('');
        block(2, pool ? tempMetaName(pool.name) : lv.name, () => {
          line(3, `id = ${q(lv.uuid)}`);
          line(3, `status = ${list(lv.hidden && !pool ? ['READ', 'WRITE'] : ['READ', 'WRITE', 'VISIBLE'])}`);
          line(3, 'flags = []');
          if (lv.tags?.length) line(3, `tags = ${list(lv.tags)}`);
          if (lv.allocationPolicy !== undefined && lv.allocationPolicy !== 'inherit') line(3, `allocation_policy = ${q(lv.allocationPolicy)}`);
          if (lv.readAhead !== undefined && lv.readAhead !== 'auto') line(3, `read_ahead = ${sectors(where, Number(lv.readAhead))}`);
          line(3, `segment_count = ${lv.segments.length}`);
          lv.segments.forEach((seg, k) => {
            L.push('');
            block(3, `segment${k + 1}`, () => {
              for (const s of segmentLines(`${where} LV ${lv.name}`, vg, lv, seg, extent)) line(4, s);
            });
          });
        });
      }
    });
  });
  return `${L.join('\n')}\n`;
}

/**
 * thin_restore(8) XML for a thin pool: an empty pool whose transaction id and thin device
 * ids match the metadata rendered above. The thin volumes come back empty (reads give
 * zeros), as they would after lvcreate; only their mappings in the pool are recreated.
 */
export function thinRestoreXml(where: string, vg: LvmVolumeGroup, pool: LvmLogicalVolume): string {
  const chunk = sectors(where, pool.chunkSize ?? 0);
  if (chunk === 0) throw new UserError('REFUSED', `${where}: thin pool ${pool.name} has no chunk size`);
  const thins = thinLvsOf(vg, pool.name);
  const devices = thins.map((_, i) => `  <device dev_id="${i + 1}" mapped_blocks="0" transaction="${i}" creation_time="0" snap_time="0">\n  </device>\n`).join('');
  return `<superblock uuid="" time="0" transaction="${thins.length}" version="2" data_block_size="${chunk}" nr_data_blocks="${Math.floor(pool.size / SECTOR / chunk)}">\n${devices}</superblock>\n`;
}
