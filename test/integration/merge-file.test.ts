// `sysmanifest merge-file` run as a user runs it: node src/cli/main.ts, real files, exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { crlf, fixturePath, triple } from '../../src/services/merge/engine/__fixtures__/triple.ts';
import { mergeFile } from '../../src/services/merge/engine/merge.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function mergeCli(args: readonly string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, 'merge-file', ...args], { timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

const tmp = mkdtempSync(join(tmpdir(), 'merge-file-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const put = (name: string, data: string | Uint8Array): string => {
  const p = join(tmp, name);
  writeFileSync(p, data);
  return p;
};

describe('sysmanifest merge-file', () => {
  it('exit 0 and the merged file on stdout, format from the name of OURS', () => {
    const args = ['base', 'ours', 'theirs'].map((s) => fixturePath('greetd', s, 'config.toml'));
    const r = mergeCli(args);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString('utf8'), mergeFile(triple('greetd', 'config.toml')).text);
    assert.equal(r.stderr, '');
  });

  it('exit 1 with diff3 markers labelled by the file names, and the count on stderr', () => {
    const [b, o, t] = ['base', 'ours-conflict', 'theirs'].map((s) => fixturePath('sshd', s, 'sshd_config'));
    const r = mergeCli([b!, o!, t!]);
    assert.equal(r.status, 1);
    const out = r.stdout.toString('utf8');
    assert.ok(out.includes(`<<<<<<< ${o}\n`) && out.includes(`||||||| ${b}\n`) && out.includes(`>>>>>>> ${t}\n`), out);
    assert.match(r.stderr, /1 conflict left/);
  });

  it('-L sets the labels in the order of the files: base, ours, theirs', () => {
    const r = mergeCli(['-L', 'B', '-L', 'O', '-L', 'T', ...['base', 'ours-conflict', 'theirs'].map((s) => fixturePath('sshd', s, 'sshd_config'))]);
    assert.equal(r.status, 1);
    assert.match(r.stdout.toString('utf8'), /^<<<<<<< O\n[^]*^\|\|\|\|\|\|\| B\n[^]*^>>>>>>> T\n/m);
  });

  it('--format yaml merges cloud.cfg by key: exit 0 where the line merge would conflict', () => {
    const args = ['base', 'ours', 'theirs'].map((s) => fixturePath('cloud-init', s, 'cloud.cfg'));
    assert.equal(mergeCli(args).status, 1);
    const r = mergeCli(['--format', 'yaml', ...args]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString('utf8'), mergeFile({ ...triple('cloud-init', 'cloud.cfg'), format: 'yaml' }).text);
  });

  it('prints CRLF and a missing final newline byte for byte', () => {
    const t = triple('xterm', 'debian-xterm.desktop');
    const cut = (s: string): string => crlf(s).replace(/\r\n$/, '');
    const args = (['base', 'ours', 'theirs'] as const).map((s) => put(`${s}.debian-xterm.desktop`, cut(t[s])));
    const r = mergeCli(args);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout, Buffer.from(mergeFile({ base: cut(t.base), ours: cut(t.ours), theirs: cut(t.theirs), path: 'x.desktop' }).text));
    assert.ok(r.stdout.includes('\r\nNoDisplay=true'));
    assert.notEqual(r.stdout.at(-1), 0x0a);
  });

  it('exit 2 naming the file that is missing, no stack trace', () => {
    const r = mergeCli([fixturePath('sshd', 'base', 'sshd_config'), join(tmp, 'nope'), fixturePath('sshd', 'theirs', 'sshd_config')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /nope: no such file/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(r.stdout.length, 0);
  });

  it('exit 2 for an unknown format, a wrong number of files, a fourth label', () => {
    const files = ['base', 'ours', 'theirs'].map((s) => fixturePath('greetd', s, 'config.toml'));
    const bad = mergeCli(['--format', 'xml', ...files]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown format[^]*json, yaml, ini, gitconfig, toml, text/);
    assert.equal(mergeCli(files.slice(0, 2)).status, 2);
    assert.equal(mergeCli(['-L', 'a', '-L', 'b', '-L', 'c', '-L', 'd', ...files]).status, 2);
    assert.equal(mergeCli([...files, files[0]!]).status, 2);
  });

  it('exit 2 for a file over the 64 MiB cap, without reading it', () => {
    const huge = put('huge.txt', '');
    truncateSync(huge, 64 * 1024 * 1024 + 1); // sparse: no 64 MiB written
    const r = mergeCli([huge, fixturePath('sshd', 'ours', 'sshd_config'), fixturePath('sshd', 'theirs', 'sshd_config')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /huge\.txt: 64 MiB is more than the 64 MiB/);
  });

  it('binary files: the changed side when only one changed (exit 0), else nothing on stdout and exit 1', () => {
    const base = put('b.bin', Uint8Array.of(1, 0, 2));
    const ours = put('o.bin', Uint8Array.of(1, 0, 3));
    const theirs = put('t.bin', Uint8Array.of(1, 0, 4));
    const one = mergeCli([base, ours, base]);
    assert.equal(one.status, 0, one.stderr);
    assert.deepEqual([...one.stdout], [1, 0, 3]);
    const both = mergeCli([base, ours, theirs]);
    assert.equal(both.status, 1);
    assert.equal(both.stdout.length, 0);
    assert.match(both.stderr, /binary[^]*cp .*o\.bin DEST keeps yours/);
  });
});
