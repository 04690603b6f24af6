import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitLvmDmName } from './ids.ts';

test('splitLvmDmName undoes the doubled hyphens of dm names', () => {
  assert.deepEqual(splitLvmDmName('vg0-root'), { vg: 'vg0', lv: 'root' });
  assert.deepEqual(splitLvmDmName('my--vg-thin--pool_tdata'), { vg: 'my-vg', lv: 'thin-pool_tdata' });
  assert.equal(splitLvmDmName('nohyphen'), undefined);
});
