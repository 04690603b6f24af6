// The system stages of a rebuild (after storage): which stages run, and the steps that frame
// them. Pure. The chroot needs /dev, /dev/pts, /proc and /sys of the live system, the apt
// cache (--cache) on the target's /var/cache/apt/archives so that every package is
// downloaded once, and every file:// mirror at its own path inside the target: those are
// runtime steps (gone after a reboot of the live system, redone on --resume) and are undone
// at the end, innermost first.
import { UserError } from '../../core/errors.ts';
import { joinInside } from '../../core/confine/index.ts';
import type { Step } from '../../core/plan/types.ts';
import { planBase, planPackages } from '../../providers/system/apt/stage.ts';
import { planEtc } from '../../providers/system/etc/stage.ts';
import { planHomes } from '../../providers/system/dotfiles/stage.ts';
import { planBoot, type BootDisks } from '../../providers/system/boot/stage.ts';
import { planDatasets } from '../../providers/system/datasets/stage.ts';
import { planUsers } from '../../providers/system/secrets/stage.ts';
import { SYSTEM_STAGES, type SystemPlanContext, type SystemStage } from '../../providers/types.ts';

export const ALL_STAGES = ['storage', ...SYSTEM_STAGES, 'verify'] as const;
export type Stage = (typeof ALL_STAGES)[number];

/** Stages that are planned in this version; the others are refused by name, never skipped silently. */
const PLANNED: ReadonlySet<Stage> = new Set<Stage>([...ALL_STAGES]);

/** --stage a,b,…: known names, in rebuild order; absent: every stage. */
export function parseStages(value: string | undefined): Stage[] {
  if (value === undefined) return [...ALL_STAGES];
  const asked = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of asked) if (!(ALL_STAGES as readonly string[]).includes(s)) throw new UserError('USAGE', `--stage ${s}: not a stage (stages: ${ALL_STAGES.join(', ')})`);
  if (asked.length === 0) throw new UserError('USAGE', '--stage: name at least one stage');
  return ALL_STAGES.filter((s) => asked.includes(s));
}

/** The stages this version cannot plan yet among those asked for: refused before anything runs. */
export function unplannedStages(stages: readonly Stage[]): Stage[] {
  return stages.filter((s) => !PLANNED.has(s));
}

export interface SystemStepsOptions {
  /** argv that runs this sysmanifest (for its internal commands). */
  readonly cli: readonly string[];
  /** The manifest repository (the etc stage checks /etc out of it). */
  readonly repo: string;
  /** The rebuilt disks (the boot stage installs GRUB onto them); empty without the storage stage. */
  readonly boot?: BootDisks;
  readonly strict: boolean;
}

const mountSteps = (ctx: SystemPlanContext): { up: Step[]; down: Step[] } => {
  const binds: { id: string; title: string; argv: (dir: string) => string[]; at: string }[] = [
    { id: 'dev', title: '/dev', argv: (d) => ['mount', '--bind', '/dev', d], at: '/dev' },
    { id: 'dev/pts', title: '/dev/pts', argv: (d) => ['mount', '--bind', '/dev/pts', d], at: '/dev/pts' },
    { id: 'proc', title: '/proc', argv: (d) => ['mount', '-t', 'proc', 'proc', d], at: '/proc' },
    { id: 'sys', title: '/sys', argv: (d) => ['mount', '-t', 'sysfs', 'sysfs', d], at: '/sys' },
    { id: 'cache', title: `the apt cache ${ctx.cacheDir}`, argv: (d) => ['mount', '--bind', ctx.cacheDir, d], at: '/var/cache/apt/archives' },
    ...ctx.mirrors
      .filter((u) => u.startsWith('file:///'))
      .map((u) => {
        const dir = decodeURIComponent(u.slice('file://'.length)).replace(/\/+$/, '');
        return { id: `mirror:${dir}`, title: `the mirror ${dir}`, argv: (d: string) => ['mount', '--bind', '-o', 'ro', dir, d], at: dir };
      }),
  ];
  const up: Step[] = [];
  const down: Step[] = [];
  let previous: string | undefined;
  for (const b of binds) {
    const dir = joinInside(ctx.target, b.at);
    const mk = `chroot-dir:${b.id}`;
    up.push({ id: mk, stage: 'chroot', title: `mount point ${dir}`, argv: ['mkdir', '-p', dir], risk: 'create', after: previous ? [previous] : [] });
    const id = `chroot-mount:${b.id}`;
    up.push({ id, stage: 'chroot', title: `${b.title} into the target`, argv: b.argv(dir), risk: 'create', runtime: true, check: { device: '', probe: {}, mountpoint: dir }, after: [mk] });
    down.unshift({ id: `chroot-umount:${b.id}`, stage: 'chroot', title: `unmount ${dir}`, argv: ['umount', dir], risk: 'create', after: [] });
    previous = id;
  }
  return { up, down };
};

/**
 * Every step of the selected system stages, in order, framed by the chroot mounts. `after`
 * links each stage to the one before it, so the applier keeps the stage order.
 */
export function systemSteps(ctx: SystemPlanContext, stages: readonly Stage[], o: SystemStepsOptions): Step[] {
  const parts: Step[][] = [];
  if (stages.includes('base')) parts.push(planBase(ctx));
  const middle: Step[][] = [];
  if (stages.includes('packages')) middle.push(planPackages(ctx, o.cli, o.strict));
  // /etc after the packages: their postinst scripts have run, the captured files win.
  if (stages.includes('etc')) middle.push(planEtc(ctx, o.repo, o.cli));
  if (stages.includes('users')) middle.push(planUsers(ctx, o.cli));
  if (stages.includes('homes')) middle.push(planHomes(ctx, o.cli));
  if (stages.includes('boot')) middle.push(planBoot(ctx, o.cli, o.boot ?? { disks: {}, devicePath: () => '' }));
  // The datasets last: the system is whole (users exist for their owners) before the big data comes.
  if (stages.includes('datasets')) middle.push(planDatasets(ctx, o.cli));
  // The chroot needs /dev, /proc, /sys (and the cache, the mirrors) for apt and for the boot tools.
  if (stages.includes('packages') || stages.includes('boot')) {
    const { up, down } = mountSteps(ctx);
    parts.push(up, ...middle, down);
  } else parts.push(...middle);
  return chain(parts);
}

/**
 * The steps of each part that wait for nothing inside their part wait for the last step of
 * the part before (stage order); dependencies on steps of stages not selected are dropped (the
 * earlier stage ran in an earlier rebuild).
 */
function chain(parts: readonly Step[][]): Step[] {
  const out: Step[] = [];
  const known = new Set<string>();
  let last: string | undefined;
  for (const part of parts) {
    const ids = new Set(part.map((s) => s.id));
    for (const s of part) {
      const inside = s.after.filter((a) => ids.has(a));
      const before = s.after.filter((a) => !ids.has(a) && known.has(a));
      const after = inside.length === 0 && last !== undefined ? [...new Set([...before, last])] : [...inside, ...before];
      out.push({ ...s, after });
    }
    for (const id of ids) known.add(id);
    if (part.length) last = part[part.length - 1]!.id;
  }
  return out;
}
