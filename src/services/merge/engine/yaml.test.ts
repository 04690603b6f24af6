import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { crlf, replaceOnce, triple } from './__fixtures__/triple.ts';
import { mergeLines } from './lines.ts';
import { mergeFile } from './merge.ts';

// cloud.cfg has no .yaml extension: the format is given, as `merge-file --format yaml` would.
const cloud = (ours = 'ours') => ({ ...triple('cloud-init', 'cloud.cfg', ours), format: 'yaml' as const });

describe('mergeFile: YAML (cloud-init cloud.cfg, 22.4 → 25.1)', () => {
  it('puts the user values into the new default, every other byte as theirs has it', () => {
    const r = mergeFile(cloud());
    assert.deepEqual([r.method, r.conflicts], ['structured', 0]);
    let want = replaceOnce(cloud().theirs, 'preserve_hostname: false', 'preserve_hostname: true');
    want = replaceOnce(want, '     gecos: Debian\n', '     gecos: Debian administrator\n');
    want = replaceOnce(want, '     shell: /bin/bash\n', '     shell: /bin/zsh\n');
    assert.equal(r.text, want);
  });

  it('avoids the false conflict the line merge reports next to the groups line trixie changed', () => {
    const t = cloud();
    assert.equal(mergeLines(t.base, t.ours, t.theirs).conflicts, 1);
    assert.equal(mergeFile(t).conflicts, 0);
  });

  it('keeps a deleted key deleted, adds the user keys, keeps the comments', () => {
    const t = cloud('ours-keys');
    const r = mergeFile(t);
    assert.deepEqual([r.method, r.conflicts], ['structured', 0]);
    let want = replaceOnce(t.theirs, 'disable_root: true\n', '');
    want = replaceOnce(want, '     shell: /bin/bash\n', '     shell: /bin/bash\n     ssh_authorized_keys:\n       - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyForTestsOnly alice@laptop\n');
    want = `${want}# Set by alice: the servers live in Berlin.\ntimezone: Europe/Berlin\n`;
    assert.equal(r.text, want);
  });

  it('adds two new keys after the same key in the user order', () => {
    const r = mergeFile({ base: 'a: 1\nb: 1\n', ours: 'a: 1\nb: 1\nc: 1\nd: 1\n', theirs: 'a: 2\nb: 1\n', format: 'yaml' });
    assert.deepEqual([r.method, r.text], ['structured', 'a: 2\nb: 1\nc: 1\nd: 1\n']);
  });

  it('carries the note the user wrote above a value they changed', () => {
    const t = cloud();
    const ours = replaceOnce(t.ours, 'preserve_hostname: true\n', '# alice: the hostname comes from DHCP here\npreserve_hostname: true\n');
    const r = mergeFile({ ...t, ours });
    assert.equal(r.method, 'structured');
    assert.ok(r.text.includes('# This will cause the set+update hostname module to not operate (if true)\n# alice: the hostname comes from DHCP here\npreserve_hostname: true\n'), r.text);
  });

  it('is a conflict when both changed the groups list', () => {
    const r = mergeFile(cloud('ours-conflict'));
    assert.deepEqual([r.method, r.fallback, r.conflicts], ['lines', 'conflict', 1]);
    assert.match(r.text, /<<<<<<< ours\n {5}groups: \[adm, sudo\]\n/);
  });

  it('takes an identical change on both sides once (the groups line as trixie has it)', () => {
    const t = cloud();
    const ours = replaceOnce(t.ours, 'dip, floppy, netdev, plugdev', 'dip, floppy, plugdev');
    const r = mergeFile({ ...t, ours });
    assert.deepEqual([r.method, r.conflicts], ['structured', 0]);
    assert.equal(r.text, replaceOnce(replaceOnce(replaceOnce(t.theirs, 'preserve_hostname: false', 'preserve_hostname: true'), '     gecos: Debian\n', '     gecos: Debian administrator\n'), '     shell: /bin/bash\n', '     shell: /bin/zsh\n'));
  });

  it('merges a list both sides changed element by element, in theirs layout', () => {
    const t = cloud();
    // trixie dropped two modules from cloud_final_modules; the user appends one to the same list.
    const ours = replaceOnce(t.base, ' - power-state-change\n', ' - power-state-change\n - salt-minion-extra\n');
    const r = mergeFile({ ...t, ours });
    assert.deepEqual([r.method, r.conflicts], ['structured', 0]);
    assert.equal(r.text, replaceOnce(t.theirs, ' - power-state-change\n', ' - power-state-change\n - salt-minion-extra\n'));
  });

  it('prefers a clean line merge to re-printing the file for an edit it cannot write in place', () => {
    const t = cloud();
    // A module with its own settings is a list inside the list: not a list of plain items.
    const ours = replaceOnce(t.base, ' - runcmd\n', ' - runcmd\n - [salt-minion, always]\n');
    const r = mergeFile({ ...t, ours });
    assert.deepEqual([r.method, r.conflicts], ['lines', 0]);
    assert.equal(r.text, replaceOnce(t.theirs, ' - runcmd\n', ' - runcmd\n - [salt-minion, always]\n'));
  });

  it('re-prints through the Document API when the line merge conflicts, keeping every comment', () => {
    const t = cloud();
    // The gecos/shell edits next to trixie's groups line make the line merge conflict.
    const ours = replaceOnce(t.ours, ' - runcmd\n', ' - runcmd\n - [salt-minion, always]\n');
    const r = mergeFile({ ...t, ours });
    assert.deepEqual([r.method, r.conflicts], ['structured', 0]);
    const got = parse(r.text) as { cloud_config_modules: unknown[]; system_info: { default_user: { groups: string[]; gecos: string } } };
    assert.deepEqual(got.cloud_config_modules.at(-2), ['salt-minion', 'always']);
    assert.equal(got.system_info.default_user.gecos, 'Debian administrator');
    assert.deepEqual(got.system_info.default_user.groups, ['adm', 'audio', 'cdrom', 'dialout', 'dip', 'floppy', 'plugdev', 'sudo', 'video']);
    for (const comment of t.theirs.split('\n').filter((l) => /^\s*#/.test(l))) assert.ok(r.text.includes(comment.trim()), comment);
  });

  it('keeps CRLF', () => {
    const t = cloud();
    const r = mergeFile({ base: crlf(t.base), ours: crlf(t.ours), theirs: crlf(t.theirs), format: 'yaml' });
    assert.deepEqual([r.method, r.conflicts], ['structured', 0]);
    assert.doesNotMatch(r.text, /(?<!\r)\n/);
  });

  it('merges a file with anchors and aliases when the edits do not go through them', () => {
    const base = 'defaults: &d\n  retries: 3\nprod:\n  <<: *d\n  host: a\nlimits: &l [1, 2]\ncopy: *l\n';
    const r = mergeFile({ base, ours: base.replace('host: a', 'host: b'), theirs: `# new\n${base}`, format: 'yaml' });
    // "<<" is a merge key for YAML 1.1 tools: that file is left to the line merge.
    assert.deepEqual([r.method, r.conflicts], ['lines', 0]);
    const plain = 'defaults: &d\n  retries: 3\nprod: *d\nother:\n  host: a\n';
    const p = mergeFile({ base: plain, ours: plain.replace('host: a', 'host: b'), theirs: `# new\n${plain}`, format: 'yaml' });
    assert.deepEqual([p.method, p.text], ['structured', `# new\n${plain.replace('host: a', 'host: b')}`]);
  });

  it('an edit under an anchor, seen through its alias too, goes to the line merge', () => {
    const base = 'defaults: &d\n  retries: 3\nprod: *d\n';
    const r = mergeFile({ base, ours: base.replace('retries: 3', 'retries: 5'), theirs: `${base}extra: 1\n`, format: 'yaml' });
    assert.deepEqual([r.method, r.conflicts, r.text], ['lines', 0, 'defaults: &d\n  retries: 5\nprod: *d\nextra: 1\n']);
  });

  it('leaves maps with keys that are not strings (1: x) to the line merge', () => {
    const r = mergeFile({ base: '1: a\n2: b\n', ours: '1: A\n2: b\n', theirs: '1: a\n2: b\n3: c\n', format: 'yaml' });
    assert.deepEqual([r.method, r.fallback, r.text], ['lines', 'unparsable', '1: A\n2: b\n3: c\n']);
  });

  it('leaves multi-document files to the line merge', () => {
    const r = mergeFile({ base: 'a: 1\n---\nb: 1\n', ours: 'a: 2\n---\nb: 1\n', theirs: 'a: 1\n---\nb: 2\n', format: 'yaml' });
    assert.deepEqual([r.method, r.fallback, r.conflicts, r.text], ['lines', 'unparsable', 0, 'a: 2\n---\nb: 2\n']);
  });
});
