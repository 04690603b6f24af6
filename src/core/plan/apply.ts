// Executes a plan exactly as it was shown, step by step, with a journal. On a rerun, steps
// the journal marks done are skipped; a step that started but did not finish is checked
// against the disk (does the device exist with the intended identity?) before it is retried.
import { messageWithHint, UserError } from '../errors.ts';
import { parseBlkidExport } from '../../providers/storage/inventory/parse.ts';
import type { MutatingRunner } from '../runner/types.ts';
import { Journal, stepStates } from './journal.ts';
import type { Plan, Step, StepCheck } from './types.ts';

export type ApplyEvent =
  | { readonly type: 'skip'; readonly step: Step; readonly why: 'done' | 'checked' }
  | { readonly type: 'start'; readonly step: Step; readonly index: number; readonly total: number }
  | { readonly type: 'done'; readonly step: Step; readonly ms: number }
  /** A long step's latest output line (printable, trimmed), as it comes. */
  | { readonly type: 'output'; readonly step: Step; readonly line: string; readonly ms: number }
  /** A long step still running: every PROGRESS_TICK_MS, with the latest line it printed. */
  | { readonly type: 'tick'; readonly step: Step; readonly ms: number; readonly line?: string }
  | { readonly type: 'failed'; readonly step: Step; readonly error: Error }
  /** A deferrable step failed: left outstanding, the rebuild goes on. */
  | { readonly type: 'deferred'; readonly step: Step; readonly error: Error };

export interface Outstanding {
  readonly id: string;
  readonly title: string;
  readonly message: string;
}

export const PROGRESS_TICK_MS = 10_000;

export interface ApplyOptions {
  readonly journal: Journal;
  /** A passphrase typed, or the exact bytes of a key file. */
  readonly secret: (name: 'luks-passphrase') => Promise<string | Uint8Array>;
  readonly onEvent?: (e: ApplyEvent) => void;
  /** How often a long step reports that it is still running (default PROGRESS_TICK_MS). */
  readonly tickMs?: number;
  /** How long to wait for device nodes to appear after a step. */
  readonly waitMs?: number;
}

/** Does the device exist and carry the identity the step was to give it? */
export async function checkDone(runner: MutatingRunner, check: StepCheck): Promise<boolean> {
  if (check.directory !== undefined) return runner.exists(check.directory);
  if (check.mountpoint !== undefined) {
    // A pseudo or bind mount (proc, sysfs, /dev into the target): is something mounted there?
    const m = await runner.run(['findmnt', '--noheadings', '--mountpoint', check.mountpoint], { okExitCodes: [1] });
    return m.exitCode === 0;
  }
  if (!(await runner.exists(check.device))) return false;
  if (check.mountedOn !== undefined) {
    // findmnt matches the source by device (a /dev/md/NAME link, a btrfs subvolume mount too).
    const m = await runner.run(['findmnt', '--noheadings', '--source', check.device, '--mountpoint', check.mountedOn], { okExitCodes: [1] });
    if (m.exitCode !== 0) return false;
  }
  const r = await runner.run(['blkid', '-p', '-o', 'export', check.device], { okExitCodes: [2] });
  if (r.exitCode !== 0) return Object.keys(check.probe).length === 0;
  const probe = parseBlkidExport(r.stdout);
  return Object.entries(check.probe).every(([k, v]) => probe[k] === v);
}

async function waitForNodes(runner: MutatingRunner, paths: readonly string[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const missing: string[] = [];
    for (const p of paths) if (!(await runner.exists(p))) missing.push(p);
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new UserError('DEVICE', `device node(s) did not appear: ${missing.join(', ')}`, {
        hint: 'without udev, the kernel creates them in devtmpfs; check dmesg, then rerun with --resume',
      });
    }
    if (await runner.hasProgram('udevadm')) await runner.run(['udevadm', 'settle', '--timeout=5'], { okExitCodes: [1] });
    else await new Promise((r) => setTimeout(r, 100));
  }
}

/** A failed step's reason in one line: the command's own words (an internal command's `sysmanifest: …` and hint) rather than its argv. */
function whyItFailed(e: unknown): string {
  const [first = '', ...rest] = messageWithHint(e).split('\n');
  const said = rest.map((l) => l.replace(/^sysmanifest: /, '').trim()).filter(Boolean);
  return /failed \(exit \d+\):$/.test(first) && said.length ? said.join(' ') : [first, ...said].join(' ');
}

export async function applyPlan(runner: MutatingRunner, plan: Plan, o: ApplyOptions): Promise<{ ran: number; skipped: number; outstanding: Outstanding[] }> {
  const states = stepStates(await o.journal.entries());
  const outstanding: Outstanding[] = [];
  let ran = 0;
  let skipped = 0;
  for (const [index, step] of plan.steps.entries()) {
    const state = states.get(step.id);
    // A runtime step (a mount, an open LUKS …) that is done in the journal may have been undone
    // by a reboot of the live system: it is skipped only when its check still finds it in effect.
    const undone = step.runtime === true && (state === 'done' || state === 'checked') && !(step.check && (await checkDone(runner, step.check)));
    if ((state === 'done' || state === 'checked') && !undone) {
      o.onEvent?.({ type: 'skip', step, why: 'done' });
      skipped++;
      continue;
    }
    if (state === 'start' || state === 'failed' || (state === undefined && step.ensure)) {
      if (step.check && (await checkDone(runner, step.check))) {
        await o.journal.append(step.id, 'checked', `${step.check.device} has the intended identity`);
        o.onEvent?.({ type: 'skip', step, why: 'checked' });
        skipped++;
        continue;
      }
    }
    o.onEvent?.({ type: 'start', step, index, total: plan.steps.length });
    await o.journal.append(step.id, 'start');
    const t0 = Date.now();
    let last: string | undefined;
    const ticker = step.long && o.onEvent ? setInterval(() => o.onEvent?.({ type: 'tick', step, ms: Date.now() - t0, ...(last ? { line: last } : {}) }), o.tickMs ?? PROGRESS_TICK_MS) : undefined;
    const onLine = step.long && o.onEvent
      ? (l: string): void => {
          const line = l.trim();
          if (line === '') return;
          last = line.length > 160 ? `${line.slice(0, 157)}...` : line;
          o.onEvent?.({ type: 'output', step, line: last, ms: Date.now() - t0 });
        }
      : undefined;
    try {
      const input = step.input?.kind === 'text' ? step.input.text : step.input?.kind === 'secret' ? await o.secret(step.input.secret) : undefined;
      await runner.mutate(step.argv, { ...(input === undefined ? {} : { input }), ...(onLine ? { onLine } : {}) });
      if (step.waitFor?.length) await waitForNodes(runner, step.waitFor, o.waitMs ?? 20_000);
    } catch (e) {
      clearInterval(ticker);
      await o.journal.append(step.id, 'failed', (e as Error).message.split('\n')[0]);
      if (step.deferrable) {
        o.onEvent?.({ type: 'deferred', step, error: e as Error });
        outstanding.push({ id: step.id, title: step.title, message: whyItFailed(e) });
        continue;
      }
      o.onEvent?.({ type: 'failed', step, error: e as Error });
      throw e;
    }
    clearInterval(ticker);
    await o.journal.append(step.id, 'done');
    o.onEvent?.({ type: 'done', step, ms: Date.now() - t0 });
    ran++;
  }
  return { ran, skipped, outstanding };
}
