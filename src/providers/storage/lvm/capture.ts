// Pure: LVM reports (+ inventory, id map, scope) → one manifest entry per VG.
import { UserError } from '../../../core/errors.ts';
import type { LvmArea, LvmLogicalVolume, LvmPhysicalVolume, LvmSegment, LvmVolumeGroup } from '../../../core/manifest/types.gen.ts';
import type { IdMap, Inventory } from '../types.ts';
import type { LvmFacts } from './gather.ts';
import { field, intField, lvName, parseLeRanges, parseLvmReport, tags, type LvmRow } from './parse.ts';
import { naturalCompare } from '../../../core/natural.ts';

const W_VGS = 'lvm vgs';
const W_PVS = 'lvm pvs';
const W_LVS = 'lvm lvs --segments';

/** Segment types a rebuild knows how to recreate; others are recorded, and the LV marked unsupported. */
const REBUILDABLE = new Set(['linear', 'striped', 'thin-pool', 'thin']);

const byName = (a: string, b: string): number => naturalCompare(a, b);

interface Pv {
  readonly row: LvmRow;
  readonly kname?: string;
}

// lvm's pv_name (/dev/md126, /dev/mapper/…) is a fact of one boot: md numbers and dm
// names may change, so the PV is identified by `on` and its uuid only.
function capturePv(pv: Pv, ids: IdMap): LvmPhysicalVolume {
  const r = pv.row;
  const t = tags(field(r, 'pv_tags', W_PVS));
  const ba = intField(r, 'pv_ba_size', W_PVS);
  return {
    on: ids[pv.kname!]!,
    uuid: field(r, 'pv_uuid', W_PVS),
    peStart: intField(r, 'pe_start', W_PVS),
    metadataCopies: intField(r, 'pv_mda_count', W_PVS),
    metadataSize: intField(r, 'pv_mda_size', W_PVS),
    ...(ba > 0 ? { bootloaderAreaSize: ba } : {}),
    ...(t.length > 0 ? { tags: t } : {}),
  };
}

function captureSegment(r: LvmRow, pvIdByName: ReadonlyMap<string, string>): LvmSegment {
  const stripes = intField(r, 'stripes', W_LVS);
  const stripeSize = intField(r, 'stripe_size', W_LVS);
  const regionSize = intField(r, 'region_size', W_LVS);
  const areas = parseLeRanges(field(r, 'seg_le_ranges', W_LVS), W_LVS).flatMap((a): LvmArea[] => {
    if (a.isLv) return [{ lv: a.name, start: a.start, end: a.end }];
    const pv = pvIdByName.get(a.name);
    // A PV outside the captured devices has no id; its VG is marked unsupported.
    return pv === undefined ? [] : [{ pv, start: a.start, end: a.end }];
  });
  return {
    start: intField(r, 'seg_start', W_LVS),
    size: intField(r, 'seg_size', W_LVS),
    type: field(r, 'segtype', W_LVS),
    ...(stripes > 0 ? { stripes } : {}),
    ...(stripeSize > 0 ? { stripeSize } : {}),
    ...(regionSize > 0 ? { regionSize } : {}),
    ...(areas.length > 0 ? { areas } : {}),
  };
}

function captureLv(vg: string, rows: readonly LvmRow[], pvIdByName: ReadonlyMap<string, string>): LvmLogicalVolume {
  const first = rows[0]!;
  const { name, hidden } = lvName(field(first, 'lv_name', W_LVS));
  const segments = rows.map((r) => captureSegment(r, pvIdByName)).sort((a, b) => a.start - b.start);
  const types = [...new Set(segments.map((s) => s.type))];
  const isPool = types.includes('thin-pool');
  const t = tags(field(first, 'lv_tags', W_LVS));
  const pool = field(first, 'pool_lv', W_LVS);
  const other = types.filter((x) => !REBUILDABLE.has(x));
  return {
    name,
    id: `${vg}/${name}`,
    uuid: field(first, 'lv_uuid', W_LVS),
    ...(hidden ? { hidden: true as const } : {}),
    size: intField(first, 'lv_size', W_LVS),
    ...(t.length > 0 ? { tags: t } : {}),
    allocationPolicy: field(first, 'lv_allocation_policy', W_LVS),
    readAhead: field(first, 'lv_read_ahead', W_LVS),
    ...(pool !== '' ? { pool: lvName(pool).name } : {}),
    ...(isPool
      ? {
          chunkSize: intField(first, 'chunk_size', W_LVS),
          metadataSize: intField(first, 'lv_metadata_size', W_LVS),
          dataLv: lvName(field(first, 'data_lv', W_LVS)).name,
          metadataLv: lvName(field(first, 'metadata_lv', W_LVS)).name,
          // A binary field: lvm prints the field's name when set and "" when not (lvmreport(7)).
          zero: field(first, 'zero', W_LVS) === 'zero',
          discards: field(first, 'discards', W_LVS),
        }
      : {}),
    segments,
    ...(other.length > 0 ? { unsupported: { reason: `segment type ${other.join(', ')} cannot be rebuilt yet` } } : {}),
  };
}

export function captureLvm(facts: LvmFacts, inv: Inventory, ids: IdMap, scope: ReadonlySet<string>): LvmVolumeGroup[] {
  const vgRows = parseLvmReport(facts.vgs, 'vg', W_VGS);
  const pvRows = parseLvmReport(facts.pvs, 'pv', W_PVS);
  const segRows = parseLvmReport(facts.lvs, 'seg', W_LVS);

  // PVs are matched to devices by major:minor (a kernel fact), not by lvm's device name.
  const byMajMin = new Map(Object.values(inv.devices).map((d) => [d.majMin, d.kname]));
  const pvs: Pv[] = pvRows.map((row) => {
    const kname = byMajMin.get(`${intField(row, 'pv_major', W_PVS)}:${intField(row, 'pv_minor', W_PVS)}`);
    return kname !== undefined ? { row, kname } : { row };
  });
  const inScope = (pv: Pv): boolean => pv.kname !== undefined && scope.has(pv.kname) && ids[pv.kname] !== undefined;

  const out: LvmVolumeGroup[] = [];
  for (const vg of vgRows) {
    const name = field(vg, 'vg_name', W_VGS);
    const mine = pvs.filter((p) => field(p.row, 'vg_name', W_PVS) === name);
    if (!mine.some(inScope)) continue; // a VG of other disks: not ours to capture
    const problems: string[] = [];
    // By PV uuid: device names are facts of one boot and would make the reason change by itself.
    const outside = mine.filter((p) => !inScope(p)).map((p) => `PV ${field(p.row, 'pv_uuid', W_PVS)}`);
    if (outside.length > 0) problems.push(`PVs outside the captured devices or missing: ${outside.join(', ')}`);
    const lockType = field(vg, 'vg_lock_type', W_VGS);
    if (lockType !== '') problems.push(`shared VG (lock type ${lockType})`);

    const pvIdByName = new Map(mine.filter(inScope).map((p) => [field(p.row, 'pv_name', W_PVS), ids[p.kname!]!]));
    const lvRows = new Map<string, LvmRow[]>();
    for (const r of segRows.filter((s) => field(s, 'vg_name', W_LVS) === name)) {
      const uuid = field(r, 'lv_uuid', W_LVS);
      lvRows.set(uuid, [...(lvRows.get(uuid) ?? []), r]);
    }
    const systemId = field(vg, 'vg_systemid', W_VGS);
    const t = tags(field(vg, 'vg_tags', W_VGS));
    out.push({
      name,
      uuid: field(vg, 'vg_uuid', W_VGS),
      extentSize: intField(vg, 'vg_extent_size', W_VGS),
      allocationPolicy: field(vg, 'vg_allocation_policy', W_VGS),
      maxLv: intField(vg, 'max_lv', W_VGS),
      maxPv: intField(vg, 'max_pv', W_VGS),
      metadataCopies: field(vg, 'vg_mda_copies', W_VGS),
      ...(systemId !== '' ? { systemId } : {}),
      ...(t.length > 0 ? { tags: t } : {}),
      pvs: mine.filter(inScope).map((p) => capturePv(p, ids)).sort((a, b) => byName(a.on, b.on)),
      lvs: [...lvRows.values()].map((rows) => captureLv(name, rows, pvIdByName)).sort((a, b) => byName(a.name, b.name)),
      ...(problems.length > 0 ? { unsupported: { reason: problems.join('; ') } } : {}),
    });
  }

  const orphans = pvs.filter((p) => inScope(p) && field(p.row, 'vg_name', W_PVS) === '');
  if (orphans.length > 0) {
    out.push({
      name: '#orphans_lvm2',
      pvs: orphans.map((p) => capturePv(p, ids)).sort((a, b) => byName(a.on, b.on)),
      unsupported: { reason: 'PVs that belong to no volume group are recorded but not rebuilt' },
    });
  }

  const unreadable = facts.devices.filter((d) => d.unreadable !== undefined);
  if (unreadable.length > 0) {
    out.push({ name: '#unreadable', unsupported: { reason: unreadable.map((d) => `${ids[d.kname] ?? d.kname}: ${d.unreadable}`).join('; ') } });
  }

  // blkid says PV, lvm does not list it: filtered by lvm.conf or a devices file, or a
  // duplicate. Capturing without it would silently lose a VG: fail closed.
  const seen = new Set(pvs.map((p) => p.kname));
  const unseen = facts.devices.filter((d) => d.unreadable === undefined && !seen.has(d.kname));
  if (unseen.length > 0) {
    throw new UserError('DEVICE', `lvm does not report ${unseen.map((d) => d.path).join(', ')} although blkid or an active LV says it is an LVM PV`, {
      hint: 'check lvm.conf devices/filter and the devices file (lvmdevices), or duplicate PVs (pvs -a)',
    });
  }
  return out.sort((a, b) => byName(a.name, b.name));
}
