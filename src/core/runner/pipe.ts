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
import { isReadOnlyInvocation } from './policy.ts';
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

/**
 * `argv1 | argv2 | …` without a shell, every stage a read-only invocation (policy.ts; refused
 * otherwise, as a ReadOnlyRunner's run() refuses it): the last stage's stdout as bytes (the
 * pristine conffile out of `dpkg-deb --fsys-tarfile DEB | tar --extract --to-stdout …`). Output
 * beyond `maxBytes` or a run past `timeoutMs` kills every stage and fails. A failure names the
 * stage and the tail of its stderr; when several fail, the last one's (tar's "Not found in
 * archive" explains dpkg-deb's broken pipe).
 */
export function readOnlyPipeline(stages: ReadonlyArray<readonly string[]>, options: { maxBytes: number; timeoutMs: number }): Promise<Buffer> {
  if (stages.length === 0) throw new Error('readOnlyPipeline: no stage');
  for (const argv of stages) {
    if (!isReadOnlyInvocation(argv)) throw new Error(`readOnlyPipeline refused a command that is not known to be read-only: ${argv.join(' ')}`);
  }
  return new Promise((resolve, reject) => {
    const children = stages.map(([program, ...args]) => spawn(program!, args, { env: env(), stdio: ['pipe', 'pipe', 'pipe'] }));
    const stderr = children.map(() => [] as Buffer[]);
    const out: Buffer[] = [];
    let size = 0;
    let failure: UserError | Error | undefined;
    let open = children.length;
    const killAll = (): void => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      failure ??= new UserError('COMMAND_FAILED', `${stages.map((s) => s.join(' ')).join(' | ')} timed out after ${options.timeoutMs} ms`);
      killAll();
    }, options.timeoutMs);
    const codes: Array<{ code: number | null; signal: NodeJS.Signals | null }> = [];
    children.forEach((child, i) => {
      child.stderr!.on('data', (b: Buffer) => stderr[i]!.push(b));
      child.stdin!.on('error', () => {}); // EPIPE when a stage exits early: its status tells why
      if (i === 0) child.stdin!.end();
      const next = children[i + 1];
      if (next) child.stdout!.pipe(next.stdin!);
      else
        child.stdout!.on('data', (b: Buffer) => {
          size += b.length;
          if (size > options.maxBytes) {
            failure ??= new UserError('REFUSED', `${stages.map((s) => s.join(' ')).join(' | ')}: more than ${options.maxBytes} bytes of output; stopped`);
            killAll();
          } else out.push(b);
        });
      child.on('error', (e: NodeJS.ErrnoException) => {
        failure ??= e.code === 'ENOENT' ? toolMissing(stages[i]![0]!) : e;
        killAll();
      });
      child.on('close', (code, signal) => {
        codes[i] = { code, signal };
        if (--open > 0) return;
        clearTimeout(timer);
        if (failure) return reject(failure);
        const failed = codes.map((c, j) => ({ ...c, j })).filter((c) => c.code !== 0);
        if (failed.length === 0) return resolve(Buffer.concat(out));
        const last = failed.at(-1)!;
        const text = Buffer.concat(stderr[last.j]!).toString('utf8');
        const tailText = text.trimEnd().split('\n').slice(-6).join('\n  ');
        reject(new UserError('COMMAND_FAILED', `${stages[last.j]!.join(' ')} failed (${last.signal ? `signal ${last.signal}` : `exit ${last.code}`})${tailText ? `:\n  ${tailText}` : ''}`));
      });
    });
  });
}
