// What every storage planner needs: where each manifest id will live on the target, and
// which step makes it available. Planners are pure functions (manifest section + this
// context → steps); they never look at the machine themselves.
import { deviceNameInside } from '../confine/index.ts';
import type { Manifest } from '../manifest/types.gen.ts';

export interface PlanContext {
  readonly manifest: Manifest;
  /** Manifest disk id → target disk path (/dev/vdb). */
  readonly disks: Readonly<Record<string, string>>;
  /** Disk ids handed over with --wipe. */
  readonly wipe: ReadonlySet<string>;
  /** Manifest disk id → size in bytes of its target disk (may be larger than captured). */
  readonly diskBytes: Readonly<Record<string, number>>;
  /**
   * --grow: the id (a partition) that takes the extra space of a larger target disk, and so
   * every device stacked on it. Planners of grown devices must not pin sizes derived from
   * the old size (block counts, AG sizes) and let the tool fill the device.
   */
  readonly grow: ReadonlySet<string>;
  /** Device path a manifest id will have on the target. Throws for an unknown id. */
  devicePath(id: string): string;
  /** Id of the step after which the device `id` exists (undefined for whole disks). */
  readyStep(id: string): string | undefined;
}

/** The kernel's partition naming: sda → sda1, nvme0n1 → nvme0n1p1, loop0 → loop0p1, md0 → md0p1. */
export function partitionPath(diskPath: string, n: number): string {
  return /\d$/.test(diskPath) ? `${diskPath}p${n}` : `${diskPath}${n}`;
}

/** LVM's dm name: VG-LV with hyphens inside the names doubled; one /dev/mapper entry, never a path. */
export function lvMapperPath(vg: string, lv: string, where = `LV ${vg}/${lv}`): string {
  return deviceNameInside('/dev/mapper', `${vg.replaceAll('-', '--')}-${lv.replaceAll('-', '--')}`, 'dm', where);
}

/** The step id that makes a device usable, by kind: see readyStep. */
export const stepIds = {
  table: (diskId: string) => `table:${diskId}`,
  device: (id: string) => `dev:${id}`,
} as const;

export interface PlanContextOptions {
  readonly diskBytes?: Readonly<Record<string, number>>;
  readonly grow?: ReadonlySet<string>;
}

export function buildPlanContext(manifest: Manifest, disks: Readonly<Record<string, string>>, wipe: ReadonlySet<string>, options: PlanContextOptions = {}): PlanContext {
  const paths = new Map<string, string>();
  const ready = new Map<string, string | undefined>();
  const s = manifest.storage ?? {};
  for (const d of s.disks ?? []) {
    const path = disks[d.id];
    if (path === undefined) continue;
    paths.set(d.id, path);
    ready.set(d.id, undefined);
    for (const p of d.partitions ?? []) {
      paths.set(p.id, partitionPath(path, p.number));
      ready.set(p.id, stepIds.table(d.id));
    }
  }
  const rec = (x: unknown): Record<string, unknown> => x as Record<string, unknown>;
  // Names from the manifest become /dev entries: one component each, by the tool's rules
  // (core/confine), so that "../vda" can never name another device.
  (s.mdraid ?? []).forEach((md, i) => {
    const id = String(rec(md).id);
    const named = rec(md).name !== undefined;
    paths.set(id, deviceNameInside('/dev/md', named ? rec(md).name : id.replace(/^md-/, ''), 'md', `storage.mdraid[${i}].${named ? 'name' : 'id'}`));
    ready.set(id, stepIds.device(id));
  });
  (s.luks ?? []).forEach((l, i) => {
    const id = String(rec(l).id);
    const named = rec(l).mapping !== undefined;
    paths.set(id, deviceNameInside('/dev/mapper', named ? rec(l).mapping : id, 'dm', `storage.luks[${i}].${named ? 'mapping' : 'id'}`));
    ready.set(id, stepIds.device(id));
  });
  (s.lvm?.vgs ?? []).forEach((vg, i) => {
    const v = rec(vg);
    ((v.lvs as unknown[] | undefined) ?? []).forEach((lv, j) => {
      const id = `${String(v.name)}/${String(rec(lv).name)}`;
      paths.set(id, lvMapperPath(String(v.name), String(rec(lv).name), `storage.lvm.vgs[${i}].lvs[${j}].name`));
      ready.set(id, stepIds.device(id));
    });
  });
  const diskBytes = options.diskBytes ?? Object.fromEntries((s.disks ?? []).map((d) => [d.id, d.match.sizeBytes]));
  return {
    manifest,
    disks,
    wipe,
    diskBytes,
    grow: options.grow ?? new Set(),
    devicePath(id) {
      const p = paths.get(id);
      if (p === undefined) throw new Error(`plan: no target device for id ${id}`);
      return p;
    },
    readyStep(id) {
      if (!ready.has(id)) throw new Error(`plan: unknown id ${id}`);
      return ready.get(id);
    },
  };
}
