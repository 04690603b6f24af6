// plan: manifest + the facts of this machine's disks → a Plan (pure data). Read-only: it
// holds a ReadOnlyRunner, and showing a plan changes nothing on any disk.
import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { UserError } from '../../core/errors.ts';
import { parseManifest, readManifestText } from '../../core/manifest/load.ts';
import type { Manifest } from '../../core/manifest/types.gen.ts';
import { buildPlanContext } from '../../core/plan/context.ts';
import { orderSteps } from '../../core/plan/order.ts';
import { PLAN_VERSION, type Plan, type Step } from '../../core/plan/types.ts';
import type { ReadOnlyRunner } from '../../core/runner/types.ts';
import { gatherIdentity, grownManifest, lastPartitionIds, type DiskIdentity } from '../../providers/storage/disks/index.ts';
import { gatherInventory } from '../../providers/storage/inventory/gather.ts';
import type { Inventory } from '../../providers/storage/types.ts';
import { storageProviders } from '../../providers/registry.ts';
import { matchDisks, type MapOption } from './match.ts';
import { mountSteps } from './mounts.ts';
import { plannedIdentities } from './identities.ts';
import { preflightProblems } from './preflight.ts';

export const DEFAULT_TARGET = '/mnt/sysmanifest';

export interface PlanOptions {
  readonly maps: readonly MapOption[];
  /** Manifest disk ids (or captured paths) handed over for erasing. */
  readonly wipe: readonly string[];
  readonly target: string;
  /**
   * --grow: ids (a partition; the layers stacked on it follow) that take the extra space of
   * a larger target, or "last": the last partition of every disk (see lastPartitionIds).
   */
  readonly grow?: readonly string[];
}

/** Resolves --grow values to manifest ids: "last", or any id the manifest declares. */
export function resolveGrow(m: Manifest, grow: readonly string[]): Set<string> {
  const disks = m.storage?.disks ?? [];
  const parts = disks.flatMap((d) => (d.partitions ?? []).map((p) => p.id));
  const s = m.storage ?? {};
  const known = new Set([...parts, ...(s.mdraid ?? []).map((x) => x.id), ...(s.luks ?? []).map((x) => x.id), ...(s.lvm?.vgs ?? []).flatMap((vg) => (vg.lvs ?? []).map((lv) => `${vg.name}/${lv.name}`))]);
  const out = new Set<string>();
  for (const g of grow) {
    if (g === 'last') {
      for (const id of lastPartitionIds(disks)) out.add(id);
      continue;
    }
    if (!known.has(g)) throw new UserError('USAGE', `--grow ${g}: the manifest has no partition or volume with that id (partitions: ${parts.join(', ') || 'none'})`, { hint: 'use --grow last for the last partition of every disk' });
    // Never resize silently, and never pretend to: md, LUKS and LVM growing is not planned yet.
    if (!parts.includes(g)) throw new UserError('USAGE', `--grow ${g}: only partitions can be grown so far (and the filesystem or swap directly on them)`, { hint: `grow the partition under ${g} and enlarge the volume by hand after the rebuild (pvresize, lvextend)` });
    out.add(g);
  }
  return out;
}

/** The storage a plan leaves behind: the manifest's, with the --grow partitions enlarged (what verify expects). */
export function expectedManifest(m: Manifest, plan: Plan): Manifest {
  return plan.grow?.length ? grownManifest(m, plan.diskBytes ?? {}, new Set(plan.grow)) : m;
}

export interface TargetFacts {
  readonly inventory: Inventory;
  /** Whole disks that may be targets (kind disk, plus loop devices named in --map). */
  readonly present: readonly DiskIdentity[];
  /** Resolves a --map device spec (path, link or kname) to a kname. */
  readonly resolve: (dev: string) => string;
}

export async function gatherTargetFacts(runner: ReadOnlyRunner, maps: readonly MapOption[]): Promise<TargetFacts> {
  const inventory = await gatherInventory(runner);
  const resolved = new Map<string, string>();
  for (const m of maps) {
    let p = m.dev;
    if (p.startsWith('/')) {
      try {
        p = await realpath(p);
      } catch {
        throw new UserError('USAGE', `--map ${m.src}=${m.dev}: no such device`);
      }
    }
    resolved.set(m.dev, p.replace(/^\/dev\//, ''));
  }
  const mappedLoops = new Set([...resolved.values()].filter((k) => inventory.devices[k]?.kind === 'loop'));
  const candidates = Object.values(inventory.devices).filter((d) => d.kind === 'disk' || mappedLoops.has(d.kname));
  const present = await Promise.all(candidates.map((d) => gatherIdentity(runner, d)));
  return { inventory, present, resolve: (dev) => resolved.get(dev) ?? dev.replace(/^\/dev\//, '') };
}

/** Every storage entry the manifest declares must be created by some step: fail closed. */
function uncovered(m: Manifest, steps: readonly Step[]): string[] {
  const created = new Set(steps.map((s) => s.creates).filter((c): c is string => c !== undefined));
  const missing: string[] = [];
  const s = m.storage ?? {};
  for (const d of s.disks ?? []) if (d.table && !created.has(d.id)) missing.push(`storage.disks ${d.id}: partition table`);
  for (const x of s.mdraid ?? []) if (!created.has(x.id)) missing.push(`storage.mdraid ${x.id}`);
  for (const x of s.luks ?? []) if (!created.has(x.id)) missing.push(`storage.luks ${x.id}`);
  for (const vg of s.lvm?.vgs ?? []) for (const lv of vg.lvs ?? []) if (!created.has(`${vg.name}/${lv.name}`)) missing.push(`storage.lvm ${vg.name}/${lv.name}`);
  for (const f of s.filesystems ?? []) if (!created.has(f.on)) missing.push(`storage.filesystems on ${f.on} (${f.type})`);
  for (const w of s.swap ?? []) if (!created.has(w.on)) missing.push(`storage.swap on ${w.on}`);
  return missing;
}

/** Pure: the plan for a manifest on the given target facts. */
export function computePlan(manifest: Manifest, manifestSha256: string, facts: TargetFacts, o: PlanOptions): Plan {
  const disks = manifest.storage?.disks ?? [];
  if (disks.length === 0) throw new UserError('REFUSED', 'the manifest has no disks to rebuild');
  const targets = matchDisks(disks, facts.present, o.maps, facts.resolve);
  const wipe = new Set(
    o.wipe.map((w) => {
      const d = disks.find((x) => x.id === w || x.path === w);
      if (!d) throw new UserError('USAGE', `--wipe ${w}: the manifest has no disk with that id or captured path (it has: ${disks.map((x) => x.id).join(', ')})`);
      return d.id;
    }),
  );
  const diskPaths = Object.fromEntries(Object.entries(targets).map(([id, k]) => [id, facts.inventory.devices[k]!.path]));
  const where = buildPlanContext(manifest, diskPaths, wipe);
  const devicePath = (id: string): string => {
    try {
      return where.devicePath(id);
    } catch {
      return id; // an id the manifest does not place: the planners refuse it with their own words
    }
  };
  const planned = { identities: plannedIdentities(manifest), devicePath };
  const problems = preflightProblems({ inventory: facts.inventory, targets, disks, wipe, planned });
  if (problems.length) {
    throw new UserError('REFUSED', `refusing to rebuild; nothing was written:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  }
  const grow = resolveGrow(manifest, o.grow ?? []);
  const diskBytes = Object.fromEntries(Object.entries(targets).map(([id, k]) => [id, facts.inventory.devices[k]!.sizeBytes]));
  const ctx = buildPlanContext(manifest, diskPaths, wipe, { diskBytes, grow });
  const storage = storageProviders.flatMap((p) => p.plan?.(ctx) ?? []);
  const missing = uncovered(manifest, storage);
  if (missing.length) {
    throw new UserError('REFUSED', `this version of sysmanifest cannot recreate everything in the manifest; refusing to rebuild part of it:\n${missing.map((x) => `- ${x}`).join('\n')}`);
  }
  const mkfsOf = (device: string): string | undefined => {
    const fs = (manifest.storage?.filesystems ?? []).find((f) => f.on === device);
    return fs ? storage.find((s) => s.creates === fs.on)?.id : undefined;
  };
  const steps = orderSteps([...storage, ...mountSteps(manifest, ctx, o.target, mkfsOf)]);
  const grown = grow.size ? { grow: [...grow].sort(), diskBytes } : {};
  return { version: PLAN_VERSION, manifestSha256, host: manifest.host.hostname, disks: diskPaths, wipe: [...wipe], ...grown, steps, target: o.target };
}

/**
 * The manifest and the facts of the disks present, side by side: the probes (other processes,
 * read-only) run while this process parses and checks the manifest — under the TCG test guest
 * each takes over a second. A bad manifest is still the error reported, before any other.
 */
export async function manifestAndTargets(runner: ReadOnlyRunner, file: string, maps: readonly MapOption[]): Promise<{ text: string; sha256: string; manifest: Manifest; facts: TargetFacts }> {
  const facts = gatherTargetFacts(runner, maps);
  facts.catch(() => {}); // awaited below; a manifest error wins and this one is dropped
  const text = await readManifestText(file);
  const manifest = parseManifest(text, file);
  return { text, sha256: createHash('sha256').update(text).digest('hex'), manifest, facts: await facts };
}

export async function planFromFile(runner: ReadOnlyRunner, file: string, o: PlanOptions): Promise<{ manifest: Manifest; plan: Plan }> {
  const { sha256, manifest, facts } = await manifestAndTargets(runner, file, o.maps);
  return { manifest, plan: computePlan(manifest, sha256, facts, o) };
}
