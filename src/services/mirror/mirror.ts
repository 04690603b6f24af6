// `sysmanifest mirror MANIFEST --out DIR`: every package a rebuild of the manifest installs —
// the base of the captured release (mmdebstrap --variant), the manual set and all their
// dependencies — in a partial mirror with the archive's own signed metadata, so that apt and
// mmdebstrap pointed at file://DIR install with no network. Rerun into the same DIR, it
// downloads only what is missing (and what the archive changed since).
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { loadManifest } from '../../core/manifest/load.ts';
import type { ApplyEvent } from '../../core/plan/apply.ts';
import type { Step } from '../../core/plan/types.ts';
import type { MutatingRunner } from '../../core/runner/types.ts';
import { requests, type Variant } from './apt-request.ts';
import { mirrorSuite } from './dists.ts';
import { APT_HELPER, downloadBatch, type Download } from './fetch.ts';
import { cleanUpAfterFailure, hasFile, MARKER, prepareOutDir, prunePool, removePartial, SOURCES_FILE, treeBytes, writeAtomically } from './layout.ts';
import { resolve } from './resolve.ts';
import { planSources, type MirrorSuite, type SourceOverrides, type SourcePlan } from './sources.ts';
import { unionByPath, type PoolFile } from './uris.ts';
import { mirrorSourcesText } from './sources-file.ts';

export const DEFAULT_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

export interface MirrorOptions extends SourceOverrides {
  readonly out: string;
  readonly variant: Variant;
  readonly include: readonly string[];
  readonly recommends: boolean;
  readonly keyring: string;
  /** Packages per apt-helper call (and per progress line). */
  readonly batch?: number;
}

export interface MirrorResult {
  readonly suites: readonly string[];
  readonly architectures: readonly string[];
  readonly debs: number;
  readonly debBytes: number;
  readonly downloaded: number;
  readonly downloadedBytes: number;
  readonly indexesDownloaded: number;
  /** Index files downloaded per suite: a suite the archive republished since the last run has new ones. */
  readonly indexesBySuite: Readonly<Record<string, number>>;
  readonly pruned: number;
  /** Manual packages no suite of the mirror has: a rebuild will report them too. */
  readonly missing: readonly string[];
  readonly skipped: readonly string[];
  /** Things the user may want to know (a Release.gpg left out). */
  readonly notes: readonly string[];
  readonly dirBytes: number;
  readonly ms: number;
}

const MiB = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

/** Progress goes through the rebuild's step events, so the plain and ink views render it as they render steps. */
function reporter(onEvent: (e: ApplyEvent) => void, t0: number) {
  return async <T>(id: string, title: string, at: [number, number], fn: () => Promise<T>): Promise<T> => {
    const step: Step = { id: `mirror:${id}`, title: `${title} (${((performance.now() - t0) / 1000).toFixed(0)} s in)`, argv: [], risk: 'read', after: [] };
    const start = performance.now();
    onEvent({ type: 'start', step, index: at[0], total: at[1] });
    try {
      const v = await fn();
      onEvent({ type: 'done', step, ms: performance.now() - start });
      return v;
    } catch (e) {
      onEvent({ type: 'failed', step, error: e as Error });
      throw e;
    }
  };
}

function batches(files: readonly Download[], count: number, maxBytes: number): Download[][] {
  const out: Download[][] = [];
  let cur: Download[] = [];
  let bytes = 0;
  for (const f of files) {
    if (cur.length > 0 && (cur.length >= count || bytes + f.size > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(f);
    bytes += f.size;
  }
  if (cur.length) out.push(cur);
  return out;
}

async function preflight(runner: MutatingRunner, keyring: string): Promise<void> {
  if (!(await runner.exists(APT_HELPER))) throw new UserError('TOOL_MISSING', `${APT_HELPER} is missing: the mirror downloads with apt's own acquire code`, { hint: 'apt-get install apt' });
  if (!(await runner.hasProgram('gpgv'))) throw new UserError('TOOL_MISSING', 'gpgv is missing: it verifies the archive\'s signed Release files', { hint: 'apt-get install gpgv' });
  if (!(await runner.exists(keyring))) throw new UserError('USAGE', `--keyring ${keyring}: no such file`, { hint: 'apt-get install debian-archive-keyring, or pass the archive\'s keyring with --keyring' });
}

export async function mirrorManifest(runner: MutatingRunner, file: string, o: MirrorOptions, onEvent: (e: ApplyEvent) => void = () => {}): Promise<MirrorResult> {
  const t0 = performance.now();
  const plan = planSources(await loadManifest(file), file, o);
  await preflight(runner, o.keyring);
  const created = await prepareOutDir(o.out);
  try {
    return await build(runner, plan, o, onEvent, t0);
  } catch (e) {
    await cleanUpAfterFailure(o.out, created);
    throw e;
  }
}

async function build(runner: MutatingRunner, plan: SourcePlan, o: MirrorOptions, onEvent: (e: ApplyEvent) => void, t0: number): Promise<MirrorResult> {
  const dir = o.out;
  const step = reporter(onEvent, t0);

  let indexesDownloaded = 0;
  const indexesBySuite: Record<string, number> = {};
  const notes: string[] = [];
  const total = plan.suites.length + 1;
  for (const [i, s] of plan.suites.entries()) {
    const r = await step(`dists:${s.suite}`, `Release files and ${s.components.join(' ')} indexes of ${s.suite} from ${s.uri}`, [i, total], () => mirrorSuite(runner, dir, s, plan.architectures, o.keyring));
    indexesDownloaded += r.downloaded;
    indexesBySuite[s.suite] = r.downloaded;
    notes.push(...r.notes);
  }

  // Two views: the release suite alone (what `mmdebstrap SUITE TARGET file://DIR` reads) and
  // every suite (the captured sources pointed at DIR): each may pick other versions.
  // Recommends as the packages stage will install them: off with --no-recommends or when the
  // captured system has them off (packages.installRecommends: false).
  const recommends = o.recommends && plan.recommends;
  const reqs = requests(o.variant, plan.codename, plan.architecture, o.include, plan.manual, recommends);
  const views: MirrorSuite[][] = [plan.suites.filter((s) => s.kind === 'release'), [...plan.suites]].filter((v, i, all) => i === 0 || v.length !== all[0]!.length);
  const resolved = await step('resolve', `resolve ${o.variant} + ${plan.manual.length} manual package(s) with apt`, [total - 1, total], () =>
    Promise.all(views.map((v) => resolve(runner, dir, v, plan.architectures, o.keyring, reqs))),
  );
  const needed: PoolFile[] = unionByPath(resolved.map((r) => r.files));
  const missing = resolved[resolved.length - 1]!.missing;

  const todo: Download[] = [];
  for (const f of needed) if (!(await hasFile(join(dir, f.path), f.size, f.sha256))) todo.push({ url: `${urlFor(f.path, plan.suites)}/${f.path}`, ...f });
  const totalBytes = todo.reduce((n, f) => n + f.size, 0);
  const chunks = batches(todo, o.batch ?? 25, 64 << 20);
  let done = 0;
  let doneBytes = 0;
  for (const [i, c] of chunks.entries()) {
    const bytes = c.reduce((n, f) => n + f.size, 0);
    await step(`download:${i}`, `download packages ${done + 1}–${done + c.length} of ${todo.length} (${MiB(bytes)}; ${MiB(doneBytes)} of ${MiB(totalBytes)} done)`, [i, chunks.length], () => downloadBatch(runner, dir, c));
    done += c.length;
    doneBytes += bytes;
  }

  const pruned = await prunePool(dir, new Set(needed.map((f) => f.path)));
  await writeAtomically(join(dir, SOURCES_FILE), mirrorSourcesText(dir, plan.suites, o.keyring));
  const meta = { format: 1, complete: true, codename: plan.codename, architectures: plan.architectures, variant: o.variant, include: o.include, recommends, keyring: o.keyring, suites: plan.suites, manual: plan.manual, missing, skipped: plan.skipped, debs: needed.length };
  await writeAtomically(join(dir, MARKER), `${JSON.stringify(meta, null, 2)}\n`);
  await removePartial(dir);
  return {
    suites: plan.suites.map((s) => s.suite),
    architectures: plan.architectures,
    debs: needed.length,
    debBytes: needed.reduce((n, f) => n + f.size, 0),
    downloaded: todo.length,
    downloadedBytes: totalBytes,
    indexesDownloaded,
    indexesBySuite,
    pruned,
    missing,
    skipped: plan.skipped,
    notes,
    dirBytes: await treeBytes(dir),
    ms: performance.now() - t0,
  };
}

/**
 * Which archive a pool path comes from: the security archive keeps its pool under
 * pool/updates/ (Debian's layout), everything else is in the main archive's pool.
 */
export function urlFor(path: string, suites: readonly MirrorSuite[]): string {
  const security = suites.find((s) => s.suite.endsWith('-security'));
  const main = suites.find((s) => s.kind === 'release')!;
  return path.startsWith('pool/updates/') && security ? security.uri : main.uri;
}
