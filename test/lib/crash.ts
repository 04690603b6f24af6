// Fault injection for rebuild tests: the real mutating runner, except that the chosen
// disk-changing command "loses power" — `before` it runs (nothing happened: a resume must run
// it) or `after` it returned (the journal never heard of it: a resume must recognise the work
// by the step's check, or the step must be safe to run again). Once per runner.
import { hostMutatingRunner } from '../../src/core/runner/exec.ts';
import type { MutatingRunner } from '../../src/core/runner/types.ts';

/** `at(argv, n)`: n counts the runner's disk-changing commands from 1; answer when to cut. */
export function crashingRunner(at: (argv: readonly string[], n: number) => 'before' | 'after' | undefined): MutatingRunner {
  const real = hostMutatingRunner();
  const wrapper = Object.create(real) as MutatingRunner;
  let n = 0;
  let fired = false;
  (wrapper as { mutate: MutatingRunner['mutate'] }).mutate = async (argv, options) => {
    const when = fired ? undefined : at(argv, ++n);
    fired ||= when !== undefined;
    if (when === 'before') throw new Error(`injected crash before mutation ${n}: ${argv.join(' ')}`);
    const r = await real.mutate(argv, options);
    if (when === 'after') throw new Error(`injected crash after mutation ${n}: ${argv.join(' ')}`);
    return r;
  };
  return wrapper;
}
