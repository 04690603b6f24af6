// The status file, as flashback keeps one: what the last run did, when, how long it took,
// and (from the schedule) when the next one is due. Kept in the manifest repository's .git
// directory (machine state about the repository, never committed), written atomically.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/repo/files.ts';

export type RunResult = 'committed' | 'unchanged' | 'captured' | 'cancelled' | 'error';

export interface RunStatus {
  readonly host?: string;
  readonly repo: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly result: RunResult;
  /** The commit made by this run. */
  readonly commit?: string;
  /** Its subject line (what changed). */
  readonly subject?: string;
  /** The remote pushed to, and whether it worked. */
  readonly push?: { readonly remote: string; readonly ok: boolean; readonly message?: string };
  readonly error?: { readonly code: string; readonly message: string };
  /** The last run that did not fail (carried over from earlier runs). */
  readonly lastSuccess?: { readonly finishedAt: string; readonly result: RunResult; readonly commit?: string };
}

export const statusDir = (repo: string): string => join(repo, '.git', 'sysmanifest');
export const statusFile = (repo: string): string => join(statusDir(repo), 'status.json');
export const lockFile = (repo: string): string => join(statusDir(repo), 'run.lock');

export async function readStatus(repo: string): Promise<RunStatus | undefined> {
  try {
    return JSON.parse(await readFile(statusFile(repo), 'utf8')) as RunStatus;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function writeStatus(repo: string, s: Omit<RunStatus, 'lastSuccess'>): Promise<RunStatus> {
  const prev = await readStatus(repo).catch(() => undefined);
  const ok = s.result !== 'error' && s.result !== 'cancelled';
  const lastSuccess = ok ? { finishedAt: s.finishedAt, result: s.result, ...(s.commit ? { commit: s.commit } : {}) } : prev?.lastSuccess;
  const full: RunStatus = { ...s, ...(lastSuccess ? { lastSuccess } : {}) };
  await writeFileAtomic(statusFile(repo), `${JSON.stringify(full, null, 2)}\n`);
  return full;
}
