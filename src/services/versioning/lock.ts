// The run lock: two captures of one manifest repository never overlap. Node has no flock(2),
// so the lock is a file created atomically with link(2) (it appears complete or not at all)
// holding {pid, process start time, since}. A lock whose process is gone — or whose PID was
// reused by another process (different start time in /proc/PID/stat) — is stale and is broken:
// renamed away (atomic, so only one breaker wins) and checked to be the stale one before it
// is deleted. A process killed with SIGKILL leaves a stale lock; the next run breaks it. An
// interrupted one (SIGINT, SIGTERM) releases it and removes its temp file on the way out.
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { onInterrupt } from '../../core/interrupt.ts';

export interface LockInfo {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot): tells a reused PID apart. */
  readonly startTime: string;
  /** ISO time the lock was taken. */
  readonly since: string;
  readonly what: string;
  /** Random token: this holder's lock, not a later one at the same path. */
  readonly token: string;
}

export interface Lock {
  readonly path: string;
  readonly info: LockInfo;
  release(): Promise<void>;
}

async function procStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19]; // field 22 overall = index 19 after pid, comm
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `info` still runs (same PID and same start time). */
export async function holderAlive(info: LockInfo): Promise<boolean> {
  const start = await procStartTime(info.pid);
  return start !== undefined && start === info.startTime;
}

async function readLock(path: string): Promise<{ info: LockInfo | undefined; raw: string } | undefined> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const v = JSON.parse(raw) as LockInfo;
    return { info: typeof v.pid === 'number' && typeof v.token === 'string' ? v : undefined, raw };
  } catch {
    return { info: undefined, raw };
  }
}

/** One attempt: true when this process now holds the lock. */
async function tryLink(path: string, content: string): Promise<boolean> {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.lock.tmp`);
  const forget = onInterrupt(() => rmSync(tmp, { force: true }));
  try {
    // Inside the try: a write that fails half-way (a full disk) still has its temp file removed.
    await writeFile(tmp, content, { mode: 0o644, flag: 'wx' });
    try {
      await link(tmp, path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } finally {
    await rm(tmp, { force: true });
    forget();
  }
}

/**
 * Break a stale lock whose content was `raw`. Rename is atomic: of several breakers one wins;
 * the winner checks it took the stale file (not a fresh lock that replaced it meanwhile) and
 * puts a fresh one back if it did.
 */
async function breakStale(path: string, raw: string): Promise<void> {
  const grave = `${path}.stale.${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, grave);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else broke it
    throw e;
  }
  const taken = await readFile(grave, 'utf8');
  if (taken !== raw) {
    // A live lock replaced the stale one between our read and our rename: restore it.
    try {
      await link(grave, path);
    } catch {
      /* another process took the lock meanwhile; the restored holder's release is a no-op */
    }
  }
  await rm(grave, { force: true });
}

export function lockMessage(info: LockInfo | undefined, path: string): string {
  return info ? `another ${info.what} (pid ${info.pid}) is running since ${info.since} (lock ${path})` : `another run holds the lock ${path}`;
}

/**
 * Take the lock at `path`, waiting up to `waitSeconds` (0: do not wait) for a live holder.
 * Throws UserError REFUSED with the holder's pid and start when it cannot.
 */
export async function acquireLock(path: string, options: { what: string; waitSeconds?: number; pollMs?: number }): Promise<Lock> {
  await mkdir(dirname(path), { recursive: true });
  const startTime = await procStartTime(process.pid);
  if (startTime === undefined) throw new Error('cannot read /proc/self/stat: the run lock needs /proc');
  const info: LockInfo = { pid: process.pid, startTime, since: new Date().toISOString(), what: options.what, token: randomBytes(8).toString('hex') };
  const content = `${JSON.stringify(info)}\n`;
  const deadline = Date.now() + Math.max(0, options.waitSeconds ?? 0) * 1000;
  const poll = options.pollMs ?? 200;
  for (;;) {
    if (await tryLink(path, content)) {
      // Interrupted while holding it: released synchronously (the handler exits right after).
      const forget = onInterrupt(() => {
        if (readFileSync(path, 'utf8') === content) rmSync(path, { force: true });
      });
      return {
        path,
        info,
        release: async () => {
          forget();
          const cur = await readLock(path);
          if (cur?.info?.token === info.token) await rm(path, { force: true });
        },
      };
    }
    const cur = await readLock(path);
    if (cur === undefined) continue; // released between our attempt and our read
    // Unreadable content cannot come from a half-written lock (link makes it appear whole):
    // it is not ours to judge, so it is treated as stale only if it names no live process.
    if (cur.info === undefined || !(await holderAlive(cur.info))) {
      await breakStale(path, cur.raw);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new UserError('REFUSED', lockMessage(cur.info, path), {
        hint: options.waitSeconds ? `it did not finish within --wait ${options.waitSeconds}` : 'wait for it to finish, or pass --wait SECONDS to wait for it',
      });
    }
    await new Promise((r) => setTimeout(r, Math.min(poll, Math.max(1, deadline - Date.now()))));
  }
}
