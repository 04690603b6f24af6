// Progress of a rebuild on a terminal: an ink view with a live line per step. Loaded with a
// dynamic import only when stdout is a TTY (ink and its layout engine are slow to load).
import { createElement as h, useEffect, useState } from 'react';
import { Box, render, Text } from 'ink';
import type { ApplyEvent } from '../core/plan/apply.ts';
import { elapsed, type ProgressSink } from './progress.ts';
import { printable } from '../core/text.ts';

interface Line {
  readonly id: string;
  readonly text: string;
  readonly state: 'running' | 'done' | 'skip' | 'failed' | 'deferred';
  /** A long step: the time so far and its latest output line. */
  readonly detail?: string;
  readonly ms?: number;
}

export function inkProgress(): ProgressSink {
  let push: ((e: ApplyEvent) => void) | undefined;
  const queue: ApplyEvent[] = [];
  const View = (): ReturnType<typeof h> => {
    const [lines, setLines] = useState<Line[]>([]);
    useEffect(() => {
      push = (e) =>
        setLines((old) => {
          if (e.type === 'output' || e.type === 'tick') {
            return old.map((l) => (l.id === e.step.id ? { ...l, ms: e.ms, ...(e.line ? { detail: printable(e.line) } : {}) } : l));
          }
          const rest = old.filter((l) => l.id !== e.step.id);
          const text = printable(e.type === 'start' ? `[${e.index + 1}/${e.total}] ${e.step.title}` : (old.find((l) => l.id === e.step.id)?.text ?? e.step.title));
          const state = e.type === 'start' ? 'running' : e.type === 'done' ? 'done' : e.type === 'skip' ? 'skip' : e.type === 'deferred' ? 'deferred' : 'failed';
          return [...rest, { id: e.step.id, text: e.type === 'done' ? `${text} (${elapsed(e.ms)})` : text, state }];
        });
      for (const e of queue.splice(0)) push(e);
    }, []);
    const mark = { running: '…', done: '✔', skip: '↷', failed: '✘', deferred: '⧗' } as const;
    const color = { running: 'yellow', done: 'green', skip: 'gray', failed: 'red', deferred: 'magenta' } as const;
    return h(
      Box,
      { flexDirection: 'column' },
      lines.flatMap((l) => [
        h(Text, { key: l.id, color: color[l.state] }, `${mark[l.state]} ${l.text}${l.state === 'running' && l.ms !== undefined ? ` — ${elapsed(l.ms)}` : ''}`),
        ...(l.state === 'running' && l.detail ? [h(Text, { key: `${l.id}:detail`, dimColor: true, wrap: 'truncate-end' }, `    ${l.detail}`)] : []),
      ]),
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
