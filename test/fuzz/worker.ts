// Runs fuzz cases in a worker thread, so that the test can stop a case that hangs or runs
// out of memory and still say which one it was: before each case it posts the case's index.
import fc from 'fast-check';
import { parentPort, workerData } from 'node:worker_threads';
import { caseArb, render, runCase } from './engine.ts';

interface Job {
  readonly seed: number;
  readonly count: number;
  readonly stride: number;
  readonly offset: number;
  /** The first index to run (a worker restarted after a hang starts past the case that hung). */
  readonly from: number;
}

const job = workerData as Job;
const cases = fc.sample(caseArb, { seed: job.seed, numRuns: job.count });
for (let i = job.from; i < cases.length; i += job.stride) {
  parentPort!.postMessage({ kind: 'start', index: i });
  const t0 = performance.now();
  let text = '';
  try {
    text = render(cases[i]!);
    parentPort!.postMessage({ kind: 'outcome', outcome: runCase(text) });
  } catch (e) {
    parentPort!.postMessage({ kind: 'failure', index: i, error: (e as Error).stack ?? String(e), text: text.slice(0, 20_000) });
  }
  const ms = performance.now() - t0;
  if (ms > 2000) parentPort!.postMessage({ kind: 'failure', index: i, error: `took ${Math.round(ms)} ms (more than 2 s)`, text: text.slice(0, 20_000) });
}
parentPort!.postMessage({ kind: 'done' });
