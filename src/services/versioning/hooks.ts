// Event hooks, as Back In Time's user-callback: user programs called at points of a run with
// the event name as argv[1] and a JSON document on stdin. They are the user's programs, not
// read-only tools, so they go through a MutatingRunner (argv, no shell), with a timeout.
//   run.begin          before anything is gathered; a failing hook cancels the run
//   capture.committed  after the manifest repository got a commit (and push, if any)
//   error              the run failed; the document carries {code, message}
//   run.end            always last, with the result
//   dataset.begin      (datasets sync) before a dataset's snapshot on a target; a failing hook
//                      cancels that snapshot
//   dataset.snapshot   a snapshot was made; dataset.error: one failed; dataset.end: a dataset's
//                      targets are done, with its report. SYSMANIFEST_DATASET and
//                      SYSMANIFEST_TARGET in the hook's environment name them.
// Hooks come from <repo>/hooks.d/ (executable files named as run-parts(8) accepts, in name
// order) and from configured commands (--hook PATH), configured ones first.
import { constants as fsc } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import type { MutatingRunner } from '../../core/runner/types.ts';

export type HookEvent = 'run.begin' | 'run.end' | 'capture.committed' | 'error' | 'dataset.begin' | 'dataset.snapshot' | 'dataset.end' | 'dataset.error';

export const HOOKS_DIR = 'hooks.d';
export const DEFAULT_HOOK_TIMEOUT_MS = 60_000;

/** run-parts(8)'s default name rule: no dots, so *.dpkg-old, *.swp and README.md are skipped. */
const RUN_PARTS_NAME = /^[A-Za-z0-9_-]+$/;

export async function discoverHooks(repo: string, configured: readonly string[] = []): Promise<string[]> {
  const dir = join(repo, HOOKS_DIR);
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => RUN_PARTS_NAME.test(n)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const found: string[] = [];
  for (const n of names) {
    const p = join(dir, n);
    try {
      if (!(await stat(p)).isFile()) continue;
      await access(p, fsc.X_OK);
      found.push(p);
    } catch {
      /* not an executable file: skipped, as run-parts does */
    }
  }
  return [...configured, ...found];
}

export interface HookFailure {
  readonly hook: string;
  readonly message: string;
}

export interface HookRunner {
  readonly hooks: readonly string[];
  /** Runs every hook for `event` (with `env` added to its environment); returns the failures (the caller decides what they mean). */
  fire(event: HookEvent, document: Record<string, unknown>, env?: Readonly<Record<string, string>>): Promise<HookFailure[]>;
}

export function hookRunner(runner: MutatingRunner, hooks: readonly string[], timeoutMs = DEFAULT_HOOK_TIMEOUT_MS): HookRunner {
  return {
    hooks,
    async fire(event, document, env = {}) {
      const failures: HookFailure[] = [];
      const input = `${JSON.stringify({ event, ...document })}\n`;
      const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
      for (const hook of hooks) {
        try {
          // processGroup: at the timeout the hook's children die with it, and the run (and its lock) goes on.
          await runner.mutate(vars.length ? ['env', ...vars, hook, event] : [hook, event], { input, timeoutMs, processGroup: true });
        } catch (e) {
          failures.push({ hook, message: (e as Error).message });
        }
      }
      return failures;
    },
  };
}

/** A failing run.begin hook cancels the run: the message names the hook. */
export function cancelledBy(f: HookFailure): UserError {
  return new UserError('REFUSED', `run cancelled: the run.begin hook ${f.hook} failed: ${f.message}`, { hint: `fix or remove ${f.hook}` });
}
