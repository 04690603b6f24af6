// What the filesystem planners (and swap) share: picking their entries out of the manifest,
// refusing entries that cannot be recreated, and the shape of a mkfs step.
import { UserError } from '../../core/errors.ts';
import type { Filesystem } from '../../core/manifest/types.gen.ts';
import { formatPath } from '../../core/manifest/validate.ts';
import type { PlanContext } from '../../core/plan/context.ts';
import type { Step } from '../../core/plan/types.ts';

export interface PlannedEntry<T> {
  readonly entry: T;
  /** Manifest path of the entry, for messages: storage.filesystems[3]. */
  readonly where: string;
}

/** The filesystems of `types`, with their manifest paths; an `unsupported` one is refused. */
export function filesystemsOf(ctx: PlanContext, types: readonly Filesystem['type'][]): PlannedEntry<Filesystem>[] {
  const out: PlannedEntry<Filesystem>[] = [];
  (ctx.manifest.storage?.filesystems ?? []).forEach((entry, i) => {
    if (!types.includes(entry.type)) return;
    const where = formatPath(['storage', 'filesystems', i]);
    refuseUnsupported(where, entry);
    out.push({ entry, where });
  });
  return out;
}

export function refuseUnsupported(where: string, entry: { readonly on: string; readonly unsupported?: { readonly reason: string } }): void {
  if (entry.unsupported !== undefined) {
    throw new UserError('REFUSED', `${where} (on ${entry.on}) cannot be recreated: it was captured as unsupported: ${entry.unsupported.reason}`, {
      hint: 'recreate it by hand after the rebuild, or remove the entry from the manifest if it is not needed',
    });
  }
}

/** A captured value the planner's tools cannot reproduce: refused, never planned approximately. */
export function cannotRecreate(where: string, what: string): UserError {
  return new UserError('REFUSED', `${where}: ${what}`, {
    hint: 'this value cannot be set by the mkfs tools sysmanifest drives; edit the manifest if an approximation is acceptable',
  });
}

/** Ready steps of the devices, without the undefined of whole disks. */
export function readyAfter(ctx: PlanContext, ids: readonly string[]): string[] {
  const out: string[] = [];
  for (const id of ids) {
    const s = ctx.readyStep(id);
    if (s !== undefined && !out.includes(s)) out.push(s);
  }
  return out;
}

export const mkfsStepId = (on: string): string => `mkfs:${on}`;

/** Is `id` a whole disk of the manifest (not a partition or a mapped device)? */
export function isWholeDisk(ctx: PlanContext, id: string): boolean {
  return (ctx.manifest.storage?.disks ?? []).some((d) => d.id === id);
}

/** The step that makes the filesystem: resumable because blkid can tell whether it finished. */
export function mkfsStep(ctx: PlanContext, o: { on: string; devices?: readonly string[]; title: string; argv: string[]; probe: Record<string, string> }): Step {
  return {
    id: mkfsStepId(o.on),
    title: o.title,
    argv: o.argv,
    risk: 'create',
    after: readyAfter(ctx, o.devices ?? [o.on]),
    creates: o.on,
    check: { device: ctx.devicePath(o.on), probe: o.probe },
  };
}

/** The UUID/TYPE a finished mkfs leaves behind, as blkid -p reports them. */
export function probeOf(type: string, uuid: string | undefined): Record<string, string> {
  return uuid === undefined ? { TYPE: type } : { TYPE: type, UUID: uuid };
}
