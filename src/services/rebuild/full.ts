// The system part of a rebuild plan: the selected stages after storage, planned onto the
// target tree, with their preflight (the target is never the live root; base goes only into
// a tree that holds nothing but mount points and lost+found), and the system part of verify.
import { datasetNotices } from '../../providers/system/datasets/stage.ts';
import { dirname, resolve } from 'node:path';
import { realpath } from 'node:fs/promises';
import { UserError } from '../../core/errors.ts';
import type { Manifest } from '../../core/manifest/types.gen.ts';
import type { Plan, Step } from '../../core/plan/types.ts';
import { PROJECT_ROOT } from '../../core/paths.ts';
import type { ReadOnlyRunner } from '../../core/runner/types.ts';
import { systemSteps, unplannedStages, type Stage } from './system.ts';
import { retarget } from './release.ts';
import { buildPlanContext } from '../../core/plan/context.ts';
import type { SystemPlanContext } from '../../providers/types.ts';

export const DEFAULT_CACHE = '/var/cache/sysmanifest/apt';

export interface SystemOptions {
  readonly stages: readonly Stage[];
  readonly mirrors: readonly string[];
  readonly cacheDir: string;
  readonly strict: boolean;
  /** --no-nvram: no EFI boot entry is written (the disks are for another machine). */
  readonly noNvram?: boolean;
  /** Files handed over on the command line (--dotfiles-from, --secrets, --identity). */
  readonly inputs?: SystemPlanContext['inputs'];
  /** --new-identities: the map the storage stage made the disks with. */
  readonly identities?: SystemPlanContext['identities'];
  /** --release NAME: the system comes back on a newer Debian release, /etc and homes merged (release.ts). */
  readonly release?: string;
}

/** argv that runs this installation of sysmanifest (the internal commands of a plan). */
export const selfArgv = (): string[] => [process.execPath, resolve(PROJECT_ROOT, 'bin/sysmanifest.js')];

/** Entries a tree may hold before base installs into it: the storage stage's mount points and lost+found. */
async function leftovers(runner: ReadOnlyRunner, dir: string, depth = 0): Promise<string[]> {
  const out: string[] = [];
  for (const e of await runner.readDir(dir)) {
    const p = `${dir}/${e}`;
    if (e === 'lost+found') continue;
    try {
      await runner.readDir(p);
    } catch {
      out.push(p); // a file, or something that is not a directory
      continue;
    }
    if (depth > 8) out.push(p);
    else out.push(...(await leftovers(runner, p, depth + 1)));
  }
  return out;
}

async function checkTarget(runner: ReadOnlyRunner, target: string, stages: readonly Stage[]): Promise<void> {
  let real: string;
  try {
    real = await realpath(target);
  } catch {
    throw new UserError('REFUSED', `--target ${target}: no such directory`, { hint: 'rebuild the storage first (its stage mounts the tree there), or give --target' });
  }
  if (real === '/') throw new UserError('REFUSED', `--target ${target} is the live system's own root; refusing to install a system over it`);
  if (stages.includes('base') && !stages.includes('storage')) {
    const left = await leftovers(runner, real);
    if (left.length) {
      throw new UserError('REFUSED', `--target ${target} is not empty (${left.slice(0, 5).join(', ')}${left.length > 5 ? ` and ${left.length - 5} more` : ''}); the base stage installs only into an empty tree`, {
        hint: 'give the mounted, freshly rebuilt tree, or an empty directory',
      });
    }
  }
}

/** The plan with the system stages' steps appended (after the storage steps). */
export async function systemPlan(runner: ReadOnlyRunner, m: Manifest, file: string, plan: Plan, o: SystemOptions): Promise<Plan> {
  const missing = unplannedStages(o.stages.filter((s) => s !== 'storage'));
  const system = o.stages.filter((s) => s !== 'storage' && s !== 'verify');
  if (missing.length) {
    throw new UserError('REFUSED', `stage${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: not in this version of sysmanifest yet; nothing was written`, {
      hint: 'choose the stages that exist with --stage (storage, base, packages, etc, homes, boot, verify)',
    });
  }
  if (system.length === 0) return plan;
  if (!o.stages.includes('storage')) await checkTarget(runner, plan.target, o.stages);
  const release = o.release === undefined ? undefined : { from: m.host.os?.codename ?? '?', to: o.release, manifestFile: resolve(file) };
  const ctx: SystemPlanContext = { manifest: o.release === undefined ? m : retarget(m, o.release), target: plan.target, hostDir: dirname(resolve(file)), mirrors: o.mirrors, cacheDir: o.cacheDir, inputs: o.inputs ?? {}, ...(o.identities ? { identities: o.identities } : {}), ...(release ? { release } : {}) };
  const storage = buildPlanContext(m, plan.disks, new Set());
  const boot = { disks: plan.disks, devicePath: (id: string) => storage.devicePath(id), noNvram: o.noNvram === true };
  const steps: Step[] = systemSteps(ctx, o.stages, { cli: selfArgv(), strict: o.strict, repo: resolve(ctx.hostDir, '../..'), boot });
  const last = plan.steps.at(-1)?.id;
  const first = new Set(steps.filter((s) => s.after.length === 0).map((s) => s.id));
  const notices = [
    ...(release ? [`--release ${release.to}: Debian ${release.to} with the captured package set (what ${release.to} no longer has is reported, what it replaces by one other package is installed under the new name); /etc and the homes are merged onto ${release.to}'s defaults, not checked out as they were — after the first boot, sysmanifest merge status lists what still needs a decision`] : []),
    ...(o.stages.includes('packages') ? packageNotices(m) : []), ...(o.stages.includes('datasets') ? datasetNotices(m.datasets ?? []) : [])];
  return { ...plan, ...(notices.length ? { notices } : {}), steps: [...plan.steps, ...steps.map((s) => (last && first.has(s.id) ? { ...s, after: [last] } : s))] };
}

/** Captured package systems beside apt that the packages stage does not install (yet). */
function packageNotices(m: Manifest): string[] {
  const refs = m.packages?.extra?.flatpak ?? [];
  if (refs.length === 0) return [];
  const remotes = m.packages?.extra?.flatpakRemotes ?? [];
  const names = refs.slice(0, 4).map((r) => r.ref.split('/')[1]).join(', ');
  return [
    `packages.extra.flatpak: ${refs.length} flatpak ref(s) (${names}${refs.length > 4 ? ', …' : ''}) are not reinstalled by this version; ` +
      `after the first boot add the remotes (${remotes.map((r) => `${r.name} ${r.url}`).join('; ') || 'as captured'}) with flatpak remote-add, then flatpak install each ref (the manifest lists them)`,
  ];
}
