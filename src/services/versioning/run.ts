// One run of `sysmanifest capture [--commit]`: lock → run.begin hooks → (/etc sync) → capture
// → commit + push → status file → hooks. The lock makes runs of one manifest repository
// strictly one after the other (a scheduled run and a manual one, two timers…).
//
// With --commit the /etc repository is synced first. That writes (git objects and refs of
// ROOT/var/lib/sysmanifest/etc.git), so only this path builds a MutatingRunner, and hands it
// to syncEtcRepo alone; the capture itself still only ever holds a ReadOnlyRunner.
//
// Push failure: the commit is kept (it is the record of the machine), the run reports it on
// stderr, records it in the status file, fires `error` (code PUSH) and exits 1, so that a
// timer's unit shows as failed and nobody believes the remote has today's manifest.
import { join, resolve } from 'node:path';
import { isUserError, UserError } from '../../core/errors.ts';
import type { Manifest } from '../../core/manifest/types.gen.ts';
import { ensureGitRepo, prepareRepoDir, repoFsError } from '../../core/repo/prepare.ts';
import { REPO_SCHEMAS } from '../../core/repo/schemas.ts';
import type { MutatingRunner, ReadOnlyRunner } from '../../core/runner/types.ts';
import { syncEtcRepo, type SyncEtcResult } from '../../providers/system/etc/index.ts';
import { captureToRepo, type CaptureOptions, type CaptureResult } from '../capture.ts';
import { cancelledBy, discoverHooks, hookRunner, type HookEvent } from './hooks.ts';
import { acquireLock } from './lock.ts';
import { commitMessage } from './message.ts';
import { commitFolder, etcRef, hasHead, keepEtcHistory, parseLoose, pushIfRemote, textAt, type PushResult } from './repo.ts';
import { joinInside } from '../../core/confine/index.ts';
import { semanticDiff, type Change } from './semantic.ts';
import { lockFile, writeStatus, type RunResult, type RunStatus } from './status.ts';

export interface RunOptions extends CaptureOptions {
  readonly repo: string;
  /** Sync /etc, commit the manifest repository, push to its remote. */
  readonly commit: boolean;
  /** Seconds to wait for another run's lock (0: fail at once). */
  readonly waitSeconds?: number;
  /** Configured hook commands (in addition to <repo>/hooks.d/). */
  readonly hooks?: readonly string[];
  readonly hookTimeoutMs?: number;
  /** Warnings (a failed non-begin hook) go here. */
  readonly warn?: (message: string) => void;
}

export interface RunOutcome {
  readonly capture: CaptureResult;
  /** The manifest repository was created (git init) by this run. */
  readonly repoCreated: boolean;
  readonly result: RunResult;
  readonly host: string;
  readonly commit?: string;
  readonly message?: string;
  readonly changes: readonly Change[];
  readonly etc?: SyncEtcResult;
  readonly push?: PushResult;
  readonly status: RunStatus;
  /** 0, or 1 when the run finished but something after the commit failed (push). */
  readonly exitCode: number;
}

export interface RunDeps {
  readonly reader: ReadOnlyRunner;
  /** Only used with commit: the /etc sync and the hooks (the user's programs). */
  readonly mutator: MutatingRunner;
}

export async function captureRun(deps: RunDeps, options: RunOptions): Promise<RunOutcome> {
  if (process.getuid?.() !== 0) {
    throw new UserError('NOT_ROOT', 'capture reads every disk and partition table and needs root', { hint: 'run it with sudo' });
  }
  const repo = resolve(options.repo);
  const warn = options.warn ?? ((m: string) => process.stderr.write(`sysmanifest: warning: ${m}\n`));
  // The lock first, then everything else: only the directory itself may exist before it is
  // held, or two first captures race in `git init` (see core/repo/prepare.ts).
  await prepareRepoDir(repo);
  const lock = await acquireLock(lockFile(repo), { what: options.commit ? 'capture --commit' : 'capture', waitSeconds: options.waitSeconds ?? 0 }).catch((e: unknown) => {
    throw repoFsError(e, repo);
  });
  let repoCreated: boolean;
  try {
    repoCreated = await ensureGitRepo(repo);
  } catch (e) {
    await lock.release();
    throw repoFsError(e, repo);
  }
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const hooks = hookRunner(deps.mutator, await discoverHooks(repo, options.hooks), options.hookTimeoutMs);
  let host = options.host;
  const doc = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ repo, root: options.root, host, pid: process.pid, startedAt, commit: options.commit, ...extra });
  const fire = async (event: HookEvent, extra: Record<string, unknown> = {}): Promise<void> => {
    for (const f of await hooks.fire(event, doc(extra))) warn(`${event} hook ${f.hook} failed: ${f.message}`);
  };
  const status = (result: RunResult, extra: Partial<RunStatus> = {}): Promise<RunStatus> => {
    const now = Date.now();
    return writeStatus(repo, { ...(host ? { host } : {}), repo, pid: process.pid, startedAt, finishedAt: new Date(now).toISOString(), durationMs: now - started, result, ...extra });
  };
  let cancelled: UserError | undefined;
  try {
    const begin = await hooks.fire('run.begin', doc());
    if (begin.length > 0) {
      const err = (cancelled = cancelledBy(begin[0]!));
      const st = await status('cancelled', { error: { code: err.code, message: err.message } });
      await fire('run.end', { result: st.result, durationMs: st.durationMs, error: st.error });
      throw err;
    }
    let etc: SyncEtcResult | undefined;
    const capture = await captureToRepo(deps.reader, {
      ...options,
      repo,
      ...(options.commit
        ? {
            syncEtc: async (hostname: string, previous: Manifest | undefined) => {
              host = hostname;
              const exclude = previous?.repos?.etc?.exclude ?? [];
              etc = await syncEtcRepo({ runner: deps.mutator, root: options.root, exclude, hostname });
              return etc.repo;
            },
          }
        : {}),
    });
    host = capture.manifest.host.hostname;
    if (!options.commit) {
      const st = await status('captured');
      await fire('run.end', { result: st.result, durationMs: st.durationMs, file: capture.file });
      return { capture, repoCreated, result: 'captured', host, changes: [], status: st, exitCode: 0 };
    }
    const folder = join('hosts', host);
    const rel = `${folder}/manifest.yaml`;
    const prevText = (await hasHead(repo)) ? await textAt(repo, 'HEAD', rel) : undefined;
    const previous = prevText === undefined ? undefined : parseLoose(prevText, `HEAD:${rel}`);
    const changes = previous === undefined ? [] : semanticDiff(previous, capture.manifest);
    const b = capture.bases;
    const basesLine = b?.indexChanged ? `merge bases: ${b.etc} /etc file(s) recorded, ${b.unavailable} unavailable, ${b.skel} /etc/skel file(s) (${b.written} written, ${b.removed} removed)` : undefined;
    const message = commitMessage(host, previous as Manifest | undefined, capture.manifest, changes, etc?.committed ? etc.changes : undefined, basesLine);
    // hosts/NAME and the schemas its first line points at (core/repo/schemas.ts).
    const commit = await commitFolder(repo, [folder, REPO_SCHEMAS], message, host);
    const etcRepo = capture.manifest.repos?.etc;
    const keptEtc = etcRepo?.kind === 'sysmanifest' && etcRepo.commit !== undefined;
    if (keptEtc) await keepEtcHistory(repo, joinInside(options.root, etcRepo.gitDir), host);
    const push = await pushIfRemote(repo, keptEtc ? [etcRef(host)] : []);
    const result: RunResult = commit ? 'committed' : 'unchanged';
    const pushFailed = push !== undefined && !push.ok;
    const st = await status(result, {
      ...(commit ? { commit, subject: message.split('\n')[0]! } : {}),
      ...(push ? { push } : {}),
      ...(pushFailed ? { error: { code: 'PUSH', message: `push to ${push.remote} failed: ${push.message ?? ''}` } } : {}),
    });
    if (commit) await fire('capture.committed', { commit, subject: message.split('\n')[0], message, changes, ...(push ? { push } : {}) });
    if (pushFailed) {
      // The caller reports it (and exits 1); the hooks hear of it here.
      await fire('error', { code: 'PUSH', message: `push to ${push.remote} failed: ${push.message ?? ''}` });
    }
    await fire('run.end', { result, durationMs: st.durationMs, ...(commit ? { commit } : {}), ...(push ? { push } : {}) });
    return { capture, repoCreated, result, host, ...(commit ? { commit, message } : {}), changes, ...(etc ? { etc } : {}), ...(push ? { push } : {}), status: st, exitCode: pushFailed ? 1 : 0 };
  } catch (caught) {
    if (caught === cancelled) throw caught;
    const e = gitError(repoFsError(caught, repo), repo);
    const code = isUserError(e) ? e.code : 'INTERNAL';
    const message = (e as Error)?.message ?? String(e);
    const st = await status('error', { error: { code, message } }).catch(() => undefined);
    await fire('error', { code, message }).catch(() => undefined);
    await fire('run.end', { result: 'error', ...(st ? { durationMs: st.durationMs } : {}), error: { code, message } }).catch(() => undefined);
    throw e;
  } finally {
    await lock.release();
  }
}

/** simple-git's GitError (a git that failed in the repository: a full disk, a broken .git) as one UserError REPO. */
function gitError(e: unknown, repo: string): unknown {
  if (!(e instanceof Error) || e.constructor.name !== 'GitError') return e;
  return new UserError('REPO', `git failed in the manifest repository ${repo}: ${e.message.trim().split('\n').slice(-3).join(' / ')}`, {
    hint: `see what git says: git -C ${repo} status`,
  });
}
