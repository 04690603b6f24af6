// `sysmanifest internal apt-apply --target T` (the packages stage's one install step): the
// manual set in ONE apt transaction inside the target, leaving out — and reporting — the
// packages the mirror no longer has; then every other installed package marked auto (mmdebstrap
// installs the base without auto marks, the original had them) and the holds applied. A plan
// step's argv is fixed when the plan is shown; what the archive still has is only known when it
// runs, so this decision lives here, behind one step, not in the planner.
import { mkdir, writeFile } from 'node:fs/promises';
import { UserError } from '../../core/errors.ts';
import { joinInside } from '../../core/confine/index.ts';
import type { MutatingRunner } from '../../core/runner/types.ts';

/** Debian package names (policy §5.6.1), optionally with :arch as apt prints them. */
const PACKAGE = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/;

export interface AptApplySpec {
  readonly manual: readonly string[];
  readonly held: readonly string[];
  /** false: the captured system installs without Recommends (packages.installRecommends). */
  readonly recommends?: boolean;
}

export interface AptApplyResult {
  readonly installed: number;
  readonly missing: readonly string[];
  /** Manual packages the archive has under another name now (a newer release: the t64 libraries …). */
  readonly renamed: ReadonlyArray<{ readonly from: string; readonly to: string }>;
  readonly autoMarked: number;
  readonly held: readonly string[];
}

/** Where the list of packages the archive did not have is left for the rebuild's report. */
export const MISSING_REPORT = '/var/log/sysmanifest/missing-packages';

export function parseSpec(text: string): AptApplySpec {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new UserError('USAGE', 'internal apt-apply: stdin is not the JSON the packages stage writes');
  }
  const r = v as { manual?: unknown; held?: unknown; recommends?: unknown };
  const list = (x: unknown, what: string): string[] => {
    if (!Array.isArray(x) || x.some((p) => typeof p !== 'string' || !PACKAGE.test(p))) throw new UserError('USAGE', `internal apt-apply: ${what} must be a list of Debian package names`);
    return x as string[];
  };
  if (r.recommends !== undefined && typeof r.recommends !== 'boolean') throw new UserError('USAGE', 'internal apt-apply: recommends must be true or false');
  return { manual: list(r.manual, 'manual'), held: list(r.held ?? [], 'held'), ...(r.recommends === false ? { recommends: false } : {}) };
}

/** Packages apt says it cannot install, from `apt-get install -s` (LC_ALL=C messages). */
export function unavailable(stderr: string): string[] {
  const out = new Set<string>();
  for (const m of stderr.matchAll(/^E: Unable to locate package (\S+)$/gm)) out.add(m[1]!);
  for (const m of stderr.matchAll(/^E: Package '([^']+)' has no installation candidate$/gm)) out.add(m[1]!);
  return [...out];
}

/**
 * Packages apt names as the one successor of a package it cannot install (LC_ALL=C): "Package X
 * is a virtual package provided by:" with exactly one provider, or "However the following
 * packages replace it:" with exactly one package. Several candidates are a choice for the
 * user, not for a rebuild: such a package stays missing.
 */
export function successors(stderr: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of stderr.matchAll(/^Package (\S+) is a virtual package provided by:\n((?: {2}\S+.*\n)+)/gm)) {
    const providers = m[2]!.trimEnd().split('\n').map((l) => l.trim().split(/\s+/)[0]!);
    if (providers.length === 1) out.set(m[1]!, providers[0]!);
  }
  for (const m of stderr.matchAll(/^Package (\S+) is not available, but is referred to by another package\.\n(?:.*\n)*?However the following packages replace it:\n {2}(.+)$/gm)) {
    const by = m[2]!.trim().split(/\s+/);
    if (by.length === 1) out.set(m[1]!, by[0]!);
  }
  return out;
}

/** `onLine`: apt-get install's output as it comes (the internal command passes it on as progress). */
export async function aptApply(runner: MutatingRunner, target: string, spec: AptApplySpec, strict: boolean, onLine?: (line: string) => void): Promise<AptApplyResult> {
  const inTarget = (...argv: string[]): string[] => ['chroot', target, 'env', 'LC_ALL=C', 'DEBIAN_FRONTEND=noninteractive', ...argv];
  const apt = ['apt-get', '-y', '-q', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', ...(spec.recommends === false ? ['--no-install-recommends'] : [])];
  // A power cut in the middle of dpkg (a rebuild resumed after a reboot of the live system)
  // leaves dpkg's journal and half-configured packages: finish what dpkg began first, as an
  // administrator would (apt refuses to run until then). On a clean tree both are no-ops.
  await runner.mutate(inTarget('dpkg', '--force-confdef', '--force-confold', '--configure', '-a'), { okExitCodes: [1], ...(onLine ? { onLine } : {}) });
  const audit = await runner.mutate(inTarget('dpkg', '--audit'), { okExitCodes: [1] });
  if (audit.stdout.trim() !== '') await runner.mutate(inTarget(...apt, '-f', 'install'), onLine ? { onLine } : {});
  let wanted = [...spec.manual];
  const missing: string[] = [];
  const renamed: Array<{ from: string; to: string }> = [];
  // A simulation first: what the archive no longer has is left out (and reported).
  for (let round = 0; round < 8 && wanted.length; round++) {
    const sim = await runner.mutate(inTarget(...apt, 'install', '-s', ...wanted), { okExitCodes: [100] });
    if (sim.exitCode === 0) break;
    const next = successors(`${sim.stdout}\n${sim.stderr}`);
    const gone = unavailable(sim.stderr).filter((p) => wanted.includes(p));
    const moved = gone.filter((p) => next.has(p) && !wanted.includes(next.get(p)!));
    if (moved.length) {
      for (const p of moved) renamed.push({ from: p, to: next.get(p)! });
      wanted = wanted.map((p) => (moved.includes(p) ? next.get(p)! : p));
      continue;
    }
    if (gone.length === 0) throw new UserError('COMMAND_FAILED', `apt cannot install the manual package set in the target:\n${sim.stderr.trim().split('\n').slice(-12).join('\n')}`, { hint: 'the captured set conflicts with what the mirror has now; see the apt messages above' });
    missing.push(...gone);
    wanted = wanted.filter((p) => !gone.includes(p));
  }
  if (missing.length && strict) throw new UserError('REFUSED', `the mirror no longer has ${missing.length} of the manual packages: ${missing.join(' ')}`, { hint: 'without --strict the rebuild installs the rest and reports these' });
  if (wanted.length) await runner.mutate(inTarget(...apt, 'install', ...wanted), onLine ? { onLine } : {});
  // Auto marks: everything installed that the user did not choose.
  const manualNow = (await runner.mutate(inTarget('apt-mark', 'showmanual'))).stdout.split('\n').filter(Boolean);
  const chosen = new Set([...spec.manual, ...renamed.map((r) => r.to)].flatMap((p) => [p, p.replace(/:[a-z0-9-]+$/, '')]));
  const auto = manualNow.filter((p) => !chosen.has(p) && !chosen.has(p.replace(/:[a-z0-9-]+$/, '')));
  if (auto.length) await runner.mutate(inTarget('apt-mark', 'auto', ...auto));
  const installed = new Set((await runner.mutate(inTarget('dpkg-query', '-W', '-f', '${binary:Package}\\t${db:Status-Status}\\n'))).stdout.split('\n').filter((l) => l.endsWith('\tinstalled')).flatMap((l) => {
    const name = l.split('\t')[0]!;
    return [name, name.replace(/:[a-z0-9-]+$/, '')];
  }));
  const held = spec.held.filter((p) => installed.has(p));
  if (held.length) await runner.mutate(inTarget('apt-mark', 'hold', ...held));
  const report = joinInside(target, MISSING_REPORT);
  await mkdir(report.replace(/\/[^/]+$/, ''), { recursive: true });
  await writeFile(report, [...missing, ...renamed.map((r) => `${r.from} -> ${r.to}`)].map((l) => `${l}\n`).join(''));
  return { installed: wanted.length, missing, renamed, autoMarked: auto.length, held };
}
