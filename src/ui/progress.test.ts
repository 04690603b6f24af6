import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Step } from '../core/plan/types.ts';
import { elapsed, plainProgress } from './progress.ts';

const step: Step = { id: 'packages:install', title: 'install', argv: ['x'], risk: 'create', after: [], long: true };

test('plain progress: a long step\'s lines only with each tick (time so far, latest line, control characters escaped); JSON gets progress objects', () => {
  const out: string[] = [];
  const p = plainProgress((s) => out.push(s), false);
  p.onEvent({ type: 'start', step, index: 3, total: 40 });
  p.onEvent({ type: 'output', step, line: 'Unpacking hello', ms: 1000 });
  p.onEvent({ type: 'tick', step, ms: 125_000, line: 'Setting up hello (2.10-3) \u001b[31m' });
  p.onEvent({ type: 'done', step, ms: 130_000 });
  assert.deepEqual(out, ['[4/40] install …\n', '      … 2 min 05 s: Setting up hello (2.10-3) \\u001b[31m\n', '      done in 130.0 s\n']);
  const json: string[] = [];
  plainProgress((s) => json.push(s), true).onEvent({ type: 'tick', step, ms: 10_000, line: 'Get:1 hello' });
  assert.deepEqual(JSON.parse(json[0]!), { event: 'progress', step: 'packages:install', ms: 10_000, line: 'Get:1 hello' });
});

test('elapsed: seconds, then minutes and seconds', () => {
  assert.equal(elapsed(42_400), '42 s');
  assert.equal(elapsed(185_000), '3 min 05 s');
});
