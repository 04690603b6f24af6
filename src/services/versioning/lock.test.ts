import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { acquireLock } from './lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('acquireLock: a second taker is refused with the holder pid and start; release frees it', async () => {
  const path = join(dir, 'a.lock');
  const first = await acquireLock(path, { what: 'capture --commit' });
  await assert.rejects(acquireLock(path, { what: 'capture' }), (e: Error) => {
    assert.match(e.message, new RegExp(`^another capture --commit \\(pid ${process.pid}\\) is running since ${first.info.since.replace(/\./g, '\\.')} \\(lock ${path}\\)$`));
    return true;
  });
  await first.release();
  const again = await acquireLock(path, { what: 'capture' });
  await again.release();
  assert.deepEqual(readdirSync(dir), []);
});

test('acquireLock: waits up to waitSeconds for a live holder', async () => {
  const path = join(dir, 'b.lock');
  const first = await acquireLock(path, { what: 'capture' });
  setTimeout(() => void first.release(), 300);
  const t0 = Date.now();
  const second = await acquireLock(path, { what: 'capture', waitSeconds: 5, pollMs: 50 });
  assert.ok(Date.now() - t0 >= 250, 'the second taker waited for the release');
  await second.release();
});

test('acquireLock: the lock of a process that is gone (killed) is stale and broken', async () => {
  const path = join(dir, 'c.lock');
  // PIDs are below /proc/sys/kernel/pid_max: that number names no process (as after a kill -9).
  const pid = readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim();
  const startTime = '12345';
  writeFileSync(path, JSON.stringify({ pid: Number(pid), startTime, since: '2020-01-01T00:00:00.000Z', what: 'capture', token: 'dead' }));
  const lock = await acquireLock(path, { what: 'capture' });
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid);
  await lock.release();
  assert.deepEqual(readdirSync(dir), []);
});

test('acquireLock: a reused pid (same pid, other start time) is stale too', async () => {
  const path = join(dir, 'd.lock');
  writeFileSync(path, JSON.stringify({ pid: process.pid, startTime: '1', since: '2020-01-01T00:00:00.000Z', what: 'capture', token: 'reused' }));
  const lock = await acquireLock(path, { what: 'capture' });
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).token, lock.info.token);
  await lock.release();
});
