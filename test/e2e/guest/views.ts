// The tools' own views of a storage stack, for comparing an original with its rebuild:
// what is random per format or per key (salts, digests), per device (btrfs UUID_SUB) or per
// kernel name (/dev nodes) is left out; everything that was created is kept.
import { readFileSync } from 'node:fs';
import { parseExport, run } from './lib.ts';

export const json = <T>(argv: string[]): T => JSON.parse(run(argv)) as T;

/** luksDump JSON without what is random per format (salts, digests) or per key (keyslot areas are kept: their offsets/sizes are layout). */
export function luks2View(dev: string): unknown {
  const m = json<{ keyslots: Record<string, { kdf: Record<string, unknown> }>; digests: Record<string, Record<string, unknown>> }>(['cryptsetup', 'luksDump', '--dump-json-metadata', dev]);
  for (const k of Object.values(m.keyslots)) delete k.kdf.salt;
  for (const d of Object.values(m.digests)) {
    delete d.salt;
    delete d.digest;
  }
  const b = parseExport(run(['blkid', '-p', '-o', 'export', dev]));
  return { json: m, blkid: { TYPE: b.TYPE, UUID: b.UUID, LABEL: b.LABEL, SUBSYSTEM: b.SUBSYSTEM, VERSION: b.VERSION } };
}

/** LUKS1 luksDump: the header fields, without salts, digests and key material. */
export function luks1View(dev: string): string[] {
  return run(['cryptsetup', 'luksDump', dev])
    .split('\n')
    .filter((l) => /^(Version|Cipher name|Cipher mode|Hash spec|Payload offset|MK bits|UUID):|^Key Slot \d+:|^\s+Iterations:/.test(l))
    .map((l) => l.trim());
}

const LVM = ['--reportformat', 'json', '--units', 'b', '--nosuffix'];
export function lvmView(vg: string): unknown {
  const rows = (argv: string[], key: string): Record<string, string>[] => (json<{ report: Record<string, Record<string, string>[]>[] }>(argv).report[0]![key] ?? []);
  return {
    vgs: rows(['vgs', ...LVM, '-o', 'vg_name,vg_uuid,vg_extent_size,vg_extent_count,vg_tags,vg_mda_copies,max_lv,max_pv,vg_allocation_policy', vg], 'vg'),
    pvs: rows(['pvs', ...LVM, '-o', 'pv_uuid,pe_start,pv_size,dev_size,pv_pe_count,pv_mda_count,pv_mda_size,pv_tags', '-S', `vg_name=${vg}`], 'pv').sort((a, b) => a.pv_uuid!.localeCompare(b.pv_uuid!)),
    lvs: rows(['lvs', ...LVM, '-a', '--segments', '-o', 'lv_name,lv_uuid,lv_size,lv_tags,lv_attr,pool_lv,data_lv,metadata_lv,lv_metadata_size,segtype,seg_start,seg_size,stripes,stripe_size,chunk_size,zero,discards,seg_pe_ranges,thin_id,transaction_id', vg], 'seg')
      // seg_pe_ranges names the PV by its (mapper) path: same mapping names on both sides
      .sort((a, b) => `${a.lv_name}/${a.seg_start}`.localeCompare(`${b.lv_name}/${b.seg_start}`)),
  };
}

export function mdView(md: string): Record<string, string> {
  const d = parseExport(run(['mdadm', '--detail', '--export', md]));
  const k = run(['readlink', '-f', md]).trim().replace('/dev/', '');
  const sys = (f: string): string => readFileSync(`/sys/block/${k}/md/${f}`, 'utf8').trim();
  return {
    uuid: d.MD_UUID!, name: d.MD_NAME!, level: d.MD_LEVEL!, metadata: d.MD_METADATA!, devices: d.MD_DEVICES!,
    component_size: sys('component_size'), chunk_size: sys('chunk_size'), bitmap: sys('bitmap/location'), bitmap_chunk: sys('bitmap/chunksize'),
  };
}

/** blkid -p of a filesystem; a btrfs device's UUID_SUB (per-device id) is reported apart (see its test). */
export function blkidView(dev: string): Record<string, string> {
  const b = parseExport(run(['blkid', '-p', '-o', 'export', dev]));
  delete b.DEVNAME;
  if (b.TYPE === 'btrfs') delete b.UUID_SUB;
  return b;
}

/** sfdisk --json without the device names (the rest is the table: ids, types, names, starts, sizes). */
export function tableView(disk: string): unknown {
  const t = json<{ partitiontable: Record<string, unknown> & { partitions?: Record<string, unknown>[] } }>(['sfdisk', '--json', disk]).partitiontable;
  delete t.device;
  for (const p of t.partitions ?? []) delete p.node;
  return t;
}
