import assert from 'node:assert/strict';
import { test } from 'node:test';
import { printable } from './text.ts';

test('control characters are shown escaped, never sent raw', () => {
  assert.equal(printable('ESP\u001b[2J\u001b[H'), 'ESP\\u001b[2J\\u001b[H');
  assert.equal(printable('a\rb\u0000c\u007f\u0085'), 'a\\u000db\\u0000c\\u007f\\u0085');
  assert.equal(printable('lap\u202etop'), 'lap\\u202etop');
  assert.equal(printable('a\nb\tc'), 'a\\u000ab\\u0009c');
  assert.equal(printable('a\nb\tc', { lines: true }), 'a\nb\tc');
});

test('JSON output stays valid JSON', () => {
  const json = JSON.stringify({ label: 'x\u0085\u007f\u202e\u001b' });
  assert.deepEqual(JSON.parse(printable(json, { lines: true })), { label: 'x\u0085\u007f\u202e\u001b' });
});

test('printable text is left as it is (UTF-8, emoji)', () => {
  assert.equal(printable('Système 😀 /dev/sda1 "x"'), 'Système 😀 /dev/sda1 "x"');
});

test('a lone surrogate is escaped', () => {
  assert.equal(printable('a\ud800b'), 'a\\ud800b');
});
