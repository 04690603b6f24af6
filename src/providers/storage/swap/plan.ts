// Recreate swap areas with their UUID, label, page size and size (mkswap(8)). The size
// argument keeps the captured size on a larger target; bad pages are not copied from the old
// disk but looked for again on the new one (mkswap -c), which is what they meant.
import type { PlanContext } from '../../../core/plan/context.ts';
import type { Step } from '../../../core/plan/types.ts';
import type { Swap } from '../../../core/manifest/types.gen.ts';
import { formatPath } from '../../../core/manifest/validate.ts';
import { mkfsStep, refuseUnsupported } from '../../filesystems/plan.ts';

export function mkswapArgv(s: Swap, device: string, grow = false): string[] {
  return [
    'mkswap',
    ...(s.pageSize !== undefined ? ['-p', String(s.pageSize)] : []),
    ...(s.uuid !== undefined ? ['-U', s.uuid] : []),
    ...(s.label !== undefined ? ['-L', s.label] : []),
    ...(s.badPages ? ['-c'] : []),
    device,
    // Size in KiB: pages × page size (page 0, the header, included); --grow: the whole device.
    ...(!grow && s.pages !== undefined && s.pageSize !== undefined ? [String((s.pages * s.pageSize) / 1024)] : []),
  ];
}

export function plan(ctx: PlanContext): Step[] {
  return (ctx.manifest.storage?.swap ?? []).map((s, i) => {
    refuseUnsupported(formatPath(['storage', 'swap', i]), s);
    const dev = ctx.devicePath(s.on);
    return mkfsStep(ctx, {
      on: s.on,
      title: `swap on ${dev} (${s.on})${s.label ? ` "${s.label}"` : ''}`,
      argv: mkswapArgv(s, dev, ctx.grow.has(s.on)),
      probe: { TYPE: 'swap', ...(s.uuid !== undefined ? { UUID: s.uuid } : {}), ...(s.label !== undefined ? { LABEL: s.label } : {}) },
    });
  });
}
