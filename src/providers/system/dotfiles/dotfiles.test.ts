import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isReadOnlyInvocation } from '../../../core/runner/policy.ts';
import { findArgv } from '../etc/gather.ts';
import { hostBranchLayout } from './capture.ts';
import { parseLoginDefs, parsePasswd } from './gather.ts';
import { chooseRemote, gitArgs, parseConfigRegexp } from './gitstate.ts';
import { stripCredentials } from './parse.ts';

test('credentials never survive in a remote URL', () => {
  assert.equal(stripCredentials('https://alice:ghp_TOKEN123@github.com/alice/dots.git'), 'https://github.com/alice/dots.git');
  assert.equal(stripCredentials('https://ghp_TOKEN123@github.com/alice/dots.git'), 'https://github.com/alice/dots.git');
  assert.equal(stripCredentials('https://oauth2:glpat-XYZ@gitlab.example.org:8443/a/b.git'), 'https://gitlab.example.org:8443/a/b.git');
  assert.equal(stripCredentials('https://host/a.git?private_token=XYZ'), 'https://host/a.git');
  assert.equal(stripCredentials('HTTP://u:p@host/a'), 'HTTP://host/a');
  assert.equal(stripCredentials('ssh://git:hunter2@host:22/a.git'), 'ssh://git@host:22/a.git');
  assert.equal(stripCredentials('ssh://git@host/a.git'), 'ssh://git@host/a.git');
  assert.equal(stripCredentials('git@github.com:alice/dots.git'), 'git@github.com:alice/dots.git');
  assert.equal(stripCredentials('/srv/git/dots.git'), '/srv/git/dots.git');
  assert.equal(stripCredentials('https://user:p%40ss@host/a'), 'https://host/a');
});

test('the remote: the branch upstream, else origin, else the first by name; stripped', () => {
  const cfg = parseConfigRegexp('remote.backup.url /srv/dots.git\nremote.origin.url https://u:tok@h/x.git\nbranch.laptop.remote backup\n');
  assert.deepEqual(chooseRemote(cfg, 'laptop'), { name: 'backup', url: '/srv/dots.git' });
  assert.deepEqual(chooseRemote(cfg, 'main'), { name: 'origin', url: 'https://h/x.git' });
  assert.deepEqual(chooseRemote(parseConfigRegexp('remote.zz.url a\nremote.aa.url b\n'), undefined), { name: 'aa', url: 'b' });
  assert.equal(chooseRemote(parseConfigRegexp(''), 'main'), undefined);
});

test('per-host branch layout', () => {
  assert.deepEqual(hostBranchLayout('host/laptop', ['host/desk', 'host/laptop', 'main'], 'laptop'), { host: 'laptop', trunk: 'main' });
  assert.deepEqual(hostBranchLayout('laptop', ['laptop', 'master'], 'laptop'), { host: 'laptop', trunk: 'master' });
  assert.deepEqual(hostBranchLayout('host/laptop', ['host/laptop'], 'laptop'), { host: 'laptop' });
  assert.deepEqual(hostBranchLayout('feature', ['feature', 'main'], 'laptop'), {});
  assert.deepEqual(hostBranchLayout('main', ['main'], 'main'), {}, 'a trunk is never a host branch');
  assert.deepEqual(hostBranchLayout(undefined, ['main'], 'laptop'), {});
  assert.deepEqual(hostBranchLayout('trunkless', ['trunk', 'trunkless'], 'trunkless'), { host: 'trunkless', trunk: 'trunk' });
});

test('users: root and UID_MIN..UID_MAX from login.defs', () => {
  const passwd = [
    'root:x:0:0:root:/root:/bin/bash',
    'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
    'svc:x:999:999::/var/lib/svc:/bin/sh',
    'bob:x:1001:1001::/home/bob/:/bin/bash',
    'alice:x:1000:1000::/home/alice:/bin/bash',
    'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
    'weird:x:2000:2000::/:/bin/sh',
  ].join('\n');
  assert.deepEqual(parseLoginDefs('# c\nUID_MIN\t\t\t 1000\nUID_MAX 60000\n'), { min: 1000, max: 60000 });
  assert.deepEqual(parseLoginDefs(undefined), { min: 1000, max: 60000 });
  assert.deepEqual(parsePasswd(passwd, { min: 1000, max: 60000 }), [
    { name: 'alice', uid: 1000, home: '/home/alice' },
    { name: 'bob', uid: 1001, home: '/home/bob' },
    { name: 'root', uid: 0, home: '/root' },
  ]);
  assert.deepEqual(parsePasswd(passwd, { min: 500, max: 1000 }).map((u) => u.name), ['alice', 'root', 'svc']);
});

test('the read-only policy allows the git and find forms these providers use, and refuses writing forms', () => {
  const g = gitArgs({ gitDir: '/r/home/a/.cfg', workTree: '/r/home/a' });
  for (const argv of [
    [...g, 'rev-parse', '--verify', '--quiet', 'HEAD^{commit}'],
    [...g, 'symbolic-ref', '--quiet', '--short', 'HEAD'],
    [...g, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/'],
    [...g, 'config', '--get-regexp', '^remote'],
    [...g, 'config', '--get', 'core.worktree'],
    [...g, 'status', '--porcelain=v1', '-z', '--untracked-files=no'],
    [...g, 'ls-tree', '-r', '-z', '--full-tree', 'HEAD'],
    [...g, 'ls-files', '-z'],
    findArgv('/r/etc'),
  ]) {
    assert.equal(isReadOnlyInvocation(argv), true, argv.join(' '));
  }
  for (const argv of [
    [...g, 'config', 'core.worktree', '/x'],
    [...g, 'remote', 'add', 'o', 'u'],
    [...g, 'remote', 'set-url', 'o', 'u'],
    [...g, 'branch', 'newbranch'],
    [...g, 'branch', '-D', 'main'],
    [...g, 'symbolic-ref', 'HEAD', 'refs/heads/x'],
    [...g, 'update-ref', 'refs/heads/main', 'abc'],
    [...g, 'commit-tree', 'abc'],
    ['git', '-c', 'core.hooksPath=/x', 'status'],
    ['find', '/r/etc', '-delete'],
    ['find', '/r/etc', '-exec', 'rm', '{}', ';'],
  ]) {
    assert.equal(isReadOnlyInvocation(argv), false, argv.join(' '));
  }
});
