import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PLAN_VERSION, type Plan } from '../core/plan/types.ts';
import { renderPlan } from './plan.ts';

test('renderPlan: exact argv and inputs; a multi-line script many steps share is shown once, then named by its first step', () => {
  const script = 'set -e\nuseradd "$1"\n';
  const plan: Plan = {
    version: PLAN_VERSION, manifestSha256: 'x', host: 'h', disks: { disk0: '/dev/vdb' }, wipe: [], target: '/mnt/t',
    steps: [
      { id: 'a', title: 'user a', argv: ['sh', '-c', script, 'sh', 'a'], risk: 'create', after: [] },
      { id: 'b', title: 'user b', argv: ['sh', '-c', script, 'sh', 'b b'], risk: 'create', after: [] },
      { id: 'c', title: 'table', argv: ['sfdisk', '/dev/vdb'], input: { kind: 'text', text: 'label: gpt\n' }, risk: 'destroy', after: [] },
    ],
  };
  assert.equal(renderPlan(plan), [
    'Plan for h: 3 steps, tree mounted under /mnt/t',
    '  disk0 → /dev/vdb',
    '',
    `1. [create] user a`,
    `   $ sh -c 'set -e\nuseradd "$1"\n' sh a`,
    `2. [create] user b`,
    `   $ sh -c <the script of step 1> sh 'b b'`,
    `3. [DESTROY] table`,
    `   $ sfdisk /dev/vdb`,
    `     | label: gpt`,
    '',
  ].join('\n'));
});
