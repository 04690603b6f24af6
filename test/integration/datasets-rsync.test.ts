// rsync snapshots of a dataset (src/services/datasets/rsync.ts) with the real rsync, on plain
// directories of this host (no loop device): unchanged files shared (same inode), changed ones new;
// owners, modes, times, hard links and xattrs kept; a run cut off midway never becomes a base and
// the next run completes against the last complete snapshot; the run lock.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isUserError } from '../../src/core/errors.ts';
import { hostMutatingRunner } from '../../src/core/runner/exec.ts';
import { completeSnapshots, rsyncSnapshot, takeLock } from '../../src/services/datasets/rsync.ts';
import { datasetTree, getXattr } from '../lib/dataset-tree.ts';
import { treeView } from '../lib/tree-view.ts';

const skip = process.getuid?.() !== 0 ? 'needs root (owners)' : spawnSync('sh', ['-c', 'command -v rsync']).status !== 0 ? 'rsync is not installed (apt-get install rsync)' : undefined;
if (skip) console.error(`!! datasets-rsync: SKIPPED: ${skip}`);
const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-ds-rsync-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const source = (): string => datasetTree(join(dir, 'photos'));

test('two snapshots: the unchanged files are the same inodes, a changed file is a new one; each is the source exactly (owners, modes, times, hard links, xattrs)', { skip }, async () => {
  const src = source();
  const target = join(dir, 'target/photos');
  const runner = hostMutatingRunner();
  const first = await rsyncSnapshot(runner, { source: src, dir: target, now: new Date('2026-12-04T08:00:00Z') });
  assert.deepEqual(first, { snapshot: '20261204T080000Z', removedPartials: [], vanished: false });
  assert.equal(treeView(join(target, first.snapshot)), treeView(src));
  writeFileSync(join(src, 'notes.txt'), 'second\n');
  const second = await rsyncSnapshot(runner, { source: src, dir: target, now: new Date('2026-12-04T09:00:00Z') });
  assert.equal(second.base, '20261204T080000Z');
  assert.equal(treeView(join(target, second.snapshot)), treeView(src));
  const ino = (snap: string, f: string): number => statSync(join(target, snap, f)).ino;
  assert.equal(ino(first.snapshot, '2025/summer/a.jpg'), ino(second.snapshot, '2025/summer/a.jpg'), 'unchanged: one inode');
  assert.equal(ino(first.snapshot, '2025/summer/b.jpg'), ino(second.snapshot, '2025/summer/b.jpg'));
  assert.notEqual(ino(first.snapshot, 'notes.txt'), ino(second.snapshot, 'notes.txt'), 'changed: a new inode');
  assert.equal(ino(second.snapshot, 'a-again.jpg'), ino(second.snapshot, '2025/summer/a.jpg'), 'the hard link inside the tree kept');
  assert.equal(getXattr(join(target, second.snapshot, 'notes.txt'), 'user.sysmanifest'), 'kept');
  assert.deepEqual((await completeSnapshots(target)).map((s) => s.name), ['20261204T080000Z', '20261204T090000Z']);
});

test('a run killed midway leaves only a partial tree, never a base: the next run removes it and links to the last complete snapshot', { skip, timeout: 120_000 }, async (t) => {
  const src = join(dir, 'big');
  mkdirSync(src, { recursive: true });
  const files = 200;
  const name = (i: number): string => `f${String(i).padStart(3, '0')}`;
  for (let i = 0; i < files; i++) writeFileSync(join(src, name(i)), Buffer.alloc(1 << 20, i));
  const target = join(dir, 'target/big');
  const runner = hostMutatingRunner();
  const first = await rsyncSnapshot(runner, { source: src, dir: target, now: new Date('2026-12-04T10:00:00Z') });
  // Changed since: all but the last file, so the next run has 199 MiB to copy, not links to make.
  for (let i = 0; i < files - 1; i++) writeFileSync(join(src, name(i)), Buffer.alloc(1 << 20, 100 + i));
  // The next run, in a process of its own, killed (SIGKILL, it and its rsync) once it has begun writing.
  const module = new URL('../../src/services/datasets/rsync.ts', import.meta.url).href;
  const runnerModule = new URL('../../src/core/runner/exec.ts', import.meta.url).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e', `import { rsyncSnapshot } from '${module}'; import { hostMutatingRunner } from '${runnerModule}'; await rsyncSnapshot(hostMutatingRunner(), { source: ${JSON.stringify(src)}, dir: ${JSON.stringify(target)}, now: new Date('2026-12-04T11:00:00Z') });`], { detached: true, stdio: 'ignore' });
  const partial = join(target, '.partial-20261204T110000Z');
  for (let i = 0; i < 3000 && !(existsSync(partial) && readdirSync(partial).length > 0); i++) await sleep(10);
  const rsyncs = spawnSync('pgrep', ['-f', partial], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
  for (const pid of [child.pid!, ...rsyncs]) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.on('exit', r)));
  for (let i = 0; i < 100 && spawnSync('pgrep', ['-f', partial]).status === 0; i++) await sleep(20);
  assert.ok(existsSync(partial), 'the killed run left its partial tree');
  // How far rsync got before the kill depends on the machine's load (on a busy host it may have
  // written every file and be killed before the rename): what matters is that it was never renamed.
  t.diagnostic(`killed with ${readdirSync(partial).length} of ${files} entries in the partial tree`);
  assert.deepEqual((await completeSnapshots(target)).map((s) => s.name), [first.snapshot], 'not a snapshot');
  assert.ok(existsSync(join(target, '.sysmanifest-lock')), 'SIGKILL left the lock behind');

  const said: string[] = [];
  const next = await rsyncSnapshot(runner, { source: src, dir: target, now: new Date('2026-12-04T12:00:00Z'), onLine: (l) => said.push(l) });
  assert.deepEqual([next.base, next.removedPartials], [first.snapshot, ['.partial-20261204T110000Z']]);
  assert.match(said.join('\n'), /left by a run that is gone/);
  assert.equal(treeView(join(target, next.snapshot)), treeView(src));
  assert.equal(statSync(join(target, next.snapshot, name(files - 1))).ino, statSync(join(target, first.snapshot, name(files - 1))).ino, 'linked to the last complete snapshot');
  assert.deepEqual(readdirSync(target).sort(), [first.snapshot, next.snapshot]);
});

test('a file rewritten at the same size within the second of the last snapshot is copied, not linked to its old content', { skip }, async () => {
  const src = join(dir, 'quick');
  mkdirSync(src, { recursive: true });
  const f = join(src, 'f');
  writeFileSync(f, 'aaaa');
  const t = new Date('2026-06-01T00:00:00.100Z');
  utimesSync(f, t, t);
  const target = join(dir, 'target/quick');
  const runner = hostMutatingRunner();
  await rsyncSnapshot(runner, { source: src, dir: target, now: new Date('2026-12-04T13:00:00Z') });
  writeFileSync(f, 'bbbb'); // same size, and the same whole second as before:
  const t2 = new Date('2026-06-01T00:00:00.900Z');
  utimesSync(f, t2, t2);
  const next = await rsyncSnapshot(runner, { source: src, dir: target, now: new Date('2026-12-04T13:00:01Z') });
  assert.equal(readFileSync(join(target, next.snapshot, 'f'), 'utf8'), 'bbbb');
});

test('the run lock: a live holder refuses a second run; a lock left by a dead process is taken over, and said', { skip }, async () => {
  const target = join(dir, 'target/locked');
  mkdirSync(target, { recursive: true });
  const release = await takeLock(target);
  await assert.rejects(takeLock(target), (e: unknown) => isUserError(e) && /another run \(pid \d+ on \S+\) is writing this dataset's snapshots/.test(e.message));
  await release();
  // A run killed with SIGKILL leaves its lock: a pid that no longer exists.
  const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
  mkdirSync(join(target, '.sysmanifest-lock'));
  writeFileSync(join(target, '.sysmanifest-lock/pid'), `${dead}\n`);
  const said: string[] = [];
  const again = await takeLock(target, (s) => said.push(s));
  assert.match(said.join('\n'), new RegExp(`left by a run that is gone \\(${dead}\\); taking it over`));
  await again();
  assert.ok(!existsSync(join(target, '.sysmanifest-lock')));
});
