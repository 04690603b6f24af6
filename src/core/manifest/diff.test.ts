import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffValues, formatDifference } from './diff.ts';

test('diffValues: equal values give no differences', () => {
  assert.deepEqual(diffValues({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), []);
});

test('diffValues: entries with ids are compared by id, not position', () => {
  const expected = { partitions: [{ id: 'p1', size: 10 }, { id: 'p2', size: 20 }] };
  const actual = { partitions: [{ id: 'p2', size: 21 }, { id: 'p1', size: 10 }, { id: 'p3', size: 5 }] };
  const d = diffValues(expected, actual).map(formatDifference);
  assert.deepEqual(d, ['partitions[1].size: expected 20, found 21', 'partitions["+p3"]: expected (absent), found {"id":"p3","size":5}']);
});

test('diffValues: missing and extra fields', () => {
  assert.deepEqual(diffValues({ label: 'x' }, { uuid: 'u' }).map(formatDifference), ['label: expected x, found (absent)', 'uuid: expected (absent), found u']);
});
