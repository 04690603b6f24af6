// The spawn helper runs real processes (perl, sh, printf): exact argv, outputs, exit codes,
// signals, missing programs, many at once, and what happens when the helper itself dies.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { MAX_INPUT, Spawner, SpawnerUnavailable } from './spawner.ts';

const env = { PATH: '/usr/bin:/bin', LC_ALL: 'C' };
const perl = '/usr/bin/perl';

test('runs the argv exactly as given: spaces, quotes, empty and non-ASCII arguments, no shell', async () => {
  const s = new Spawner(perl, env);
  const args = ['a b', "it's", '"q"', '', '$HOME', '*', 'é ü', 'x\ny', ' '];
  const r = await s.run(['printf', '[%s]\\n', ...args]);
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, args.map((a) => `[${a}]\n`).join(''));
  assert.equal(r.stderr, '');
});

test('exit codes, stderr, signals and missing programs come back as they are', async () => {
  const s = new Spawner(perl, env);
  const failed = await s.run(['sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.deepEqual(failed, { exitCode: 3, stdout: 'out\n', stderr: 'err\n', enoent: false });
  const real127 = await s.run(['sh', '-c', 'exit 127']);
  assert.deepEqual(real127, { exitCode: 127, stdout: '', stderr: '', enoent: false });
  const killed = await s.run(['sh', '-c', 'kill -TERM $$']);
  assert.equal(killed.exitCode, -1);
  const missing = await s.run(['sysmanifest-no-such-tool', '--x']);
  assert.equal(missing.enoent, true);
  // stdin is /dev/null: a reader gets EOF at once instead of hanging.
  assert.equal((await s.run(['cat'])).stdout, '');
});

test('stdin: the input exactly (newlines, no final newline, UTF-8, empty), one pipe per command', async () => {
  const s = new Spawner(perl, env);
  for (const input of ['line 1\nline 2\n', 'no newline', 'é ü\u0000x', '', 'x'.repeat(MAX_INPUT)]) {
    const r = await s.run(['od', '-An', '-v', '-tx1'], input);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout.replace(/\s/g, ''), Buffer.from(input, 'utf8').toString('hex'));
    assert.equal((await s.run(['wc', '-c'], input)).stdout.trim(), String(Buffer.byteLength(input)));
  }
  // Several at once, each reading only its own input.
  const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => s.run(['cat'], `input ${i}\n`)));
  rs.forEach((r, i) => assert.equal(r.stdout, `input ${i}\n`));
  // A command that does not read its stdin does not stall the helper.
  assert.equal((await s.run(['true'], 'y'.repeat(MAX_INPUT))).exitCode, 0);
  assert.equal((await s.run(['echo', 'still here'])).stdout, 'still here\n');
});

test('more stdin than a pipe holds is refused before anything runs (sent: false)', async () => {
  const s = new Spawner(perl, env);
  await assert.rejects(s.run(['cat'], 'x'.repeat(MAX_INPUT + 1)), (e: unknown) => e instanceof SpawnerUnavailable && !e.sent);
});

test('many commands at once each get their own output, and no file is left behind', async () => {
  const s = new Spawner(perl, env);
  const rs = await Promise.all(Array.from({ length: 60 }, (_, i) => s.run(['sh', '-c', `echo ${i}; echo e${i} >&2; exit ${i % 7}`])));
  rs.forEach((r, i) => assert.deepEqual(r, { exitCode: i % 7, stdout: `${i}\n`, stderr: `e${i}\n`, enoent: false }));
  const dirs = readdirSync(tmpdir()).filter((d) => d.startsWith('sysmanifest-run-'));
  for (const d of dirs) assert.deepEqual(readdirSync(`${tmpdir()}/${d}`).filter((f) => /^\d+\./.test(f)), [], `leftovers in ${d}`);
});

test('a helper that dies fails its pending (sent) and later (not sent) requests as SpawnerUnavailable', async () => {
  const s = new Spawner(perl, env);
  const pending = s.run(['sleep', '2']);
  const helper = (s as unknown as { child: { kill: (sig: string) => void } }).child;
  helper.kill('SIGKILL');
  // The sleep had been handed over (it may have run): sent. The next one never was.
  await assert.rejects(pending, (e: unknown) => e instanceof SpawnerUnavailable && e.sent);
  await assert.rejects(s.run(['true']), (e: unknown) => e instanceof SpawnerUnavailable && !e.sent);
});

test('no perl: every request is SpawnerUnavailable', async () => {
  const s = new Spawner('/nonexistent/perl', env);
  await assert.rejects(s.run(['true']), (e: unknown) => e instanceof SpawnerUnavailable && !e.sent);
});
