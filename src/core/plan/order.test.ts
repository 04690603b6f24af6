import assert from 'node:assert/strict';
import { test } from 'node:test';
import { orderSteps } from './order.ts';
import type { Step } from './types.ts';

const step = (id: string, after: string[] = []): Step => ({ id, title: id, argv: ['true'], risk: 'create', after });

test('orderSteps puts dependencies first and keeps the planners order otherwise', () => {
  const out = orderSteps([step('mkfs', ['lv']), step('table'), step('lv', ['vg']), step('vg', ['pv']), step('pv', ['table']), step('swap', ['table'])]);
  assert.deepEqual(
    out.map((s) => s.id),
    ['table', 'pv', 'vg', 'lv', 'mkfs', 'swap'],
  );
});

test('orderSteps refuses cycles, unknown and duplicate steps', () => {
  assert.throws(() => orderSteps([step('a', ['b']), step('b', ['a'])]), /cycle among a, b/);
  assert.throws(() => orderSteps([step('a', ['zzz'])]), /unknown step zzz/);
  assert.throws(() => orderSteps([step('a'), step('a')]), /duplicate step id a/);
});
