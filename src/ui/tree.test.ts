import assert from 'node:assert/strict';
import { test } from 'node:test';
import { humanBytes, renderTree } from './tree.ts';

test('renderTree draws nested children with box characters', () => {
  const text = renderTree([{ label: 'disk0', children: [{ label: 'p1', children: [{ label: 'ext4' }] }, { label: 'p2' }] }]);
  assert.equal(text, 'disk0\n├─ p1\n│  └─ ext4\n└─ p2\n');
});

test('humanBytes uses binary units', () => {
  assert.equal(humanBytes(512), '512 B');
  assert.equal(humanBytes(1048576), '1 MiB');
  assert.equal(humanBytes(1610612736), '1.5 GiB');
});
