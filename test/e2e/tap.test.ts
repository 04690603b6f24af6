// Unit test of the TAP reader the e2e host side uses, on real node --test TAP output.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { failures, parseTap } from './tap.ts';

const sample = readFileSync(new URL('./__fixtures__/tap-sample.tap', import.meta.url), 'utf8');

test('parseTap: top-level results, nesting, directives, escapes and counts', () => {
  const report = parseTap(sample);
  assert.deepEqual(
    report.results.map((r) => ({ ok: r.ok, id: r.id, name: r.name, directive: r.directive, children: r.children.map((c) => [c.ok, c.id, c.name]) })),
    [
      { ok: true, id: 1, name: 'passes', directive: undefined, children: [] },
      { ok: false, id: 2, name: 'parent with # in its name', directive: undefined, children: [[true, 1, 'child passes'], [false, 2, 'child fails']] },
      { ok: true, id: 3, name: 'skipped', directive: { kind: 'SKIP', reason: 'not in the guest # really' }, children: [] },
      { ok: true, id: 4, name: 'todo', directive: { kind: 'TODO', reason: 'later' }, children: [] },
    ],
  );
  assert.equal(report.plan, 4);
  assert.deepEqual(report.counts, { tests: 6, suites: 0, pass: 2, fail: 2, cancelled: 0, skipped: 1, todo: 1 });
});

test('parseTap: the YAML block is kept, de-indented', () => {
  const child = parseTap(sample).results[1]!.children[1]!;
  assert.match(child.yaml, /^duration_ms: [\d.]+\ntype: 'test'\nlocation: '.*tap-sample\.ts:12:11'\nfailureType: 'testCodeFailure'\n/);
  assert.match(child.yaml, /^error: \|-\n  Expected values to be strictly equal:\n/m);
  assert.match(child.yaml, /^  'guest' !== 'host'$/m);
});

test('failures: the failing subtest, not the parent that failed only because of it', () => {
  const f = failures(parseTap(sample).results);
  assert.deepEqual(f.map((x) => x.path), ['parent with # in its name > child fails']);
});

test('parseTap: no TAP at all gives no results and no counts', () => {
  assert.deepEqual(parseTap('node: bad option: --tset\n'), { results: [], counts: {} });
});
