import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { crlf, fixturePath, replaceOnce, triple } from './__fixtures__/triple.ts';
import { mergeLines, splitLines } from './lines.ts';

describe('mergeLines', () => {
  it('merges edits in different places of sshd_config (openssh 9.2 → 10.0) without a conflict', () => {
    const t = triple('sshd', 'sshd_config');
    // Only the Port and X11Forwarding edits: far from what trixie changed.
    const ours = replaceOnce(replaceOnce(t.base, '#Port 22\n', 'Port 2222\n'), 'X11Forwarding yes\n', 'X11Forwarding no\n');
    const r = mergeLines(t.base, ours, t.theirs);
    assert.equal(r.conflicts, 0);
    assert.equal(r.text, replaceOnce(replaceOnce(t.theirs, '#Port 22\n', 'Port 2222\n'), 'X11Forwarding yes\n', 'X11Forwarding no\n'));
  });

  it('writes a conflict in git diff3 style when both sides changed the same line', () => {
    const t = triple('sshd', 'sshd_config', 'ours-conflict');
    const r = mergeLines(t.base, t.ours, t.theirs, { base: 'B', ours: 'O', theirs: 'T' });
    assert.equal(r.conflicts, 1);
    assert.ok(
      r.text.includes(
        '<<<<<<< O\n# Allow client to pass locale environment variables\nAcceptEnv LANG LC_* EDITOR\n' +
          '||||||| B\n# Allow client to pass locale environment variables\nAcceptEnv LANG LC_*\n' +
          '=======\n# Allow client to pass locale and color environment variables\nAcceptEnv LANG LC_* COLORTERM NO_COLOR\n>>>>>>> T\n',
      ),
      r.text,
    );
  });

  it('takes the same change made on both sides once, without a conflict', () => {
    const t = triple('sshd', 'sshd_config');
    const ours = replaceOnce(t.theirs, 'X11Forwarding yes\n', 'X11Forwarding no\n'); // trixie's change, and one more
    const r = mergeLines(t.base, ours, t.theirs);
    assert.deepEqual(r, { text: ours, conflicts: 0 });
  });

  it('keeps a line the user deleted deleted, and a line new in theirs', () => {
    const base = 'a\nb\nc\nd\ne\n';
    const r = mergeLines(base, 'a\nc\nd\ne\n', 'a\nb\nc\nd\ne\nf\n');
    assert.deepEqual(r, { text: 'a\nc\nd\ne\nf\n', conflicts: 0 });
  });

  it('keeps a missing final newline', () => {
    const r = mergeLines('a\nb\nc\nd', 'A\nb\nc\nd', 'a\nb\nc\nD');
    assert.deepEqual(r, { text: 'A\nb\nc\nD', conflicts: 0 });
  });

  it('ends each side of a conflict with a newline even when the file does not, as git does', () => {
    const r = mergeLines('a\nb', 'a\nB', 'a\nX');
    assert.equal(r.text, 'a\n<<<<<<< ours\nB\n||||||| base\nb\n=======\nX\n>>>>>>> theirs\n');
  });

  it('keeps CRLF files CRLF, markers included', () => {
    const t = triple('sshd', 'sshd_config', 'ours-conflict');
    const r = mergeLines(crlf(t.base), crlf(t.ours), crlf(t.theirs));
    assert.equal(r.conflicts, 1);
    assert.doesNotMatch(r.text, /(?<!\r)\n/);
    assert.match(r.text, /^<<<<<<< ours\r\n/m);
  });

  it('splitLines keeps every byte', () => {
    for (const s of ['', 'a', 'a\n', 'a\r\nb', '\n\n', 'x\ny\r\n']) assert.equal(splitLines(s).join(''), s);
  });
});

// The line merge must be the diff3 users know: same output as git merge-file -p --diff3.
describe('mergeLines against git merge-file -p --diff3 (git is installed)', () => {
  const cases: Array<[string, string, string]> = [
    ['sshd', 'sshd_config', 'ours'],
    ['sshd', 'sshd_config', 'ours-conflict'],
    ['shortnames', 'shortnames.conf', 'ours'],
    ['cloud-init', 'cloud.cfg', 'ours'],
    ['cloud-init', 'cloud.cfg', 'ours-keys'],
    ['xterm', 'debian-xterm.desktop', 'ours'],
    ['vscode', 'settings.json', 'ours'],
    ['gitconfig', 'gitconfig', 'ours'],
    ['greetd', 'config.toml', 'ours'],
  ];
  for (const [dir, name, ours] of cases) {
    it(`${dir}/${ours}.${name}: same text and conflict count`, () => {
      const t = triple(dir, name, ours);
      const git = spawnSync('git', ['merge-file', '-p', '--diff3', '-L', 'ours', '-L', 'base', '-L', 'theirs', fixturePath(dir, ours, name), fixturePath(dir, 'base', name), fixturePath(dir, 'theirs', name)], { encoding: 'utf8' });
      assert.ok(git.status !== null && git.status >= 0 && git.status < 128, git.stderr);
      const r = mergeLines(t.base, t.ours, t.theirs);
      assert.equal(r.conflicts, git.status, 'git merge-file exits with the number of conflicts');
      assert.equal(r.text, git.stdout);
    });
  }
});
