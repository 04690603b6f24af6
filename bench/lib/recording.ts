// A read-only runner that records every command it runs (for building the "floor": the same
// tool calls, one after another, in a plain shell script).
import type { CommandResult, ReadOnlyRunner, RunOptions } from '../../src/core/runner/types.ts';

export function recording(inner: ReadOnlyRunner): { runner: ReadOnlyRunner; calls: string[][] } {
  const calls: string[][] = [];
  const runner: ReadOnlyRunner = {
    mode: inner.mode,
    run(argv: readonly string[], options?: RunOptions): Promise<CommandResult> {
      calls.push([...argv]);
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
  return { runner, calls };
}

/** A POSIX sh script running the calls one after another, output discarded, like a careful admin's script. */
export function floorScript(calls: readonly string[][]): string {
  const q = (a: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['#!/bin/sh', 'export LC_ALL=C', ...calls.map((c) => `${c.map(q).join(' ')} >/dev/null 2>&1`), ''].join('\n');
}
