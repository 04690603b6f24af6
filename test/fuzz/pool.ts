// Runs the fuzzer on worker threads and collects what went wrong. A worker that stops
// posting for `stallMs` is a hang; one that dies (out of memory) is a crash; both are
// reported with the index of the case it was running, which replays it with the same seed.
import { Worker } from 'node:worker_threads';
import type { Outcome } from './engine.ts';

export interface Failure {
  readonly index: number;
  readonly error: string;
  readonly text?: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly count: number;
  readonly outcomes: Record<Outcome, number>;
  readonly failures: Failure[];
  readonly ms: number;
}

export interface FuzzOptions {
  readonly seed: number;
  readonly count: number;
  readonly workers: number;
  readonly stallMs?: number;
  /** Heap limit of each worker: a case that needs more is a failure. */
  readonly heapMb?: number;
}

/** Runs the cases offset, offset + workers, … from `from` on; resolves with the index to restart at, or undefined when done. */
function runWorker(o: FuzzOptions, offset: number, from: number, report: { outcomes: Record<Outcome, number>; failures: Failure[] }): Promise<number | undefined> {
  return new Promise((resolve) => {
    const w = new Worker(new URL('./worker.ts', import.meta.url), {
      workerData: { seed: o.seed, count: o.count, stride: o.workers, offset, from },
      resourceLimits: { maxOldGenerationSizeMb: o.heapMb ?? 768 },
    });
    let current = -1;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        report.failures.push({ index: current, error: `hung: no progress for ${o.stallMs ?? 10_000} ms` });
        void w.terminate();
      }, o.stallMs ?? 10_000);
    };
    arm();
    w.on('message', (m: { kind: string; index: number; error: string; text: string; outcome: Outcome }) => {
      arm();
      if (m.kind === 'start') current = m.index;
      else if (m.kind === 'failure') report.failures.push({ index: m.index, error: m.error, text: m.text });
      else if (m.kind === 'outcome') report.outcomes[m.outcome]++;
      else if (m.kind === 'done') finished = true;
    });
    w.on('error', (e) => report.failures.push({ index: current, error: `the worker died: ${e.message}` }));
    w.on('exit', () => {
      clearTimeout(timer);
      resolve(finished || current < 0 ? undefined : current + o.workers);
    });
  });
}

export async function fuzz(o: FuzzOptions): Promise<FuzzReport> {
  const t0 = Date.now();
  const acc = { outcomes: { planned: 0, 'refused-manifest': 0, 'refused-plan': 0 } as Record<Outcome, number>, failures: [] as Failure[] };
  const lane = async (k: number): Promise<void> => {
    for (let from: number | undefined = k; from !== undefined && from < o.count; ) from = await runWorker(o, k, from, acc);
  };
  await Promise.all(Array.from({ length: o.workers }, (_x, k) => lane(k)));
  return { seed: o.seed, count: o.count, ...acc, ms: Date.now() - t0 };
}
