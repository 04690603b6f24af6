// Progress of a rebuild. On a terminal: an ink view (a live line per step); otherwise, or
// with --json: one plain line (or JSON object) per event. Views only render events.
import { createElement as h, useEffect, useState } from 'react';
import { Box, render, Text } from 'ink';
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

interface Line {
  readonly id: string;
  readonly text: string;
  readonly state: 'running' | 'done' | 'skip' | 'failed';
}

export function inkProgress(): ProgressSink {
  let push: ((e: ApplyEvent) => void) | undefined;
  const queue: ApplyEvent[] = [];
  const View = (): ReturnType<typeof h> => {
    const [lines, setLines] = useState<Line[]>([]);
    useEffect(() => {
      push = (e) =>
        setLines((old) => {
          const rest = old.filter((l) => l.id !== e.step.id);
          const text = e.type === 'start' ? `[${e.index + 1}/${e.total}] ${e.step.title}` : (old.find((l) => l.id === e.step.id)?.text ?? e.step.title);
          const state = e.type === 'start' ? 'running' : e.type === 'done' ? 'done' : e.type === 'skip' ? 'skip' : 'failed';
          return [...rest, { id: e.step.id, text, state }];
        });
      for (const e of queue.splice(0)) push(e);
    }, []);
    const mark = { running: '…', done: '✔', skip: '↷', failed: '✘' } as const;
    const color = { running: 'yellow', done: 'green', skip: 'gray', failed: 'red' } as const;
    return h(
      Box,
      { flexDirection: 'column' },
      lines.map((l) => h(Text, { key: l.id, color: color[l.state] }, `${mark[l.state]} ${l.text}`)),
    );
  };
  const app = render(h(View));
  return {
    onEvent(e) {
      if (push) push(e);
      else queue.push(e);
    },
    done() {
      app.unmount();
    },
  };
}
