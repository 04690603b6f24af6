// `--log-commands FILE`: every command a run makes, one JSON object per line — its argv, when
// it started (ms since the process started), how long it took and its exit code — so a user
// (or an auditor) can see exactly what sysmanifest ran and where the time went. What was fed
// on stdin is never written (a LUKS passphrase goes that way). The benchmarks build their "floor" shell scripts from it.
import { appendFileSync, writeFileSync } from 'node:fs';
import type { CommandResult, MutatingRunner, ReadOnlyRunner, RunOptions } from './types.ts';

export interface LoggedCommand {
  readonly argv: readonly string[];
  /** Milliseconds since the process started, when the command was asked for. */
  readonly start: number;
  readonly ms: number;
  /** Exit code; null when the call failed (its error says why) or could not be run. */
  readonly exit: number | null;
  /** Only for rebuild: "mutate" for a command that changes disks. */
  readonly kind?: 'mutate';
  /** It was given something on stdin (never written out: it may be a passphrase). */
  readonly stdin?: true;
  /** Run by one of the rebuild's internal commands (a child process), not by the rebuild itself. */
  readonly nested?: true;
}

/**
 * The environment variable through which a rebuild's own child processes (its internal
 * commands: apt-apply, initramfs-build, grub-config …) append what THEY run to the same log,
 * so that the log holds every command of the rebuild, nested ones included (marked `nested`).
 */
export const LOG_COMMANDS_ENV = 'SYSMANIFEST_LOG_COMMANDS';

function logger(file: string, append = false): (argv: readonly string[], run: () => Promise<CommandResult>, extra?: Partial<LoggedCommand>) => Promise<CommandResult> {
  if (!append) writeFileSync(file, '');
  return async (argv, run, extra) => {
    const start = performance.now();
    let exit: number | null = null;
    try {
      const r = await run();
      exit = r.exitCode;
      return r;
    } finally {
      const line: LoggedCommand = { argv, start: Math.round(start), ms: Math.round(performance.now() - start), exit, ...extra };
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    }
  };
}

/** What a runner reads without spawning: passed through unlogged. */
function readers(inner: ReadOnlyRunner): Omit<ReadOnlyRunner, 'mode' | 'run'> {
  return {
    readFile: (p) => inner.readFile(p),
    readFileOptional: (p) => inner.readFileOptional(p),
    readDir: (p) => inner.readDir(p),
    readLink: (p) => inner.readLink(p),
    exists: (p) => inner.exists(p),
    readBytes: (p, o, l) => inner.readBytes(p, o, l),
    hasProgram: (p) => inner.hasProgram(p),
  };
}

export function loggingRunner(inner: ReadOnlyRunner, file: string): ReadOnlyRunner {
  const log = logger(file);
  return {
    mode: inner.mode,
    run: (argv, options) => log(argv, () => inner.run(argv, options)),
    ...readers(inner),
  };
}

export function loggingMutatingRunner(inner: MutatingRunner, file: string, nested = false): MutatingRunner {
  const log = logger(file, nested);
  const stdin = (options?: RunOptions): Partial<LoggedCommand> => ({ ...(options?.input === undefined ? {} : { stdin: true as const }), ...(nested ? { nested: true as const } : {}) });
  return {
    mode: 'mutating',
    run: (argv, options) => log(argv, () => inner.run(argv, options), stdin(options)),
    mutate: (argv, options) => log(argv, () => inner.mutate(argv, options), { kind: 'mutate', ...stdin(options) }),
    ...readers(inner),
  };
}

/** For a rebuild's internal command: its runner, logging into the parent's --log-commands file when there is one. */
export function nestedRunner(inner: MutatingRunner): MutatingRunner {
  const file = process.env[LOG_COMMANDS_ENV];
  return file ? loggingMutatingRunner(inner, file, true) : inner;
}
