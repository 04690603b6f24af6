import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUserError } from '../errors.ts';
import { dumpManifest } from './dump.ts';
import { parseManifest } from './load.ts';

const minimal = `apiVersion: sysmanifest/v1
host:
  hostname: box
`;

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    assert.ok(isUserError(e), `expected a UserError, got ${String(e)}`);
    return { code: e.code, message: e.message };
  }
  assert.fail('expected an error');
}

test('a minimal manifest loads and dumps back to the same bytes (after the schema comment)', () => {
  const m = parseManifest(minimal, 'm.yaml');
  assert.equal(m.host.hostname, 'box');
  const dumped = dumpManifest(m);
  assert.equal(dumped.split('\n').slice(1).join('\n'), minimal);
  assert.deepEqual(parseManifest(dumped, 'again.yaml'), m);
});

test('dump orders keys as the schema lists them, whatever order they were built in', () => {
  const a = dumpManifest({ host: { arch: 'x86_64', hostname: 'h' }, apiVersion: 'sysmanifest/v1' });
  const b = dumpManifest({ apiVersion: 'sysmanifest/v1', host: { hostname: 'h', arch: 'x86_64' } });
  assert.equal(a, b);
  assert.match(a, /^# yaml-language-server.*\napiVersion: sysmanifest\/v1\nhost:\n  hostname: h\n  arch: x86_64\n$/);
});

test('malformed YAML names the file, line and column', () => {
  const e = errorOf(() => parseManifest('apiVersion: sysmanifest/v1\nhost:\n  hostname: [unclosed\n', 'bad.yaml'));
  assert.equal(e.code, 'MANIFEST_YAML');
  assert.match(e.message, /bad\.yaml:\d+:\d+: /);
});

test('an unknown apiVersion is refused with its line', () => {
  const e = errorOf(() => parseManifest('host: {hostname: a}\napiVersion: sysmanifest/v9\n', 'v9.yaml'));
  assert.equal(e.code, 'MANIFEST_API_VERSION');
  assert.match(e.message, /^v9\.yaml:2: apiVersion: "sysmanifest\/v9" is not known; this sysmanifest reads sysmanifest\/v1$/);
});

test('a missing apiVersion says so', () => {
  const e = errorOf(() => parseManifest('host: {hostname: a}\n', 'none.yaml'));
  assert.equal(e.code, 'MANIFEST_API_VERSION');
  assert.match(e.message, /apiVersion: is missing/);
});

test('schema violations are listed by manifest path and line', () => {
  const e = errorOf(() => parseManifest('apiVersion: sysmanifest/v1\nhost:\n  hostname: a\n  firmware: coreboot\n  colour: red\n', 's.yaml'));
  assert.equal(e.code, 'MANIFEST_SCHEMA');
  assert.match(e.message, /s\.yaml:4: host\.firmware: must be one of "uefi", "bios"/);
  assert.match(e.message, /s\.yaml:5: host\.colour: is not a known field/);
});

test('a document that is not a mapping is refused', () => {
  const e = errorOf(() => parseManifest('- a\n- b\n', 'list.yaml'));
  assert.equal(e.code, 'MANIFEST_SCHEMA');
});

test('length limits are checked (the precompiled validator has its runtime helpers)', () => {
  const e = errorOf(() => parseManifest(`apiVersion: sysmanifest/v1\nhost:\n  hostname: a\nstorage:\n  luks:\n    - {id: l, on: x, label: ${'x'.repeat(48)}}\n`, 'len.yaml'));
  assert.equal(e.code, 'MANIFEST_SCHEMA');
  assert.match(e.message, /len\.yaml:6: storage\.luks\[0\]\.label: must NOT have more than 47 characters/);
});

test('a pattern is explained in words, not shown as a regular expression', () => {
  const e = errorOf(() => parseManifest('apiVersion: sysmanifest/v1\nhost:\n  hostname: ""\n', 'host.yaml'));
  assert.match(e.message, /host\.yaml:3: host\.hostname: is not valid: must be a host name \(hostname\(7\)\)/);
  assert.doesNotMatch(e.message, /pattern/);
});
