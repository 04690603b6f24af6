// node test/fuzz/run.ts [SEED] [COUNT]: the fuzzer outside the test suite, to replay a seed
// the suite printed or to run longer. With --case N, prints case N of SEED as YAML and runs it.
import fc from 'fast-check';
import { caseArb, render, runCase } from './engine.ts';
import { fuzz } from './pool.ts';

const args = process.argv.slice(2);
const caseAt = args.indexOf('--case');
const positional = args.filter((a, i) => !a.startsWith('--') && (caseAt < 0 || i !== caseAt + 1));
const seed = Number(positional[0] ?? Date.now() % 2 ** 31);
if (caseAt >= 0) {
  const index = Number(args[caseAt + 1]);
  const c = fc.sample(caseArb, { seed, numRuns: index + 1 })[index]!;
  const text = render(c);
  process.stdout.write(`# seed ${seed}, case ${index}: ${JSON.stringify(c)}\n${text}\n`);
  console.log(runCase(text));
} else {
  const count = Number(positional[1] ?? 10_000);
  const r = await fuzz({ seed, count, workers: 2 });
  console.log(`seed ${r.seed}: ${r.count} cases in ${r.ms} ms: ${JSON.stringify(r.outcomes)}, ${r.failures.length} failures`);
  for (const f of r.failures.slice(0, 20)) console.log(`- case ${f.index}: ${f.error.split('\n').slice(0, 4).join(' | ')}`);
  process.exitCode = r.failures.length ? 1 : 0;
}
