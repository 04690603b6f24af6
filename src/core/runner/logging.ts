// `--log-commands FILE`: every command a read-only run makes, one JSON argv per line, so a
// user (or an auditor) can see exactly what capture ran. The benchmarks build their "floor"
// shell script from it.
import { appendFileSync, writeFileSync } from 'node:fs';
import type { ReadOnlyRunner } from './types.ts';

export function loggingRunner(inner: ReadOnlyRunner, file: string): ReadOnlyRunner {
  writeFileSync(file, '');
  return {
    mode: inner.mode,
    run(argv, options) {
      appendFileSync(file, `${JSON.stringify(argv)}\n`);
      return inner.run(argv, options);
    },
    readFile: (p) => inner.readFile(p),
    readFileOptional: (p) => inner.readFileOptional(p),
    readDir: (p) => inner.readDir(p),
    readLink: (p) => inner.readLink(p),
    exists: (p) => inner.exists(p),
    readBytes: (p, o, l) => inner.readBytes(p, o, l),
    hasProgram: (p) => inner.hasProgram(p),
  };
}
