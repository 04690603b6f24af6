// Running a command whose stdin or stdout is a secret in binary form (a tar of host keys into
// `age --encrypt`, `age --decrypt` into `tar --extract`). core/runner carries text only (utf8
// stdin and stdout, and its spawn helper frames them as lines), which would corrupt a tar or an
// age file; so binary pipes are run here, in the runner folder (the only place that spawns). The bytes go
// through pipes and this process's memory, never through a file: that is the point.
// argv arrays, never a shell; LC_ALL=C as everywhere; a missing program is the runner's
// TOOL_MISSING with its "install it: apt-get install …" hint.
import { spawn } from 'node:child_process';
import { delimiter } from 'node:path';
import { UserError } from '../errors.ts';
import { debianPackageFor } from './tools.ts';

export interface PipeResult {
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Programs of the secrets path that core/runner's table does not know yet. */
const PACKAGES: Readonly<Record<string, string>> = { age: 'age', 'age-keygen': 'age', tar: 'tar', chroot: 'coreutils' };

function env(): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '/usr/bin:/bin').split(delimiter);
  for (const d of ['/usr/local/sbin', '/usr/sbin', '/sbin']) if (!path.includes(d)) path.push(d);
  return { ...process.env, LC_ALL: 'C', LANG: 'C', LANGUAGE: '', PATH: path.join(delimiter) };
}

export function toolMissing(program: string): UserError {
  const pkg = PACKAGES[program] ?? debianPackageFor(program);
  return new UserError('TOOL_MISSING', `${program} is not installed`, { hint: pkg ? `install it: apt-get install ${pkg}` : `install the package that provides ${program}` });
}

/**
 * argv with `input` on stdin; resolves with stdout (bytes) when it exits 0. A failure names
 * the argv (never a secret: callers pass none in it) and the tail of stderr — never stdout.
 */
export function pipeRun(argv: readonly string[], input: Uint8Array | undefined, what?: (stderr: string) => string | undefined): Promise<PipeResult> {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('pipeRun: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env: env(), stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? toolMissing(program) : e));
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) return resolve({ stdout: Buffer.concat(out), stderr });
      const tail = stderr.trimEnd().split('\n').slice(-6).join('\n  ');
      const hint = what?.(stderr);
      reject(new UserError('COMMAND_FAILED', `${argv.join(' ')} failed (${signal ? `signal ${signal}` : `exit ${code}`})${tail ? `:\n  ${tail}` : ''}`, hint ? { hint } : {}));
    });
    if (input !== undefined && child.stdin) {
      // EPIPE when the program exits early (a bad recipient): its exit status tells why.
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
  });
}

/**
 * A program the user works in (an editor on a conflict), on this terminal: stdin, stdout and
 * stderr are the user's. Resolves with its exit status.
 */
export function interactive(argv: readonly string[]): Promise<number> {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('interactive: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: 'inherit' });
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? toolMissing(program) : e));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
