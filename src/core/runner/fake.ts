// A runner for unit tests: maps argv to recorded output (fixtures of real tools) and a
// virtual file tree (sysfs, /etc). It throws on any command or file it does not know,
// and applies the same read-only policy as the real one; it never spawns a process.
import { readFileSync } from 'node:fs';
import { commandFailed } from './exec.ts';
import { isReadOnlyInvocation } from './policy.ts';
import type { CommandResult, MutatingRunner, RunOptions } from './types.ts';

export interface FakeCommand {
  readonly stdout?: string;
  readonly stderr?: string;
  readonly exitCode?: number;
}

export interface FakeSpec {
  /** Keyed by argv joined with single spaces. */
  readonly commands?: Readonly<Record<string, FakeCommand | string>>;
  /** Path → content. Directories are implied by the paths; symlinks via `links`. */
  readonly files?: Readonly<Record<string, string | Uint8Array>>;
  readonly links?: Readonly<Record<string, string>>;
  /** Extra empty directories. */
  readonly dirs?: readonly string[];
  /** Permission bits of files (lstat); default 0644. */
  readonly modes?: Readonly<Record<string, number>>;
  /** Programs that exist; default: every program that appears in `commands`. */
  readonly programs?: readonly string[];
}

/** Read a fixture file relative to a test module: fixture(import.meta.url, '__fixtures__/x.json'). */
export function fixture(base: string, rel: string): string {
  return readFileSync(new URL(rel, base), 'utf8');
}

export class FakeRunner implements MutatingRunner {
  readonly mode = 'mutating' as const;
  /** Every argv run, in order (read-only and mutating), for assertions. */
  readonly calls: string[][] = [];
  readonly mutations: string[][] = [];

  private readonly spec: FakeSpec;
  constructor(spec: FakeSpec) {
    this.spec = spec;
  }

  private lookup(argv: readonly string[], options: RunOptions): CommandResult {
    this.calls.push([...argv]);
    const key = argv.join(' ');
    const entry = this.spec.commands?.[key];
    if (entry === undefined) throw new Error(`FakeRunner: no fixture for command: ${key}`);
    const c: FakeCommand = typeof entry === 'string' ? { stdout: entry } : entry;
    const result = { argv, exitCode: c.exitCode ?? 0, stdout: c.stdout ?? '', stderr: c.stderr ?? '' };
    if (result.exitCode !== 0 && !(options.okExitCodes ?? []).includes(result.exitCode)) throw commandFailed(result);
    return result;
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    if (!isReadOnlyInvocation(argv)) throw new Error(`FakeRunner: read-only run() of a command that is not read-only: ${argv.join(' ')}`);
    return this.lookup(argv, options);
  }

  async mutate(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    this.mutations.push([...argv]);
    return this.lookup(argv, options);
  }

  private file(path: string): string | Uint8Array | undefined {
    return this.spec.files?.[path];
  }

  async readFile(path: string): Promise<string> {
    const f = this.file(path);
    if (f === undefined) throw new Error(`FakeRunner: no such file: ${path}`);
    return typeof f === 'string' ? f : new TextDecoder().decode(f);
  }

  async readFileOptional(path: string): Promise<string | undefined> {
    const f = this.file(path);
    if (f === undefined) return undefined;
    return typeof f === 'string' ? f : new TextDecoder().decode(f);
  }

  async readDir(path: string): Promise<string[]> {
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const names = new Set<string>();
    const all = [...Object.keys(this.spec.files ?? {}), ...Object.keys(this.spec.links ?? {}), ...(this.spec.dirs ?? [])];
    for (const p of all) if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0]!);
    if (names.size === 0 && !(this.spec.dirs ?? []).includes(path)) throw new Error(`FakeRunner: no such directory: ${path}`);
    names.delete('');
    return [...names].sort();
  }

  async readLink(path: string): Promise<string> {
    const l = this.spec.links?.[path];
    if (l === undefined) throw new Error(`FakeRunner: no such link: ${path}`);
    return l;
  }

  async exists(path: string): Promise<boolean> {
    if (this.file(path) !== undefined || this.spec.links?.[path] !== undefined) return true;
    const prefix = `${path}/`;
    const all = [...Object.keys(this.spec.files ?? {}), ...Object.keys(this.spec.links ?? {}), ...(this.spec.dirs ?? [])];
    return all.some((p) => p === path || p.startsWith(prefix));
  }

  /** The FsProbe of core/confine: what is at `path` in the virtual tree, without following a link. */
  async lstat(path: string): Promise<{ type: 'file' | 'dir' | 'link' | 'other'; mode: number; size: number } | undefined> {
    const f = this.file(path);
    if (f !== undefined) return { type: 'file', mode: this.spec.modes?.[path] ?? 0o644, size: typeof f === 'string' ? Buffer.byteLength(f) : f.length };
    if (this.spec.links?.[path] !== undefined) return { type: 'link', mode: 0o777, size: 0 };
    return (await this.exists(path)) ? { type: 'dir', mode: 0o755, size: 0 } : undefined;
  }

  async readBytes(path: string, offset: number, length: number): Promise<Uint8Array> {
    const f = this.file(path);
    if (f === undefined) throw new Error(`FakeRunner: no such file: ${path}`);
    const bytes = typeof f === 'string' ? new TextEncoder().encode(f) : f;
    return bytes.subarray(offset, offset + length);
  }

  async hasProgram(program: string): Promise<boolean> {
    const programs = this.spec.programs ?? Object.keys(this.spec.commands ?? {}).map((k) => k.split(' ')[0]!);
    return programs.includes(program);
  }
}
