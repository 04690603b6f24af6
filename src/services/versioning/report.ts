// `sysmanifest status`: the status file of the last run, the run in progress (the lock and
// whether its process is alive), and the schedule with its next run.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ReadOnlyRunner } from '../../core/runner/types.ts';
import { holderAlive, type LockInfo } from './lock.ts';
import { showSchedule, type Locations, type ScheduleState } from './schedule.ts';
import { lockFile, readStatus, type RunStatus } from './status.ts';

export interface StatusValue {
  readonly repo: string;
  readonly lastRun?: RunStatus;
  /** A run holding the lock now (stale locks are reported as such). */
  readonly running?: LockInfo & { readonly alive: boolean };
  readonly schedule: ScheduleState;
}

async function readLockInfo(path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export async function runStatus(runner: ReadOnlyRunner, o: { repo: string } & Partial<Locations>): Promise<{ value: StatusValue; text: string }> {
  const repo = resolve(o.repo);
  const [lastRun, lock, schedule] = await Promise.all([readStatus(repo), readLockInfo(lockFile(repo)), showSchedule(runner, o)]);
  const running = lock ? { ...lock, alive: await holderAlive(lock) } : undefined;
  const value: StatusValue = { repo, ...(lastRun ? { lastRun } : {}), ...(running ? { running } : {}), schedule };
  const lines = [`repository: ${repo}`];
  if (!lastRun) lines.push('last run:   none recorded');
  else {
    lines.push(`last run:   ${lastRun.finishedAt} — ${lastRun.result}${lastRun.host ? ` (${lastRun.host})` : ''}, took ${secs(lastRun.durationMs)}`);
    if (lastRun.subject) lines.push(`            ${lastRun.commit?.slice(0, 10) ?? ''} ${lastRun.subject}`);
    if (lastRun.push) lines.push(`            push to ${lastRun.push.remote}: ${lastRun.push.ok ? 'ok' : `FAILED ${lastRun.push.message ?? ''}`}`);
    if (lastRun.error) lines.push(`            error ${lastRun.error.code}: ${lastRun.error.message.split('\n')[0]}`);
    if (lastRun.result === 'error' || lastRun.result === 'cancelled') lines.push(`last success: ${lastRun.lastSuccess ? `${lastRun.lastSuccess.finishedAt} (${lastRun.lastSuccess.result})` : 'never'}`);
  }
  if (running) lines.push(`running:    ${running.alive ? `pid ${running.pid} (${running.what}) since ${running.since}` : `stale lock of pid ${running.pid} (no such process; the next run removes it)`}`);
  lines.push(
    schedule.kind
      ? `schedule:   ${schedule.kind} ${schedule.every ?? ''}; next run ${schedule.nextRun ?? 'unknown'}`
      : 'schedule:   none (sysmanifest schedule install)',
  );
  return { value, text: `${lines.join('\n')}\n` };
}
