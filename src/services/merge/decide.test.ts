import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide } from './decide.ts';
import { etcClutter, homeClutter, clutterOf } from './clutter.ts';
import type { Side } from './types.ts';

const file = (s: string): Side => ({ kind: 'file', data: Buffer.from(s) });
const absent: Side = { kind: 'absent' };
const b = (s: string): Buffer => Buffer.from(s);

test('decide: one side unchanged → the other side, without merging', () => {
  assert.equal(decide('x.conf', b('a\n'), file('a\n'), file('new\n'))?.outcome, 'theirs');
  const d = decide('x.conf', b('a\n'), file('mine\n'), file('a\n'));
  assert.equal(d?.outcome, 'ours');
  assert.equal(d?.result?.toString(), 'mine\n');
  assert.equal(decide('x.conf', b('a\n'), file('same\n'), file('same\n')), undefined, 'equal sides: nothing to do');
});

test('decide: changes in different places merge; in the same place they conflict with markers', () => {
  const base = 'one\ntwo\nthree\nfour\nfive\n';
  const d = decide('x.conf', b(base), file('ONE\ntwo\nthree\nfour\nfive\n'), file('one\ntwo\nthree\nfour\nFIVE\n'));
  assert.equal(d?.outcome, 'merged');
  assert.equal(d?.result?.toString(), 'ONE\ntwo\nthree\nfour\nFIVE\n');
  const c = decide('x.conf', b(base), file('one\nmine\nthree\nfour\nfive\n'), file('one\ntheirs\nthree\nfour\nfive\n'));
  assert.equal(c?.outcome, 'conflict');
  assert.equal(c?.conflicts, 1);
  assert.match(c!.result!.toString(), /^<{7} .*\nmine\n\|{7} .*\ntwo\n={7}\ntheirs\n>{7} /m);
});

test('decide: deletions, new files, no base, binary and links are never overwritten silently', () => {
  assert.equal(decide('d.conf', b('x\n'), absent, file('x\n'))?.outcome, 'deleted', 'a default the user deleted stays deleted');
  assert.equal(decide('d.conf', b('x\n'), absent, file('changed\n'))?.outcome, 'review', 'deleted by the user, changed by the release');
  assert.equal(decide('n.conf', undefined, file('mine\n'), absent)?.outcome, 'ours', 'the user\'s own file comes back');
  assert.equal(decide('n.conf', b('x\n'), file('mine\n'), absent)?.outcome, 'review', 'changed by the user, gone from the release');
  assert.equal(decide('n.conf', b('x\n'), file('x\n'), absent), undefined, 'an unchanged default the release removed: nothing');
  assert.equal(decide('n.conf', undefined, file('mine\n'), file('theirs\n'))?.outcome, 'review', 'no common ancestor');
  assert.equal(decide('n.bin', b('a\0'), file('b\0'), file('c\0'))?.outcome, 'review', 'binary');
  assert.equal(decide('l', undefined, { kind: 'link', target: 'a' }, absent)?.action, 'link');
  assert.equal(decide('l', undefined, { kind: 'link', target: 'a' }, { kind: 'link', target: 'b' })?.outcome, 'review');
  assert.equal(decide('l', undefined, { kind: 'link', target: 'a' }, { kind: 'link', target: 'a' }), undefined);
});

test('clutter: XDG cache and state, trash, browser caches, locks; the manifest adds its own', () => {
  const home = homeClutter({ merge: { clutter: { home: ['.config/app/cache/'] } } });
  for (const p of ['.cache/x/y', '.local/state/wireplumber/restore-stream', '.local/share/Trash/files/a', '.mozilla/firefox/abc.default/cache2/entries/1', '.config/chromium/Default/Cache/data_0', '.config/Code/CachedData/x', '.local/share/recently-used.xbel', '.mozilla/firefox/p/lock', '.config/app/cache/1']) {
    assert.ok(clutterOf(home, p), p);
  }
  for (const p of ['.bashrc', '.config/git/config', '.local/share/fonts/x.ttf', '.config/Code/User/settings.json', '.mozilla/firefox/p/prefs.js']) assert.equal(clutterOf(home, p), undefined, p);
  const etc = etcClutter({ merge: { clutter: { etc: ['/etc/foo/bar.conf'] } } });
  for (const p of ['machine-id', 'ld.so.cache', 'passwd-', 'apt/apt.conf.d/50x.dpkg-old', 'ssh/ssh_host_ed25519_key', 'foo/bar.conf']) assert.ok(clutterOf(etc, p), p);
  for (const p of ['ssh/sshd_config', 'passwd', 'fstab']) assert.equal(clutterOf(etc, p), undefined, p);
});
