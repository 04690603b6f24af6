// Mounting the rebuilt tree under the target directory, in mount order: parents before
// children (fstab order is not guaranteed to be that), only local filesystems that the
// manifest created. Only the options that change *what* is mounted are kept (btrfs
// subvol/subvolid): the others (noatime, errors=…) are for the installed system, not for
// restoring into it.
import { joinInside } from '../../core/confine/index.ts';
import type { FstabEntry, Manifest } from '../../core/manifest/types.gen.ts';
import type { PlanContext } from '../../core/plan/context.ts';
import type { Step } from '../../core/plan/types.ts';

const KEEP_OPTION = /^(subvol|subvolid)=/;

const depth = (p: string): number => p.split('/').filter(Boolean).length;

export function mountSteps(m: Manifest, ctx: PlanContext, target: string, mkfsStepOf: (device: string) => string | undefined): Step[] {
  const entries = (m.mounts?.fstab ?? [])
    .map((e, i) => ({ ...e, where: `mounts.fstab[${i}].file` }))
    .filter((e): e is FstabEntry & { device: string; where: string } => e.device !== undefined && mkfsStepOf(e.device) !== undefined)
    .filter((e) => e.file.startsWith('/') && e.vfstype !== 'swap' && !e.options.split(',').includes('noauto'))
    .sort((a, b) => depth(a.file) - depth(b.file) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const steps: Step[] = [];
  let previous: string | undefined;
  for (const e of entries) {
    // The one join of a manifest path to --target: checked, and proven to stay below it.
    const dir = joinInside(target, e.file, e.where);
    const options = e.options.split(',').filter((o) => KEEP_OPTION.test(o));
    const mkdir = `mkdir:${e.file}`;
    const id = `mount:${e.file}`;
    // The mount point of / is on the live system: gone after its reboot, made again on --resume.
    steps.push({ id: mkdir, title: `create mount point ${dir}`, argv: ['mkdir', '-p', '--', dir], risk: 'create', check: { device: dir, probe: {}, directory: dir }, runtime: true, after: previous ? [previous] : [] });
    steps.push({
      id,
      title: `mount ${e.device} (${e.vfstype}) on ${dir}`,
      argv: ['mount', '-t', e.vfstype, ...(options.length ? ['-o', options.join(',')] : []), '--', ctx.devicePath(e.device), dir],
      risk: 'create',
      // A rerun after a crash must not mount it a second time on top of itself; after a reboot
      // of the live system it is mounted again (a runtime step).
      check: { device: ctx.devicePath(e.device), probe: {}, mountedOn: dir },
      runtime: true,
      after: [mkdir, mkfsStepOf(e.device)!],
    });
    previous = id;
  }
  return steps;
}
