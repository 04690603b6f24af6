// The one module that spawns processes (with spawner.ts, its helper): argv arrays, never a shell.
import { execFile } from 'node:child_process';
import { constants as fsc, existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { access, open } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { UserError } from '../errors.ts';
import { onInterrupt } from '../interrupt.ts';
import { isReadOnlyInvocation } from './policy.ts';
import { debianPackageFor } from './tools.ts';
import { MAX_INPUT, Spawner, SpawnerUnavailable } from './spawner.ts';
import type { CommandResult, MutatingRunner, ReadOnlyRunner, RunOptions } from './types.ts';

// Tools parse better in the C locale, and sbin is not on every user's PATH.
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
function childEnv(searchPath?: string): Record<string, string> {
  if (searchPath !== undefined) return { LC_ALL: 'C', LANG: 'C', LANGUAGE: '', PATH: searchPath };
  const path = (process.env.PATH ?? '/usr/bin:/bin').split(delimiter);
  for (const d of SBIN) if (!path.includes(d)) path.push(d);
  return { LC_ALL: 'C', LANG: 'C', LANGUAGE: '', PATH: path.join(delimiter) };
}

/** Known stderr patterns and what the user should do about them. */
const HINTS: ReadonlyArray<[RegExp, string]> = [
  [/Device or resource busy/i, 'the device is in use: unmount it, swapoff it, close its LUKS mapping (cryptsetup close) or deactivate its VG (vgchange -an) first'],
  [/Permission denied|Operation not permitted|must be (run as )?root|superuser/i, 'run sysmanifest as root (sudo)'],
  [/No such file or directory/i, 'the device or file does not exist (any more): check the name'],
  [/No medium found/i, 'the drive has no medium'],
];

export function hintFor(stderr: string): string | undefined {
  return HINTS.find(([re]) => re.test(stderr))?.[1];
}

export function tail(text: string, lines = 8): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Bounds how many processes run at once: capture probes concurrently, but 200 blkid at once would thrash. */
class Gate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  async with<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

interface RawResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly enoent: boolean;
  readonly timedOut: boolean;
}

/** A transform that sees each line (options.onLine) and passes it on unchanged: the buffered result stays whole. */
function lineTap(options: RunOptions): object {
  const onLine = options.onLine;
  if (onLine === undefined) return {};
  // A progress meter rewrites its line with \r (rsync --info=progress2, apt): each rewrite is a line here.
  const t = {
    transform: function* (line: unknown) {
      for (const p of String(line).split('\r')) if (p !== '' && p !== '\n') onLine(p);
      yield line;
    },
    preserveNewlines: true,
  };
  return { stdout: t, stderr: t };
}

/** Commands with a timeout or a large stdin, and any command when there is no helper: execa. */
async function viaExeca(program: string, args: readonly string[], options: RunOptions, searchPath?: string): Promise<RawResult> {
  const { execa } = await import('execa'); // loaded on first use: capture never needs it
  const r = await execa(program, args, {
    ...lineTap(options),
    reject: false,
    env: childEnv(searchPath),
    extendEnv: true,
    stripFinalNewline: false,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    maxBuffer: 512 * 1024 * 1024,
  });
  return {
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : -1,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    enoent: (r as { code?: string }).code === 'ENOENT',
    timedOut: r.timedOut === true,
  };
}

const GROUP_KILL_GRACE_MS = 2000;

/**
 * A command in a process group (and session) of its own, killed as a group at its timeout: a
 * child it started (a hook's `sleep 60 &`) would otherwise outlive the kill and hold its stdout
 * open, so the call would end only when that child does.
 */
async function viaExecaGroup(program: string, args: readonly string[], options: RunOptions, searchPath?: string): Promise<RawResult> {
  const { execa } = await import('execa');
  const sub = execa(program, args, {
    ...lineTap(options),
    reject: false,
    env: childEnv(searchPath),
    extendEnv: true,
    stripFinalNewline: false,
    detached: true,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    maxBuffer: 512 * 1024 * 1024,
  });
  const pid = sub.pid;
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      if (pid !== undefined) process.kill(-pid, signal);
    } catch {
      /* the group is gone already */
    }
  };
  const forget = onInterrupt(() => killGroup('SIGKILL'));
  let timedOut = false;
  let grace: NodeJS.Timeout | undefined;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          killGroup('SIGTERM');
          grace = setTimeout(() => killGroup('SIGKILL'), GROUP_KILL_GRACE_MS);
        }, options.timeoutMs);
  try {
    const r = await sub;
    return {
      exitCode: typeof r.exitCode === 'number' ? r.exitCode : -1,
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? ''),
      enoent: (r as { code?: string }).code === 'ENOENT',
      timedOut,
    };
  } finally {
    clearTimeout(timer);
    clearTimeout(grace);
    forget();
  }
}

/**
 * Read-only probes when there is no helper: capture makes a hundred of them, and execa's
 * per-call overhead on the main thread (~5 ms here, twice node:child_process's) made capture
 * slower than the same calls in a shell script (bench: capture-storage). They take no stdin.
 */
function viaExecFile(program: string, args: readonly string[], options: RunOptions, searchPath?: string): Promise<RawResult> {
  return new Promise((resolve) => {
    execFile(
      program,
      args as string[],
      { env: { ...process.env, ...childEnv(searchPath) }, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs, killSignal: 'SIGKILL' }) },
      (error, stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        resolve({
          exitCode: e === null ? 0 : typeof e.code === 'number' ? e.code : -1,
          stdout,
          stderr,
          enoent: e?.code === 'ENOENT',
          timedOut: e?.killed === true && options.timeoutMs !== undefined,
        });
      },
    ).stdin?.end();
  });
}

/**
 * Through the spawn helper. Undefined when it could not take the command and the command
 * never ran: the caller runs it itself. A helper that died while a command ran: a read-only
 * command is run again; a disk-changing one is not — it may have run, in part — and fails.
 */
async function viaHelper(spawner: Spawner, argv: readonly string[], options: RunOptions, mutating: boolean): Promise<RawResult | undefined> {
  try {
    return { ...(await spawner.run(argv, options.input)), timedOut: false };
  } catch (e) {
    if (!(e instanceof SpawnerUnavailable)) throw e;
    if (e.sent && mutating) {
      throw new UserError('COMMAND_FAILED', `${argv.join(' ')}: the helper process that ran it died (${e.message}); whether the command finished is not known`, {
        hint: 'check what it was changing before running it again; an interrupted rebuild continues with --resume, which checks each unfinished step against the disk',
      });
    }
    return undefined;
  }
}

/**
 * Commands without a timeout and with at most MAX_INPUT bytes of stdin go through the spawn
 * helper when there is one; the rest (and all when there is none): read-only ones through
 * node:child_process, disk-changing ones and those with stdin through execa.
 */
async function spawn(argv: readonly string[], options: RunOptions, gate: Gate, searchPath: string | undefined, mutating: boolean, spawner: () => Spawner | undefined): Promise<CommandResult> {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('runner: empty argv');
  const r = await gate.with(async () => {
    if (options.processGroup) return viaExecaGroup(program, args, options, searchPath);
    if (options.onLine) return viaExeca(program, args, options, searchPath); // the helper writes output to files: no lines as they come
    const fits = options.timeoutMs === undefined && (options.input === undefined || Buffer.byteLength(options.input) <= MAX_INPUT);
    const helper = fits ? spawner() : undefined;
    const viaHelperResult = helper && (await viaHelper(helper, argv, options, mutating));
    if (viaHelperResult) return viaHelperResult;
    return mutating || options.input !== undefined ? viaExeca(program, args, options, searchPath) : viaExecFile(program, args, options, searchPath);
  });
  if (r.enoent) {
    const pkg = debianPackageFor(program);
    throw new UserError('TOOL_MISSING', `${program} is not installed`, {
      hint: pkg ? `install it: apt-get install ${pkg}` : `install the package that provides ${program}`,
    });
  }
  const result: CommandResult = { argv, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  if (r.exitCode !== 0 && !(options.okExitCodes ?? []).includes(r.exitCode)) {
    throw commandFailed(result, r.timedOut ? `timed out after ${options.timeoutMs} ms` : undefined);
  }
  return result;
}

export function commandFailed(result: CommandResult, why?: string): UserError {
  const stderr = tail(result.stderr || result.stdout);
  const hint = hintFor(result.stderr);
  return new UserError(
    'COMMAND_FAILED',
    `${result.argv.join(' ')} failed (${why ?? `exit ${result.exitCode}`})${stderr ? `:\n  ${stderr.replace(/\n/g, '\n  ')}` : ''}`,
    hint ? { hint } : {},
  );
}

/**
 * Files: sysfs attributes, /proc, /etc, package databases. Read synchronously: they are in
 * memory or the page cache, and capture reads a few thousand of them — through fs/promises
 * each read is four trips through the thread pool, which made the sysfs walk before the first
 * probe cost more than the probes. Block devices (readBytes) stay asynchronous.
 */
class HostReader {
  protected readonly searchPath: string | undefined;
  constructor(searchPath?: string) {
    this.searchPath = searchPath;
  }

  async readFile(path: string): Promise<string> {
    return readFileSync(path, 'utf8');
  }
  async readFileOptional(path: string): Promise<string | undefined> {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
  async readDir(path: string): Promise<string[]> {
    return readdirSync(path).sort();
  }
  async readLink(path: string): Promise<string> {
    return readlinkSync(path);
  }
  async exists(path: string): Promise<boolean> {
    return existsSync(path);
  }
  async readBytes(path: string, offset: number, length: number): Promise<Uint8Array> {
    const fh = await open(path, fsc.O_RDONLY);
    try {
      const buf = new Uint8Array(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }
  async hasProgram(program: string): Promise<boolean> {
    for (const dir of childEnv(this.searchPath).PATH!.split(delimiter)) {
      try {
        await access(join(dir, program), fsc.X_OK);
        return true;
      } catch {
        /* next */
      }
    }
    return false;
  }
}

class HostReadOnlyRunner extends HostReader implements ReadOnlyRunner {
  readonly mode: 'read-only' | 'mutating' = 'read-only';
  protected readonly gate: Gate;
  private spawner: Spawner | undefined | null = null; // null: not started yet
  constructor(concurrency: number, searchPath?: string) {
    super(searchPath);
    this.gate = new Gate(concurrency);
  }
  /** The spawn helper, started on first use; undefined when there is no perl or it is turned off. */
  protected helper = (): Spawner | undefined => {
    if (this.spawner === null) {
      const perl = ['/usr/bin/perl', '/bin/perl'].find((p) => existsSync(p));
      this.spawner = perl && process.env.SYSMANIFEST_NO_HELPER !== '1' ? new Spawner(perl, { ...process.env, ...childEnv(this.searchPath) }) : undefined;
    }
    return this.spawner;
  };
  run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    if (!isReadOnlyInvocation(argv)) {
      // A bug, not a user error: a read-only service asked for something that could write.
      throw new Error(`read-only runner refused a command that is not known to be read-only: ${argv.join(' ')}`);
    }
    return spawn(argv, options, this.gate, this.searchPath, false, this.helper);
  }
}

class HostMutatingRunner extends HostReadOnlyRunner implements MutatingRunner {
  override readonly mode = 'mutating' as const;
  mutate(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return spawn(argv, options, this.gate, this.searchPath, true, this.helper);
  }
}

/** `searchPath` replaces PATH (tests); by default PATH plus the sbin directories. */
export function hostReadOnlyRunner(concurrency = 8, searchPath?: string): ReadOnlyRunner {
  return new HostReadOnlyRunner(concurrency, searchPath);
}

export function hostMutatingRunner(concurrency = 4, searchPath?: string): MutatingRunner {
  return new HostMutatingRunner(concurrency, searchPath);
}
