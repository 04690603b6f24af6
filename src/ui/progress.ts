// Progress of a rebuild as plain lines (or JSON objects with --json), one per event, for
// logs and pipes. On a terminal the ink view (progress-ink.ts) is used instead; it is loaded
// only then, because ink costs most of the CLI's start-up time. Views only render events.
import type { ApplyEvent } from '../core/plan/apply.ts';
import { printable } from '../core/text.ts';

export interface ProgressSink {
  onEvent(e: ApplyEvent): void;
  done(): void;
}

/** Elapsed time as people read it: 42 s, 3 min 05 s. */
export function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

export function plainProgress(write: (s: string) => void, json: boolean): ProgressSink {
  return {
    onEvent(e) {
      // A long step's lines are too many for a log: its latest one is shown with each tick.
      if (e.type === 'output') return;
      if (e.type === 'tick') {
        write(json ? `${JSON.stringify({ event: 'progress', step: e.step.id, ms: e.ms, ...(e.line ? { line: e.line } : {}) })}\n` : `      … ${elapsed(e.ms)}${e.line ? `: ${printable(e.line)}` : ''}\n`);
        return;
      }
      if (json) {
        write(`${JSON.stringify({ event: e.type, step: e.step.id, stage: e.step.stage ?? 'storage', ...(e.type === 'done' ? { ms: e.ms } : {}), ...(e.type === 'failed' || e.type === 'deferred' ? { error: e.error.message } : {}), ...(e.type === 'skip' ? { why: e.why } : {}) })}\n`);
        return;
      }
      if (e.type === 'start') write(`[${e.index + 1}/${e.total}] ${e.step.title} …\n`);
      else if (e.type === 'done') write(`      done in ${(e.ms / 1000).toFixed(1)} s\n`);
      else if (e.type === 'skip') write(`      skip ${e.step.title} (${e.why === 'done' ? 'done in an earlier run' : 'found done on disk'})\n`);
      else if (e.type === 'deferred') write(`      OUTSTANDING (the rebuild goes on; --resume retries it): ${e.error.message.split('\n')[0]}\n`);
      else write(`      FAILED: ${e.error.message.split('\n')[0]}\n`);
    },
    done() {},
  };
}
