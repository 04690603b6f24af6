// The manifest fuzzer in the suite (issue 11): at least 10,000 seeded mutations of the
// example manifests through load → validate → plan, with a fresh seed each run. Every case
// must end in a plan whose commands stay in bounds (check.ts) or in a clear refusal; no
// exception, no hang, no case over 2 s. A failure prints the seed and how to replay it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzz } from './pool.ts';

const seed = Number(process.env.SYSMANIFEST_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const count = Number(process.env.SYSMANIFEST_FUZZ_CASES ?? 10_000);

test(`fuzz: ${count} mutated manifests through load → validate → plan (seed ${seed})`, { timeout: 15 * 60_000 }, async (t) => {
  const r = await fuzz({ seed, count, workers: 2 });
  const ran = r.outcomes.planned + r.outcomes['refused-manifest'] + r.outcomes['refused-plan'] + r.failures.length;
  t.diagnostic(`seed ${seed}: ${count} cases in ${r.ms} ms: ${r.outcomes.planned} planned and checked, ${r.outcomes['refused-manifest']} refused by validation, ${r.outcomes['refused-plan']} refused by the planner, ${r.failures.length} failures`);
  const replay = (i: number): string => `node test/fuzz/run.ts ${seed} --case ${i}`;
  assert.deepEqual(
    r.failures.map((f) => `case ${f.index} (replay: ${replay(f.index)}): ${f.error.split('\n').slice(0, 3).join(' | ')}`),
    [],
    `fuzz failures with seed ${seed} (rerun all: SYSMANIFEST_FUZZ_SEED=${seed} node --test test/fuzz/fuzz.test.ts)`,
  );
  assert.ok(ran >= count, `every case ran (${ran} of ${count})`);
  // A fuzzer that never gets past validation tests nothing of the planners.
  assert.ok(r.outcomes.planned >= count / 50, `at least 2% of the cases plan (${r.outcomes.planned})`);
});
