import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { triple } from './__fixtures__/triple.ts';
import type { MergeFormat } from './format.ts';
import { mergeFile } from './merge.ts';

describe('mergeFile: trivial cases', () => {
  it('bash /etc/skel/.bashrc is the same in Debian 12 and 13: the user version, without a diff', () => {
    const t = triple('bashrc', 'bashrc');
    assert.equal(t.base, t.theirs);
    assert.deepEqual(mergeFile(t), { text: t.ours, conflicts: 0, format: 'text', method: 'trivial' });
  });

  it('ours unchanged → theirs', () => {
    const t = triple('sshd', 'sshd_config');
    assert.deepEqual(mergeFile({ ...t, ours: t.base }), { text: t.theirs, conflicts: 0, format: 'text', method: 'trivial' });
  });

  it('both the same → ours', () => {
    const t = triple('sshd', 'sshd_config');
    assert.equal(mergeFile({ ...t, ours: t.theirs }).method, 'trivial');
  });

  it('parses nothing: files that are not JSON at all still merge trivially as json', () => {
    const r = mergeFile({ base: '{ not json', ours: '{ not json, mine', theirs: '{ not json', format: 'json' });
    assert.deepEqual(r, { text: '{ not json, mine', conflicts: 0, format: 'json', method: 'trivial' });
  });

  it('without a base (new on both sides), keys added on each side merge in every structured format', () => {
    const cases: Array<[MergeFormat, string, string, string]> = [
      ['json', '{\n  "a": 1\n}\n', '{\n  "b": 2\n}\n', '{\n  "b": 2,\n  "a": 1\n}\n'],
      ['yaml', 'a: 1\n', 'b: 2\n', 'b: 2\na: 1\n'],
      ['ini', '[s]\na=1\n', '[s]\nb=2\n', '[s]\nb=2\na=1\n'],
      ['toml', 'a = 1\n', 'b = 2\n', 'b = 2\na = 1\n'],
    ];
    for (const [format, ours, theirs, want] of cases) {
      const r = mergeFile({ base: '', ours, theirs, format });
      assert.deepEqual([format, r.method, r.conflicts, r.text], [format, 'structured', 0, want]);
      // The line merge sees two different whole files.
      assert.equal(mergeFile({ base: '', ours, theirs, format: 'text' }).conflicts, 1);
    }
  });

  it('takes the format from the path, else text', () => {
    assert.equal(mergeFile({ base: 'a', ours: 'b', theirs: 'a', path: '/etc/x.toml' }).format, 'toml');
    assert.equal(mergeFile({ base: 'a', ours: 'b', theirs: 'a' }).format, 'text');
    assert.equal(mergeFile({ base: 'a', ours: 'b', theirs: 'a', path: '/etc/x.toml', format: 'yaml' }).format, 'yaml');
  });

  it('writes the labels it is given into the markers, defaults for the others', () => {
    const r = mergeFile({ base: 'x\n', ours: 'y\n', theirs: 'z\n', labels: { ours: 'home/alice/.bashrc', theirs: 'debian 13' } });
    assert.equal(r.text, '<<<<<<< home/alice/.bashrc\ny\n||||||| base\nx\n=======\nz\n>>>>>>> debian 13\n');
    assert.equal(r.conflicts, 1);
  });

  it('is fast on the trivial path: 23,000 merges of a 100 KiB file in a few seconds at most (a parse each would take minutes)', () => {
    const big = 'x = 1\n'.repeat(17_000);
    // Distinct string objects with the same content: the comparison has to read them.
    const ours = `${big}y = 2\n`;
    const theirs = big.slice(0, -1) + '\n';
    const start = performance.now();
    for (let i = 0; i < 23_000; i++) mergeFile({ base: big, ours, theirs, format: 'toml' });
    assert.ok(performance.now() - start < 3000, `${Math.round(performance.now() - start)} ms`);
  });
});
