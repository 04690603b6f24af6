import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crlf, replaceOnce, triple } from './__fixtures__/triple.ts';
import { parseKeyFile, treeOf } from './keyfile.ts';
import { mergeLines } from './lines.ts';
import { mergeFile } from './merge.ts';

describe('mergeFile: INI (debian-xterm.desktop, xterm 379 → 398)', () => {
  const expected = (theirs: string): string =>
    `${replaceOnce(replaceOnce(theirs, 'Exec=xterm\n', 'Exec=xterm -fa Monospace -fs 12\n'), 'Keywords=shell;prompt;command;commandline;cmd;\n', '')}NoDisplay=true\n`;

  it('keeps the user edits, the deleted key deleted, and theirs new version key', () => {
    const t = triple('xterm', 'debian-xterm.desktop');
    const r = mergeFile(t);
    assert.deepEqual([r.format, r.method, r.conflicts], ['ini', 'structured', 0]);
    assert.equal(r.text, expected(t.theirs));
  });

  it('avoids the conflict the line merge reports (NoDisplay appended after the line trixie changed)', () => {
    const t = triple('xterm', 'debian-xterm.desktop');
    assert.equal(mergeLines(t.base, t.ours, t.theirs).conflicts, 1);
  });

  it('takes the same change made on both sides once', () => {
    const t = triple('xterm', 'debian-xterm.desktop');
    const ours = replaceOnce(replaceOnce(t.base, 'X-Desktop-File-Install-Version=0.26', 'X-Desktop-File-Install-Version=0.28'), 'Exec=xterm\n', 'Exec=xterm -fa Monospace\n');
    const r = mergeFile({ ...t, ours });
    assert.deepEqual([r.method, r.conflicts, r.text], ['structured', 0, replaceOnce(t.theirs, 'Exec=xterm\n', 'Exec=xterm -fa Monospace\n')]);
  });

  it('is a conflict when both changed the same key', () => {
    const r = mergeFile(triple('xterm', 'debian-xterm.desktop', 'ours-conflict'));
    assert.deepEqual([r.method, r.fallback, r.conflicts], ['lines', 'conflict', 1]);
    assert.ok(r.text.includes('<<<<<<< ours\nX-Desktop-File-Install-Version=0.27\n||||||| base\n'));
  });

  it('keeps CRLF and a missing final newline', () => {
    const t = triple('xterm', 'debian-xterm.desktop');
    const cut = (s: string): string => crlf(s).replace(/\r\n$/, '');
    const r = mergeFile({ base: cut(t.base), ours: cut(t.ours), theirs: cut(t.theirs), path: t.path });
    assert.equal(r.method, 'structured');
    assert.equal(r.text, cut(expected(t.theirs)));
  });
});

describe('mergeFile: INI, small cases', () => {
  it('mimeapps.list: the user default next to a new default on the following line', () => {
    const base = '[Default Applications]\ntext/html=firefox-esr.desktop\n';
    const ours = '[Default Applications]\ntext/html=chromium.desktop\n';
    const theirs = '[Default Applications]\ntext/html=firefox-esr.desktop\napplication/pdf=org.gnome.Evince.desktop\n';
    assert.equal(mergeLines(base, ours, theirs).conflicts, 1);
    const r = mergeFile({ base, ours, theirs, path: '/home/alice/.config/mimeapps.list' });
    assert.deepEqual([r.format, r.method, r.text], ['ini', 'structured', '[Default Applications]\ntext/html=chromium.desktop\napplication/pdf=org.gnome.Evince.desktop\n']);
  });
});

describe('mergeFile: INI, what it leaves to the line merge', () => {
  it('an INI written as "key: value" is not read as bare keys', () => {
    const r = mergeFile({ base: '[s]\na: 1\nb: 1\n', ours: '[s]\na: 2\nb: 1\n', theirs: '[s]\na: 1\nb: 1\nc: 1\n', format: 'ini' });
    assert.deepEqual([r.method, r.fallback, r.text], ['lines', 'unparsable', '[s]\na: 2\nb: 1\nc: 1\n']);
  });
});

describe('mergeFile: git-config (written by git 2.39)', () => {
  it('a section the user removed stays removed; theirs new keys elsewhere are kept', () => {
    const t = triple('gitconfig', 'gitconfig');
    const ours = replaceOnce(t.base, '[alias]\n\tst = status\n\tco = checkout\n', '');
    const r = mergeFile({ ...t, ours });
    assert.deepEqual([r.method, r.text], ['structured', replaceOnce(t.theirs, '[alias]\n\tst = status\n\tco = checkout\n', '')]);
  });

  it('merges key by key: changed, added and unset keys, new sections, theirs multi-value kept', () => {
    const t = triple('gitconfig', 'gitconfig');
    const r = mergeFile(t);
    assert.deepEqual([r.format, r.method, r.conflicts], ['gitconfig', 'structured', 0]);
    const want =
      replaceOnce(replaceOnce(t.theirs, '\teditor = vim\n', '\teditor = nvim\n'), '\tco = checkout\n', '\tlg = log --graph --oneline --decorate\n') +
      '[credential]\n\thelper = cache --timeout=3600\n[diff]\n\tcolorMoved = zebra\n';
    assert.equal(r.text, want);
    assert.ok(r.text.includes('\tdirectory = /srv/git/shared.git\n\tdirectory = /srv/git/tools.git\n'));
  });

  it('is a conflict for the line merge (pull.rebase changed next to the user alias edit), not for the key merge', () => {
    const t = triple('gitconfig', 'gitconfig');
    assert.equal(mergeLines(t.base, t.ours, t.theirs).conflicts, 1);
  });

  it('merges multi-values as a list: one removed by the user, one added by theirs', () => {
    const base = '[safe]\n\tdirectory = /srv/a\n\tdirectory = /srv/b\n';
    const r = mergeFile({ base, ours: '[safe]\n\tdirectory = /srv/b\n', theirs: `${base}\tdirectory = /srv/c\n`, format: 'gitconfig' });
    assert.deepEqual([r.method, r.text], ['structured', '[safe]\n\tdirectory = /srv/b\n\tdirectory = /srv/c\n']);
  });

  it('is a conflict when both set pull.rebase', () => {
    const r = mergeFile(triple('gitconfig', 'gitconfig', 'ours-conflict'));
    assert.deepEqual([r.method, r.fallback, r.conflicts], ['lines', 'conflict', 1]);
  });

  it('reads section and key names case-insensitively, subsections exactly, continuation lines and bare keys', () => {
    const text = '[Core]\n\tEditor = vim\n[remote "Origin"]\n\turl = x\n[alias]\n\tl = log \\\n\t  --oneline\n[bool]\n\tflag\n';
    const kf = parseKeyFile(text, 'gitconfig');
    assert.ok(kf);
    assert.deepEqual(treeOf(kf, undefined, true), { core: { editor: ['vim'] }, 'remote "Origin"': { url: ['x'] }, alias: { l: ['log \n\t  --oneline'] }, bool: { flag: [null] } });
  });

  it('a change of spelling only (Core/Editor) is no change: theirs stands', () => {
    const base = '[core]\n\teditor = vim\n';
    const r = mergeFile({ base, ours: '[Core]\n\tEditor = vim\n', theirs: '[core]\n\teditor = vim\n\tpager = less\n', format: 'gitconfig' });
    assert.deepEqual([r.method, r.text], ['structured', '[core]\n\teditor = vim\n\tpager = less\n']);
  });
});

describe('mergeFile: TOML', () => {
  it('greetd config.toml (0.9 → 0.10): the user vt and autologin table next to the new greeter command', () => {
    const t = triple('greetd', 'config.toml');
    const r = mergeFile(t);
    assert.deepEqual([r.format, r.method, r.conflicts], ['toml', 'structured', 0]);
    const want = `${replaceOnce(t.theirs, 'vt = 7\n', 'vt = 1\n')}\n# Log alice straight into sway on boot; the greeter shows after she logs out.\n[initial_session]\ncommand = "sway"\nuser = "alice"\n`;
    assert.equal(r.text, want);
  });

  it('carries the comment the user wrote above a key they changed, not the comments the package wrote', () => {
    const t = triple('greetd', 'config.toml');
    const ours = replaceOnce(t.base, 'vt = 7\n', '# tty1: no text console for the greeter to fight with\nvt = 1\n');
    const r = mergeFile({ ...t, ours });
    assert.deepEqual([r.method, r.text], ['structured', replaceOnce(t.theirs, 'vt = 7\n', '# tty1: no text console for the greeter to fight with\nvt = 1\n')]);
  });

  it('a key the user deleted stays deleted; the new command from theirs is kept', () => {
    const t = triple('greetd', 'config.toml');
    const ours = replaceOnce(t.base, 'user = "_greetd"\n', '');
    const r = mergeFile({ ...t, ours });
    assert.deepEqual([r.method, r.conflicts, r.text], ['structured', 0, replaceOnce(t.theirs, 'user = "_greetd"\n', '')]);
  });

  it('is a conflict when both changed the greeter command', () => {
    const r = mergeFile(triple('greetd', 'config.toml', 'ours-conflict'));
    assert.deepEqual([r.method, r.fallback, r.conflicts], ['lines', 'conflict', 1]);
  });

  it('shortnames.conf (containers-common 0.50 → 0.62): a local alias beside a moved line merges as TOML, conflicts as text', () => {
    const t = triple('shortnames', 'shortnames.conf');
    assert.equal(mergeFile(t).conflicts, 1); // a .conf is text by name
    const r = mergeFile({ ...t, format: 'toml' });
    assert.deepEqual([r.method, r.conflicts], ['structured', 0]);
    assert.equal(r.text, replaceOnce(t.theirs, '"registry" = "docker.io/library/registry"', '"registry" = "registry.example.internal/mirror/registry"'));
  });

  it('compares values as TOML reads them: 0x7 is 7, so no conflict with a new vt', () => {
    const t = triple('greetd', 'config.toml');
    const theirs = replaceOnce(t.base, 'vt = 7', 'vt = 8');
    const r = mergeFile({ ...t, ours: replaceOnce(t.base, 'vt = 7', 'vt = 0x7'), theirs });
    assert.deepEqual([r.method, r.conflicts, r.text], ['structured', 0, theirs]);
  });

  it('keeps the user spelling when it is all the user changed and the line merge is clean', () => {
    const t = triple('greetd', 'config.toml');
    const r = mergeFile({ ...t, ours: replaceOnce(t.base, 'vt = 7', 'vt = 0x7') });
    assert.deepEqual([r.method, r.text], ['lines', replaceOnce(t.theirs, 'vt = 7', 'vt = 0x7')]);
  });

  it('keeps multi-line arrays and strings together with their key', () => {
    const base = 'a = [\n  1,\n  2,\n]\ns = """\nx\n"""\nb = 1\n';
    const r = mergeFile({ base, ours: base.replace('b = 1', 'b = 2'), theirs: base.replace('  2,\n', '  2,\n  3,\n'), format: 'toml' });
    assert.deepEqual([r.method, r.text], ['structured', 'a = [\n  1,\n  2,\n  3,\n]\ns = """\nx\n"""\nb = 2\n']);
  });

  it('merges an array both changed and writes it on the key line as theirs spells the key', () => {
    const base = '# modules\nmodules = ["a", "b"]\nx = 1\n';
    const r = mergeFile({ base, ours: '# modules\nmodules = ["a", "b", "x"]\nx = 1\n', theirs: '# modules\nmodules  =  ["b"]\nx = 2\n', format: 'toml' });
    assert.deepEqual([r.method, r.text], ['structured', '# modules\nmodules  =  [ "b", "x" ]\nx = 2\n']);
  });

  it('uses the line merge when a side is not TOML', () => {
    const t = triple('greetd', 'config.toml');
    const r = mergeFile({ ...t, ours: `${t.ours}[broken\n` });
    assert.deepEqual([r.method, r.fallback], ['lines', 'unparsable']);
  });
});
