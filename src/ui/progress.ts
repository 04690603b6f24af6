// Progress of a rebuild as plain lines (or JSON objects with --json), one per event, for
// logs and pipes. On a terminal the ink view (progress-ink.ts) is used instead; it is loaded
// only then, because ink costs most of the CLI's start-up time. Views only render events.
import type { ApplyEvent } from '../core/plan/apply.ts';

export interface ProgressSink {
  onEvent(e: ApplyEvent): void;
  done(): void;
}

export function plainProgress(write: (s: string) => void, json: boolean): ProgressSink {
  return {
    onEvent(e) {
      if (json) {
        write(`${JSON.stringify({ event: e.type, step: e.step.id, ...(e.type === 'done' ? { ms: e.ms } : {}), ...(e.type === 'failed' ? { error: e.error.message } : {}), ...(e.type === 'skip' ? { why: e.why } : {}) })}\n`);
        return;
      }
      if (e.type === 'start') write(`[${e.index + 1}/${e.total}] ${e.step.title} …\n`);
      else if (e.type === 'done') write(`      done in ${(e.ms / 1000).toFixed(1)} s\n`);
      else if (e.type === 'skip') write(`      skip ${e.step.title} (${e.why === 'done' ? 'done in an earlier run' : 'found done on disk'})\n`);
      else write(`      FAILED: ${e.error.message.split('\n')[0]}\n`);
    },
    done() {},
  };
}
