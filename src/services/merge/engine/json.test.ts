import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'jsonc-parser';
import { crlf, replaceOnce, triple } from './__fixtures__/triple.ts';
import { mergeLines } from './lines.ts';
import { mergeFile } from './merge.ts';

describe('mergeFile: JSON / JSONC (VS Code settings.json)', () => {
  it('keeps the user key changes and the new defaults, with theirs comments', () => {
    const t = triple('vscode', 'settings.json');
    const r = mergeFile(t);
    assert.equal(r.format, 'json');
    assert.equal(r.method, 'structured');
    assert.equal(r.conflicts, 0);
    let want = t.theirs;
    want = replaceOnce(want, `"editor.fontFamily": "'Droid Sans Mono', 'monospace', monospace"`, `"editor.fontFamily": "'JetBrains Mono', monospace"`);
    want = replaceOnce(want, '"editor.fontSize": 14', '"editor.fontSize": 13');
    want = replaceOnce(want, '"**/__pycache__": true\n', '"**/__pycache__": true,\n        "**/target": true\n');
    want = replaceOnce(want, '"terminal.integrated.defaultProfile.linux": "bash"', '"terminal.integrated.defaultProfile.linux": "zsh"');
    // the user deleted update.mode (theirs left it alone) and added a theme
    want = replaceOnce(want, '    "update.mode": "manual",\n', '    "workbench.colorTheme": "Solarized Dark",\n');
    assert.equal(r.text, want);
  });

  it('is a conflict for the line merge on the same files (adjacent lines), not for the key merge', () => {
    const t = triple('vscode', 'settings.json');
    assert.equal(mergeLines(t.base, t.ours, t.theirs).conflicts, 2);
    assert.equal(mergeFile(t).conflicts, 0);
  });

  it('falls back to diff3 markers when both changed the same key differently', () => {
    const t = triple('vscode', 'settings.json', 'ours-conflict');
    const r = mergeFile(t);
    assert.deepEqual([r.method, r.fallback, r.conflicts], ['lines', 'conflict', 1]);
    assert.match(r.text, /<<<<<<< ours\n {4}"editor.renderWhitespace": "all",\n\|\|\|\|\|\|\| base\n {4}"editor.renderWhitespace": "selection",\n=======\n {4}"editor.renderWhitespace": "trailing",\n/);
  });

  it('takes an identical change on both sides once', () => {
    const t = triple('vscode', 'settings.json');
    const ours = replaceOnce(replaceOnce(t.base, '"selection"', '"trailing"'), '"editor.fontSize": 14', '"editor.fontSize": 16');
    const r = mergeFile({ ...t, ours });
    assert.equal(r.conflicts, 0);
    assert.equal(r.text, replaceOnce(t.theirs, '"editor.fontSize": 14', '"editor.fontSize": 16'));
  });

  it('keeps CRLF line endings and a missing final newline', () => {
    const t = triple('vscode', 'settings.json');
    const cut = (s: string): string => crlf(s).replace(/\r\n$/, '');
    const r = mergeFile({ base: cut(t.base), ours: cut(t.ours), theirs: cut(t.theirs), format: 'json' });
    assert.equal(r.method, 'structured');
    assert.doesNotMatch(r.text, /(?<!\r)\n/);
    assert.ok(r.text.endsWith('}'));
    assert.ok(r.text.includes('// New in this profile'));
    assert.equal((parse(r.text) as Record<string, unknown>)['terminal.integrated.defaultProfile.linux'], 'zsh');
  });

  it('keeps a comment the user added when it is all the user changed (clean line merge, same keys)', () => {
    const t = triple('vscode', 'settings.json');
    const note = '    // 14 is too small on the 4K screen, but keep it for the projector\n';
    const ours = replaceOnce(t.base, '    "editor.fontSize": 14,\n', `${note}    "editor.fontSize": 14,\n`);
    const r = mergeFile({ ...t, ours });
    assert.deepEqual([r.method, r.conflicts], ['lines', 0]);
    assert.equal(r.text, replaceOnce(t.theirs, '    "editor.fontSize": 14,\n', `${note}    "editor.fontSize": 14,\n`));
  });

  it('carries the note the user wrote above a setting they changed or added', () => {
    const t = triple('vscode', 'settings.json');
    const ours = replaceOnce(
      replaceOnce(t.ours, '    "editor.fontSize": 13,\n', '    // 13 fits two editors side by side on the laptop\n    "editor.fontSize": 13,\n'),
      '    "workbench.colorTheme": "Solarized Dark",\n',
      '    /* easier on the eyes at night */\n    "workbench.colorTheme": "Solarized Dark",\n',
    );
    const r = mergeFile({ ...t, ours });
    assert.equal(r.method, 'structured');
    assert.ok(r.text.includes('    "editor.fontFamily": "\'JetBrains Mono\', monospace",\n    // 13 fits two editors side by side on the laptop\n    "editor.fontSize": 13,\n'), r.text);
    assert.ok(r.text.includes('    /* easier on the eyes at night */\n    "workbench.colorTheme": "Solarized Dark"'), r.text);
    // the package's own comments are not copied again
    assert.equal(r.text.split('// Editor').length, 2);
  });

  it('takes theirs when the user only changed a comment and the line merge would conflict', () => {
    const t = triple('vscode', 'settings.json');
    const ours = replaceOnce(t.base, '    "editor.rulers": [80, 120],\n', '    // rulers for code and prose\n    "editor.rulers": [80, 120],\n');
    const r = mergeFile({ ...t, ours });
    assert.deepEqual([r.method, r.conflicts, r.text], ['structured', 0, t.theirs]);
  });

  it('uses the line merge when a side is not JSON', () => {
    const t = triple('vscode', 'settings.json');
    const r = mergeFile({ ...t, ours: `${t.ours}\n}}` });
    assert.deepEqual([r.method, r.fallback], ['lines', 'unparsable']);
  });

  it('merges inside nested objects key by key', () => {
    const base = '{\n  "a": {"x": 1, "y": 2},\n  "b": 1\n}\n';
    const r = mergeFile({ base, ours: '{\n  "a": {"x": 10, "y": 2},\n  "b": 1\n}\n', theirs: '{\n  "a": {"x": 1, "y": 20},\n  "b": 1\n}\n', format: 'json' });
    assert.deepEqual(r, { text: '{\n  "a": {"x": 10, "y": 20},\n  "b": 1\n}\n', conflicts: 0, format: 'json', method: 'structured' });
  });

  it('merges a list both changed element by element', () => {
    const r = mergeFile({ base: '{\n  "r": [80, 120]\n}\n', ours: '{\n  "r": [80, 100, 120]\n}\n', theirs: '{\n  "r": [80, 120, 140]\n}\n', format: 'json' });
    assert.deepEqual([r.method, r.conflicts], ['structured', 0]);
    assert.deepEqual(parse(r.text), { r: [80, 100, 120, 140] });
  });

  it('is a conflict when both change the same list element', () => {
    const r = mergeFile({ base: '{"r": [80]}', ours: '{"r": [80, 100]}', theirs: '{"r": [120]}', format: 'json' });
    assert.deepEqual([r.method, r.conflicts], ['lines', 1]);
  });
});
