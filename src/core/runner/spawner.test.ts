// The spawn helper runs real processes (perl, sh, printf): exact argv, outputs, exit codes,
// signals, missing programs, many at once, and what happens when the helper itself dies.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  // This process's helpers only: another sysmanifest running on the machine has its own files in flight.
  const dirs = readdirSync(tmpdir()).filter((d) => d.startsWith(`sysmanifest-run-${process.pid}-`));
  assert.ok(dirs.length > 0, 'the helper directory is named after this process');
  for (const d of dirs) assert.deepEqual(readdirSync(`${tmpdir()}/${d}`).filter((f) => /^\d+\./.test(f)), [], `leftovers in ${d}`);
});

test('a helper that dies fails its pending (sent) and later (not sent) requests as SpawnerUnavailable', async () => {
  const s = new Spawner(perl, env);
  const marker = join(tmpdir(), `sysmanifest-spawner-test-${process.pid}`);
  const pending = s.run(['sh', '-c', 'touch "$0"; exec sleep 2', marker]);
  for (let i = 0; i < 300 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 10));
  rmSync(marker, { force: true });
  const helper = (s as unknown as { child: { kill: (sig: string) => void } }).child;
  helper.kill('SIGKILL');
  // The command had been handed over and was running: sent. The next one never was.
  await assert.rejects(pending, (e: unknown) => e instanceof SpawnerUnavailable && e.sent);
  await assert.rejects(s.run(['true']), (e: unknown) => e instanceof SpawnerUnavailable && !e.sent);
});

test('no perl, or a helper that never gets ready: every request is SpawnerUnavailable, not sent', async () => {
  for (const notPerl of ['/nonexistent/perl', '/bin/false']) {
    const s = new Spawner(notPerl, env);
    await assert.rejects(s.run(['true']), (e: unknown) => e instanceof SpawnerUnavailable && !e.sent, notPerl);
  }
});

test('the output directory does not outlive its process: the helper removes it when Node is gone, a later start sweeps a killed one', async () => {
  // Node gone (its end of the pipe closed): the helper finishes and removes the directory.
  const s = new Spawner(perl, env);
  assert.equal((await s.run(['echo', 'x'])).stdout, 'x\n');
  const inner = s as unknown as { dir: string; child: { stdin: { end: () => void }; once: (e: string, f: () => void) => void } };
  assert.ok(existsSync(inner.dir));
  const exited = new Promise<void>((r) => inner.child.once('exit', r));
  inner.child.stdin.end();
  await exited;
  assert.equal(existsSync(inner.dir), false, 'removed by the helper');

  // Killed together (no one left to clean up): the next start removes it — only when its
  // process is gone.
  const dead = spawnSync('true').pid!;
  const stale = join(tmpdir(), `sysmanifest-run-${dead}-test`);
  const alive = join(tmpdir(), `sysmanifest-run-1-test`); // pid 1 is always there
  for (const d of [stale, alive]) {
    mkdirSync(d);
    writeFileSync(join(d, '1.out'), 'left over');
  }
  try {
    const next = new Spawner(perl, env);
    assert.equal((await next.run(['true'])).exitCode, 0);
    assert.equal(existsSync(stale), false, 'the dead process’s directory is swept');
    assert.equal(existsSync(alive), true, 'a live process’s directory is left alone');
  } finally {
    rmSync(stale, { recursive: true, force: true });
    rmSync(alive, { recursive: true, force: true });
  }
});

test('stdin as bytes: a binary key file reaches the command exactly (NUL, 0xff, a lone 0x80, no newline added)', async () => {
  const s = new Spawner(perl, env);
  const r = await s.run(['od', '-An', '-tx1'], new Uint8Array([0, 255, 10, 128, 0x41]));
  assert.equal(r.stdout.trim(), '00 ff 0a 80 41');
});
