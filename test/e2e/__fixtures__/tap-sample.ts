// Input for the TAP fixture tap-sample.tap (see README.md here). Not a test of the project:
// it exists to make node's TAP reporter print every shape test/e2e/tap.ts must read.
import assert from 'node:assert/strict';
import { test } from 'node:test';

test('passes', () => {
  assert.equal(1, 1);
});

test('parent with # in its name', async (t) => {
  await t.test('child passes', () => {});
  await t.test('child fails', () => {
    assert.equal('guest', 'host');
  });
});

test('skipped', { skip: 'not in the guest # really' }, () => {});

test('todo', { todo: 'later' }, () => {});
