// rebuild [--stage …]: preflight → plan → show → confirm → apply (journal) → verify.
// Executes exactly the plan it showed: the storage steps, then the steps of the system stages
// (system.ts). The plan and the journal live in a state directory so that `--resume`
// continues an interrupted run after its last completed step.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { UserError } from '../../core/errors.ts';
import { parseManifest, readManifestText } from '../../core/manifest/load.ts';
import type { Manifest } from '../../core/manifest/types.gen.ts';
import { formatDifference, type Difference } from '../../core/manifest/diff.ts';
import { applyPlan, type ApplyEvent, type Outstanding } from '../../core/plan/apply.ts';
import { Journal, readJournal } from '../../core/plan/journal.ts';
import { PLAN_VERSION, type Plan, type Step } from '../../core/plan/types.ts';
import { writeFileAtomic } from '../../core/repo/files.ts';
import type { MutatingRunner, ReadOnlyRunner } from '../../core/runner/types.ts';
import { computePlan, expectedManifest, manifestAndTargets, type PlanOptions } from './plan.ts';
import { matchAndVerifyDisks, verifyStorage } from './verify.ts';
import { DEFAULT_CACHE, systemPlan, type SystemOptions } from './full.ts';
import { verifyParts, verifySystemTree } from './verify-system.ts';
import { freshIdentities, parseIdentityMap, withIdentities, type IdentityMap } from './new-identities.ts';

export const DEFAULT_STATE_DIR = '/run/sysmanifest/rebuild';

/** With --release these parts differ from the captured manifest by design (a new release, merged files): not verified. */
const RELEASE_CHANGES: readonly string[] = ['packages', 'etc', 'homes'];

export interface RebuildOptions extends PlanOptions, SystemOptions {
  readonly stateDir: string;
  readonly resume: boolean;
  /** Clone: fresh storage identities, every reference rewritten (new-identities.ts). */
  readonly newIdentities?: boolean;
}

export interface RebuildIO {
  /** Show the plan and ask; false aborts before any write. */
  confirm(plan: Plan): Promise<boolean>;
  /** The LUKS passphrase (asked once, or read from --key-file); never stored or logged. */
  passphrase(): Promise<string | Uint8Array>;
  onEvent?(e: ApplyEvent): void;
}

export interface RebuildResult {
  readonly plan: Plan;
  /** A clone: how many identities were renewed, and where the map is kept. */
  readonly identities?: { readonly count: number; readonly file: string };
  readonly ran: number;
  readonly skipped: number;
  /** Deferrable steps that failed (datasets whose backup was not reachable): --resume retries them. */
  readonly outstanding: readonly Outstanding[];
  readonly differences: readonly Difference[];
}

const planFile = (dir: string): string => join(dir, 'plan.json');
const journalFile = (dir: string): string => join(dir, 'journal.jsonl');
export const identitiesFile = (dir: string): string => join(dir, 'identities.json');

async function savedIdentities(dir: string): Promise<IdentityMap | undefined> {
  let text: string;
  try {
    text = await readFile(identitiesFile(dir), 'utf8');
  } catch {
    return undefined;
  }
  return parseIdentityMap(text, identitiesFile(dir));
}

/**
 * The identity map of this run: a fresh one when a clone's storage is made; the saved one when
 * a clone's rebuild is resumed or its later stages are run again (the disks carry it).
 */
async function identityMap(m: Manifest, o: RebuildOptions): Promise<IdentityMap | undefined> {
  if (o.resume) {
    const saved = await savedIdentities(o.stateDir);
    if (o.newIdentities && saved === undefined) throw new UserError('USAGE', `--resume --new-identities: the interrupted rebuild in ${o.stateDir} kept no identity map (it was not a --new-identities rebuild)`, { hint: 'resume without --new-identities' });
    return saved;
  }
  if (!o.newIdentities) return undefined;
  if (o.stages.includes('storage')) return freshIdentities(m);
  const saved = await savedIdentities(o.stateDir);
  if (saved === undefined) {
    throw new UserError('USAGE', `--new-identities without the storage stage: there is no ${identitiesFile(o.stateDir)} (the identities the clone's disks were made with)`, {
      hint: 'pass the --state directory of the rebuild that made the disks, or run the storage stage too',
    });
  }
  return saved;
}

async function loadSavedPlan(dir: string, sha: string): Promise<Plan> {
  let plan: Plan;
  try {
    plan = JSON.parse(await readFile(planFile(dir), 'utf8')) as Plan;
  } catch {
    throw new UserError('USAGE', `--resume: there is no saved plan in ${dir}`, { hint: 'start the rebuild without --resume (or pass the --state directory of the interrupted run)' });
  }
  if (plan.version !== PLAN_VERSION) throw new UserError('REFUSED', `${planFile(dir)} was written by another sysmanifest version (plan version ${plan.version})`);
  if (plan.manifestSha256 !== sha) throw new UserError('REFUSED', `the manifest changed since the interrupted rebuild planned it; refusing to resume with a different manifest`, { hint: 'resume with the same manifest file, or start over on blank disks' });
  return plan;
}

/**
 * The boot stage without the storage stage (a rerun after a fix): the disks GRUB goes onto
 * are matched as verify matches them (--map, else WWN/serial), and they must hold exactly the
 * storage the manifest describes — GRUB is never written to a disk that is not the rebuilt one.
 */
export async function rebuiltDisks(runner: ReadOnlyRunner, file: string, manifest: Manifest, o: PlanOptions): Promise<Record<string, string>> {
  if ((manifest.storage?.disks ?? []).length === 0) return {};
  const { facts } = await manifestAndTargets(runner, file, o.maps);
  const { paths, differences } = await matchAndVerifyDisks(runner, manifest, facts, o.maps, o.grow ?? []);
  if (differences.length) {
    throw new UserError('REFUSED', `the boot stage installs GRUB onto the rebuilt disks, but ${Object.values(paths).join(', ')} do not hold the manifest's storage (${differences.length} difference(s), e.g. ${differences.slice(0, 3).map(formatDifference).join('; ')}); nothing was written`, {
      hint: 'give the rebuilt disks with --map ID=/dev/… (sysmanifest verify MANIFEST --map … shows the differences), or run the storage stage too',
    });
  }
  return paths;
}

export async function rebuild(runner: MutatingRunner, file: string, o: RebuildOptions, io: RebuildIO): Promise<RebuildResult> {
  if (process.getuid?.() !== 0) throw new UserError('NOT_ROOT', 'rebuild writes partition tables and filesystems and needs root', { hint: 'run it with sudo from the live system' });
  const unfinished = (await readJournal(journalFile(o.stateDir))).length > 0;

  let plan: Plan;
  let manifest: Manifest;
  let identities: IdentityMap | undefined;
  if (o.resume) {
    const text = await readManifestText(file);
    manifest = parseManifest(text, file);
    plan = await loadSavedPlan(o.stateDir, createHash('sha256').update(text).digest('hex'));
    identities = await identityMap(manifest, o);
    if (identities) manifest = withIdentities(manifest, identities);
  } else {
    if (unfinished) {
      throw new UserError('REFUSED', `an earlier rebuild in ${o.stateDir} did not finish`, {
        hint: `continue it with --resume, or remove ${o.stateDir} if you mean to start over on blank (or --wipe) disks`,
      });
    }
    // Preflight happens inside computePlan (storage) and systemPlan (the target of the system
    // stages): every refusal comes before a single write.
    if (o.stages.includes('storage')) {
      const read = await manifestAndTargets(runner, file, o.maps);
      identities = await identityMap(read.manifest, o);
      manifest = identities ? withIdentities(read.manifest, identities) : read.manifest;
      plan = computePlan(manifest, read.sha256, read.facts, o);
    } else {
      const text = await readManifestText(file);
      manifest = parseManifest(text, file);
      identities = await identityMap(manifest, o);
      if (identities) manifest = withIdentities(manifest, identities);
      const disks = o.stages.includes('boot') ? await rebuiltDisks(runner, file, manifest, o) : {};
      plan = { version: PLAN_VERSION, manifestSha256: createHash('sha256').update(text).digest('hex'), host: manifest.host.hostname, disks, wipe: [], steps: [], target: o.target };
    }
    plan = await systemPlan(runner, manifest, file, plan, { ...o, ...(identities ? { identities } : {}) });
  }
  await mkdir(o.stateDir, { recursive: true, mode: 0o700 });
  if (!(await io.confirm(plan))) throw new UserError('REFUSED', 'not confirmed; nothing was written');
  if (!o.resume) {
    // The map first: a plan that names new identities is never saved without it. A fresh
    // storage stage without --new-identities makes disks with the manifest's own: an old map goes.
    if (identities) await writeFileAtomic(identitiesFile(o.stateDir), `${JSON.stringify(identities, null, 2)}\n`, 0o600);
    else if (o.stages.includes('storage')) await rm(identitiesFile(o.stateDir), { force: true });
    await writeFileAtomic(planFile(o.stateDir), `${JSON.stringify(plan, null, 2)}\n`, 0o600);
  }

  let secret: string | Uint8Array | undefined;
  const { ran, skipped, outstanding } = await applyPlan(runner, plan, {
    journal: await Journal.open(journalFile(o.stateDir)),
    secret: async () => (secret ??= await io.passphrase()),
    ...(io.onEvent ? { onEvent: (e) => io.onEvent!(e) } : {}),
  });
  // Verify is no step of the plan (it changes nothing), but it takes a while: shown as one.
  const verifyStep: Step = { id: 'verify', stage: 'verify', title: 'verify: what was rebuilt against the manifest', argv: [], risk: 'read', after: [] };
  const t0 = Date.now();
  io.onEvent?.({ type: 'start', step: verifyStep, index: plan.steps.length, total: plan.steps.length + 1 });
  const differences = [
    ...(o.stages.includes('storage') ? await verifyStorage(runner, expectedManifest(manifest, plan), plan.disks, new Set(plan.grow ?? [])) : []),
    ...(o.stages.includes('verify') ? await verifySystemTree(runner, manifest, plan.target, { parts: verifyParts(o.stages).filter((p) => o.release === undefined || !RELEASE_CHANGES.includes(p)), repo: resolve(dirname(resolve(file)), '../..'), ...(identities ? { identities } : {}) }) : []),
  ];
  io.onEvent?.({ type: 'done', step: verifyStep, ms: Date.now() - t0 });
  // The journal stays while something is left to do: --resume runs exactly that.
  if (differences.length === 0 && outstanding.length === 0) await rm(journalFile(o.stateDir), { force: true });
  return { plan, ran, skipped, outstanding, differences, ...(identities ? { identities: { count: identities.changes.length, file: identitiesFile(o.stateDir) } } : {}) };
}

/** The storage stage alone (what `rebuild --stage storage` runs). */
export function rebuildStorage(runner: MutatingRunner, file: string, o: PlanOptions & { readonly stateDir: string; readonly resume: boolean }, io: RebuildIO): Promise<RebuildResult> {
  return rebuild(runner, file, { ...o, stages: ['storage'], mirrors: [], cacheDir: DEFAULT_CACHE, strict: false }, io);
}
