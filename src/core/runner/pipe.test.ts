import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readOnlyPipeline } from './pipe.ts';
import { isReadOnlyInvocation } from './policy.ts';

test('dpkg-deb: only the forms that print', () => {
  assert.ok(isReadOnlyInvocation(['dpkg-deb', '--field', 'x.deb', 'Package', 'Version']));
  assert.ok(isReadOnlyInvocation(['dpkg-deb', '--fsys-tarfile', 'x.deb']));
  for (const a of [['-x', 'x.deb', '/'], ['--extract', 'x.deb', '/tmp'], ['-R', 'x.deb', '/tmp'], ['--build', 'dir'], ['-b', 'dir']]) assert.equal(isReadOnlyInvocation(['dpkg-deb', ...a]), false, a.join(' '));
});

test('tar: only "extract to stdout from stdin, names literal"', () => {
  assert.ok(isReadOnlyInvocation(['tar', '--extract', '--to-stdout', '--file=-', '--no-wildcards', '--', './etc/sysctl.conf']));
  for (const a of [
    ['--extract', '--file=-', '--no-wildcards', '--', './etc/x'], // writes files
    ['--extract', '--to-stdout', '--file=-', '--to-command=sh', '--', './etc/x'],
    ['--extract', '--to-stdout', '--file=-', '--no-wildcards', '--'], // every member
    ['-xOf', '-', './etc/x'],
    ['--create', '--file=/tmp/x.tar', '/etc'],
  ])
    assert.equal(isReadOnlyInvocation(['tar', ...a]), false, a.join(' '));
});

test('readOnlyPipeline refuses a stage that could write, before spawning anything', () => {
  assert.throws(() => readOnlyPipeline([['dpkg-deb', '--fsys-tarfile', 'x.deb'], ['tar', '-x', '-f', '-']], { maxBytes: 1, timeoutMs: 1 }), /not known to be read-only: tar -x -f -/);
  assert.throws(() => readOnlyPipeline([], { maxBytes: 1, timeoutMs: 1 }), /no stage/);
});
