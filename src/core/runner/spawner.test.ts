// The spawn helper runs real processes (perl, sh, printf): exact argv, outputs, exit codes,
// signals, missing programs, many at once, and what happens when the helper itself dies.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { Spawner, SpawnerUnavailable } from './spawner.ts';

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

test('many commands at once each get their own output, and no file is left behind', async () => {
  const s = new Spawner(perl, env);
  const rs = await Promise.all(Array.from({ length: 60 }, (_, i) => s.run(['sh', '-c', `echo ${i}; echo e${i} >&2; exit ${i % 7}`])));
  rs.forEach((r, i) => assert.deepEqual(r, { exitCode: i % 7, stdout: `${i}\n`, stderr: `e${i}\n`, enoent: false }));
  const dirs = readdirSync(tmpdir()).filter((d) => d.startsWith('sysmanifest-run-'));
  for (const d of dirs) assert.deepEqual(readdirSync(`${tmpdir()}/${d}`).filter((f) => /^\d+\./.test(f)), [], `leftovers in ${d}`);
});

test('a helper that dies fails its pending and later requests as SpawnerUnavailable (the runner then spawns itself)', async () => {
  const s = new Spawner(perl, env);
  const pending = s.run(['sleep', '2']);
  const helper = (s as unknown as { child: { kill: (sig: string) => void } }).child;
  helper.kill('SIGKILL');
  await assert.rejects(pending, SpawnerUnavailable);
  await assert.rejects(s.run(['true']), SpawnerUnavailable);
});

test('no perl: every request is SpawnerUnavailable', async () => {
  const s = new Spawner('/nonexistent/perl', env);
  await assert.rejects(s.run(['true']), SpawnerUnavailable);
});
