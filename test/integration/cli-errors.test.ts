// User mistakes end in one clear message and exit 1 (2 for usage), never a stack trace.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cli } from '../lib/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function assertCleanFailure(r: ReturnType<typeof cli>, status: number, pattern: RegExp): void {
  assert.equal(r.status, status, `exit status (stderr: ${r.stderr})`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
  assert.equal(r.stdout, '');
}

test('validate: a missing file', () => {
  const r = cli(['validate', join(dir, 'nope.yaml')]);
  assertCleanFailure(r, 1, /^sysmanifest: .*nope\.yaml: no such file\nhint: /);
});

test('validate: malformed YAML names file, line and column', () => {
  const r = cli(['validate', file('bad.yaml', 'apiVersion: sysmanifest/v1\nhost:\n  hostname: "unterminated\n')]);
  assertCleanFailure(r, 1, /bad\.yaml:\d+:\d+: /);
});

test('validate: a schema violation names the manifest path and line', () => {
  const r = cli(['validate', file('schema.yaml', 'apiVersion: sysmanifest/v1\nhost:\n  hostname: a\nstorage:\n  disks: 7\n')]);
  assertCleanFailure(r, 1, /schema\.yaml:5: storage\.disks: must be array/);
});

test('validate: an unknown apiVersion', () => {
  const r = cli(['validate', file('api.yaml', 'apiVersion: sysmanifest/v2\nhost: {hostname: a}\n')]);
  assertCleanFailure(r, 1, /api\.yaml:1: apiVersion: "sysmanifest\/v2" is not known/);
});

test('validate: a valid manifest exits 0', () => {
  const r = cli(['validate', file('ok.yaml', 'apiVersion: sysmanifest/v1\nhost: {hostname: a}\n')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ok\.yaml: valid \(a\)/);
});

test('usage errors exit 2', () => {
  assert.equal(cli(['validate']).status, 2);
  assert.equal(cli(['no-such-command']).status, 2);
  assert.equal(cli(['capture', '--no-such-flag']).status, 2);
});

test('--help exits 0 for every command', () => {
  for (const c of [[], ['capture'], ['validate'], ['show'], ['plan'], ['rebuild'], ['verify'], ['diff'], ['schedule'], ['status'], ['inventory']]) {
    const r = cli([...c, '--help']);
    assert.equal(r.status, 0, `${c.join(' ')} --help`);
    assert.match(r.stdout, /Usage: sysmanifest/);
  }
});
