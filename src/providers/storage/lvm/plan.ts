// Recreate volume groups through their metadata, as ReaR does: pvcreate with the captured PV
// UUID and data layout, then `vgcfgrestore -f FILE` with LVM2 text metadata rendered
// from the manifest (metadata.ts). vgcreate/lvcreate cannot set VG or LV UUIDs nor place
// extents; a metadata restore gives back the VG UUID, every LV UUID (hidden ones too), each
// segment on the same extents of the same PV, tags and thin pool parameters.
//
// Thin pools: a restore writes LVM's metadata only; the pool's own metadata (the kernel's
// B-trees on _tmeta) must agree with it. It is written with thin_restore(8) while the _tmeta
// extents are a visible LV of a first, metadata-only restore; the full restore follows.
//
// Steps per VG:  file:… (metadata text) · pv:<vg>/<pv> (pvcreate) → vg:<vg> (restore) [→ thin steps] → pvresize:<vg>/<pv>
//                → dev:<vg>/<lv> (lvchange -ay, or a read-only lvs for hidden LVs).
import { UserError } from '../../../core/errors.ts';
import type { LvmLogicalVolume, LvmVolumeGroup } from '../../../core/manifest/types.gen.ts';
import { lvMapperPath, stepIds, type PlanContext } from '../../../core/plan/context.ts';
import type { Step } from '../../../core/plan/types.ts';
import { renderVgMetadata, tempMetaName, thinRestoreXml } from './metadata.ts';

const SUPPORTED = new Set(['linear', 'striped', 'thin-pool', 'thin']);
const MiB = 1024 * 1024;

/**
 * vgcfgrestore and thin_restore read only regular files ("/dev/stdin is not a regular
 * file"), so the rendered text is first written here with tee (it reads fd 0 itself: the
 * runner's stdin is a socket, which open("/dev/stdin") refuses with ENXIO). A root-only
 * tmpfs that lives as long as the default state directory, /run/sysmanifest/rebuild.
 * The text is LVM metadata, not a secret.
 */
export const LVM_FILES_DIR = '/run/sysmanifest/lvm';
const DIR_STEP = 'dir:lvm';

function dirStep(): Step {
  return { id: DIR_STEP, title: `make ${LVM_FILES_DIR} for the LVM metadata files`, argv: ['mkdir', '-p', '-m', '0700', LVM_FILES_DIR], risk: 'create', after: [] };
}

function writeFileStep(id: string, title: string, path: string, text: string): Step {
  return { id, title, argv: ['tee', path], input: { kind: 'text', text }, risk: 'create', after: [DIR_STEP] };
}

/**
 * The --dataalignment that makes pvcreate put the first extent at pe_start while keeping the
 * metadata area at its size: pe_start is the first multiple of the alignment after the
 * area, which starts at 4 KiB (lvm(8) pvcreate; LVM's default alignment is 1 MiB, but it
 * follows the device's topology, e.g. an md stripe: so it is always given).
 */
export function dataAlignment(peStart: number, metadataSize: number | undefined): number {
  const end = 4096 + (metadataSize ?? 0);
  for (let a = MiB; a >= 4096; a /= 2) if (peStart % a === 0 && Math.ceil(end / a) * a === peStart) return a;
  // No alignment reproduces both: pe_start wins (the metadata area then grows up to it).
  return peStart;
}

export function pvcreateArgv(where: string, pv: NonNullable<LvmVolumeGroup['pvs']>[number], device: string): string[] {
  // --dataalignment = pe_start puts the first extent exactly there (the first multiple of the
  // alignment after the metadata area); --metadatasize keeps the captured metadata area size.
  const argv = ['pvcreate', '--uuid', pv.uuid, '--norestorefile'];
  if (pv.metadataCopies !== undefined) argv.push('--pvmetadatacopies', String(pv.metadataCopies));
  if (pv.metadataSize !== undefined && pv.metadataCopies !== 0) argv.push('--metadatasize', `${pv.metadataSize}b`);
  if (pv.peStart !== undefined) {
    if (pv.peStart === 0) throw new UserError('REFUSED', `${where}: PV ${pv.on} has its first extent at 0`);
    argv.push('--dataalignment', `${dataAlignment(pv.peStart, pv.metadataCopies === 0 ? 0 : pv.metadataSize)}b`);
  }
  if (pv.tags?.length) for (const t of pv.tags) argv.push('--addtag', t);
  argv.push(device);
  return argv;
}

function refuseUnsupportedVg(where: string, vg: LvmVolumeGroup): void {
  const why = vg.unsupported?.reason ?? (vg.lvs ?? []).map((lv) => (lv.unsupported ? `LV ${lv.name}: ${lv.unsupported.reason}` : undefined)).find((x) => x !== undefined);
  const seg = (vg.lvs ?? []).flatMap((lv) => lv.segments.map((s) => ({ lv, s }))).find(({ s }) => !SUPPORTED.has(s.type));
  if (why !== undefined || seg !== undefined) {
    throw new UserError('REFUSED', `${where} (VG ${vg.name}) cannot be recreated: ${why ?? `LV ${seg!.lv.name} has a ${seg!.s.type} segment`}`, {
      hint: 'sysmanifest recreates linear, striped, thin-pool and thin LVs; recreate this VG by hand, or remove it from the manifest',
    });
  }
}

const isPool = (lv: LvmLogicalVolume): boolean => lv.segments.some((s) => s.type === 'thin-pool');

export function plan(ctx: PlanContext): Step[] {
  const vgs = ctx.manifest.storage?.lvm?.vgs ?? [];
  const steps: Step[] = vgs.length > 0 ? [dirStep()] : [];
  vgs.forEach((vg, i) => {
    const where = `storage.lvm.vgs[${i}]`;
    refuseUnsupportedVg(where, vg);
    const vgStep = `vg:${vg.name}`;
    const pvSteps: string[] = [];
    for (const pv of vg.pvs ?? []) {
      const device = ctx.devicePath(pv.on);
      const ready = ctx.readyStep(pv.on);
      const id = `pv:${vg.name}/${pv.on}`;
      pvSteps.push(id);
      steps.push({
        id,
        title: `LVM PV on ${device} (${pv.on}) for ${vg.name}`,
        argv: pvcreateArgv(where, pv, device),
        risk: 'create',
        after: ready === undefined ? [] : [ready],
        check: { device, probe: { TYPE: 'LVM2_member', UUID: pv.uuid } },
      });
    }
    const lvs = vg.lvs ?? [];
    const pools = lvs.filter(isPool);
    let restoreAfter = pvSteps;
    // Thin pools first get their kernel metadata, on the _tmeta extents made a visible LV.
    if (pools.length > 0) {
      const file = `${LVM_FILES_DIR}/${vg.name}.tmeta.vg`;
      steps.push(writeFileStep(`file:${file}`, `write ${file}: metadata of ${vg.name} without its thin pools`, file, renderVgMetadata(where, vg, { metaOnly: true })));
      steps.push({
        id: `vg-meta:${vg.name}`,
        title: `LVM metadata of ${vg.name} without its thin pools (their metadata LVs visible, to format them)`,
        argv: ['vgcfgrestore', '-f', file, vg.name],
        risk: 'create',
        after: [...pvSteps, `file:${file}`],
      });
      restoreAfter = [];
      for (const pool of pools) {
        const tmp = `${vg.name}/${tempMetaName(pool.name)}`;
        const dev = lvMapperPath(vg.name, tempMetaName(pool.name));
        steps.push({ id: `tmeta-on:${vg.name}/${pool.name}`, title: `activate the metadata LV of thin pool ${vg.name}/${pool.name} as ${tmp}`, argv: ['lvchange', '--activate', 'y', tmp], risk: 'create', after: [`vg-meta:${vg.name}`], waitFor: [dev] });
        const xml = `${LVM_FILES_DIR}/${vg.name}-${pool.name}.thin.xml`;
        steps.push(writeFileStep(`file:${xml}`, `write ${xml}: thin pool metadata of ${vg.name}/${pool.name}`, xml, thinRestoreXml(where, vg, pool)));
        steps.push({
          id: `thin-restore:${vg.name}/${pool.name}`,
          title: `thin pool metadata of ${vg.name}/${pool.name}: ${lvs.filter((l) => l.pool === pool.name).length} thin volume(s), chunk ${pool.chunkSize} bytes`,
          argv: ['thin_restore', '-i', xml, '-o', dev],
          risk: 'create',
          after: [`tmeta-on:${vg.name}/${pool.name}`, `file:${xml}`],
        });
        steps.push({ id: `tmeta-off:${vg.name}/${pool.name}`, title: `deactivate ${tmp}`, argv: ['lvchange', '--activate', 'n', tmp], risk: 'create', after: [`thin-restore:${vg.name}/${pool.name}`] });
        restoreAfter.push(`tmeta-off:${vg.name}/${pool.name}`);
      }
    }
    const file = `${LVM_FILES_DIR}/${vg.name}.vg`;
    steps.push(writeFileStep(`file:${file}`, `write ${file}: LVM metadata of ${vg.name}`, file, renderVgMetadata(where, vg)));
    steps.push({
      id: vgStep,
      title: `LVM VG ${vg.name} (uuid ${vg.uuid}): ${lvs.filter((l) => !l.hidden).length} LV(s) restored from metadata`,
      // --force: vgcfgrestore refuses thin pools without it (it cannot check their kernel metadata).
      argv: ['vgcfgrestore', ...(pools.length ? ['--force'] : []), '-f', file, vg.name],
      risk: 'create',
      after: [...restoreAfter, `file:${file}`],
    });
    // The metadata holds the smallest PVs that fit the extents: give each PV its whole device.
    const resized: string[] = [];
    for (const pv of vg.pvs ?? []) {
      const id = `pvresize:${vg.name}/${pv.on}`;
      resized.push(id);
      steps.push({ id, title: `PV ${ctx.devicePath(pv.on)}: use the whole device`, argv: ['pvresize', ctx.devicePath(pv.on)], risk: 'create', after: [vgStep] });
    }
    for (const lv of lvs.filter((l) => !l.hidden)) {
      const id = `${vg.name}/${lv.name}`;
      const dev = ctx.devicePath(id);
      const pool = lv.pool !== undefined ? [stepIds.device(`${vg.name}/${lv.pool}`)] : [];
      steps.push({
        id: stepIds.device(id),
        title: `activate ${dev} (${id}, ${lv.segments[0]?.type ?? 'lv'} ${lv.size} bytes)`,
        argv: ['lvchange', '--activate', 'y', id],
        risk: 'create',
        // Activation does not survive a reboot of the live system (a runtime step); the
        // device-mapper node exists exactly while the LV is active.
        runtime: true,
        check: { device: dev, probe: {} },
        after: [...resized, ...pool],
        creates: id,
        waitFor: [dev],
      });
    }
    // Hidden LVs (thin pool data/metadata, the pool metadata spare) came with the restore and
    // their pool's activation; a read-only look confirms each under its captured UUID.
    for (const lv of lvs.filter((l) => l.hidden)) {
      const id = `${vg.name}/${lv.name}`;
      const owner = lvs.find((p) => p.dataLv === lv.name || p.metadataLv === lv.name);
      steps.push({
        id: stepIds.device(id),
        title: `hidden LV ${id} (restored with ${owner ? `thin pool ${owner.name}` : 'the VG'})`,
        argv: ['lvs', '--noheadings', '-o', 'lv_uuid', id],
        risk: 'read',
        after: owner ? [stepIds.device(`${vg.name}/${owner.name}`)] : [vgStep],
        creates: id,
        ...(owner ? { waitFor: [ctx.devicePath(id)] } : {}),
      });
    }
  });
  return steps;
}
