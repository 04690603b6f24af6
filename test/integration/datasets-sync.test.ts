// `sysmanifest datasets sync|status` with the real rsync on this host's directories: an
// unreachable target (a path that is not there, a filesystem UUID that is not mounted) is
// reported and does not block the reachable one; the interval; retention keeps exactly the
// policy's set, and --dry-run gives the reason for every snapshot and changes nothing.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { hostMutatingRunner } from '../../src/core/runner/exec.ts';
import { computeExpect } from '../../src/providers/system/datasets/expect.ts';
import { rsyncSnapshot } from '../../src/services/datasets/rsync.ts';
import { cli } from '../lib/cli.ts';
import { treeView } from '../lib/tree-view.ts';

const skip = process.getuid?.() !== 0 ? 'needs root' : spawnSync('sh', ['-c', 'command -v rsync']).status !== 0 ? 'rsync is not installed (apt-get install rsync)' : undefined;
if (skip) console.error(`!! datasets-sync: SKIPPED: ${skip}`);
const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-ds-sync-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('datasets sync: the reachable target gets its snapshot and its retention, the unreachable ones are reported; --dry-run says why for each; then not due', { skip }, async () => {
  const src = join(dir, 'photos');
  mkdirSync(join(src, 'a'), { recursive: true });
  writeFileSync(join(src, 'a/1.jpg'), 'one');
  const backup = join(dir, 'backup');
  mkdirSync(backup);
  // Three snapshots from January, made by the same engine.
  for (const t of ['2026-01-01T10:00:00Z', '2026-01-02T10:00:00Z', '2026-01-02T12:00:00Z']) await rsyncSnapshot(hostMutatingRunner(), { source: src, dir: join(backup, 'photos'), now: new Date(t) });
  const manifest = join(dir, 'manifest.yaml');
  writeFileSync(manifest, `apiVersion: sysmanifest/v1
host:
  hostname: box
datasets:
  - name: photos
    path: ${src}
    role: copy
    kind: rsync
    sources: [nas:/photos]
    targets: [${backup}, ${join(dir, 'usb-not-plugged')}, "uuid:0b007000-dead-4222-8333-444455556666/snapshots"]
    interval: 1h
    retention: { preserve: 2d }
    minCopies: 1
`);
  const list = (): string[] => readdirSync(join(backup, 'photos')).sort();

  const dry = cli(['datasets', 'sync', '--manifest', manifest, '--dry-run']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.deepEqual(list(), ['20260101T100000Z', '20260102T100000Z', '20260102T120000Z'], '--dry-run changes nothing');
  assert.match(dry.stdout, /would snapshot, linked to 20260102T120000Z/);
  assert.match(dry.stdout, /keep {2}\(the new snapshot\): the newest complete snapshot; daily 1 of 2/);
  assert.match(dry.stdout, /keep {2}20260102T120000Z: daily 2 of 2 \(2026-01-02\)/);
  assert.match(dry.stdout, /would remove 20260102T100000Z: no rule of the policy keeps it/);
  assert.match(dry.stdout, /would remove 20260101T100000Z: no rule of the policy keeps it/);

  const run = cli(['datasets', 'sync', '--manifest', manifest]);
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, new RegExp(`${join(dir, 'usb-not-plugged')}: unreachable — .* is not there`));
  assert.match(run.stdout, /uuid:0b007000-dead-4222-8333-444455556666\/snapshots: unreachable — the filesystem 0b007000-dead-4222-8333-444455556666 is not mounted/);
  assert.match(run.stdout, /photos \(rsync\): 1 of 1 copies\n/);
  const after1 = list();
  assert.equal(after1.length, 2, after1.join(' '));
  assert.equal(after1[0], '20260102T120000Z', 'the policy\'s set, exactly: the newest of yesterday-with-a-snapshot and the new one');
  assert.match(after1[1]!, /^\d{8}T\d{6}Z$/);

  const again = cli(['datasets', 'sync', '--manifest', manifest]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`${backup}: not-due — the last good snapshot ${after1[1]} is younger than 1h`));
  assert.deepEqual(list(), after1);

  const status = cli(['datasets', 'status', '--manifest', manifest, '--json']);
  assert.equal(status.status, 0, status.stderr);
  const [photos] = JSON.parse(status.stdout) as { name: string; safeCopies: number; targets: { target: string; state: string; last?: string }[] }[];
  assert.deepEqual(photos!.targets.map((t) => [t.state, t.last]), [['not-due', after1[1]], ['unreachable', undefined], ['unreachable', undefined]]);
  assert.equal(photos!.safeCopies, 1);
});

test('datasets sync: a name the manifest does not declare is a usage error naming the ones it does', { skip }, () => {
  const manifest = join(dir, 'm2.yaml');
  writeFileSync(manifest, 'apiVersion: sysmanifest/v1\nhost:\n  hostname: box\ndatasets:\n  - name: music\n    path: /srv/music\n    role: copy\n    kind: rsync\n    sources: [x]\n');
  const r = cli(['datasets', 'sync', 'photos', '--manifest', manifest]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no dataset "photos" in the manifest \(it declares: music\)/);
});

test('datasets restore: byte for byte (owners, modes, times, hard links, xattrs), checked against the manifest\'s expect; an older snapshot with --snapshot; never over files', { skip }, async () => {
  const src = join(dir, 'music');
  mkdirSync(join(src, 'album'), { recursive: true });
  writeFileSync(join(src, 'album/01.flac'), 'x'.repeat(5000), { mode: 0o640 });
  chownSync(join(src, 'album/01.flac'), 1000, 1000);
  linkSync(join(src, 'album/01.flac'), join(src, 'same.flac'));
  symlinkSync('album/01.flac', join(src, 'link.flac'));
  execFileSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], "user.rating", b"5")', join(src, 'album/01.flac')]);
  utimesSync(join(src, 'album'), new Date('2021-05-06T07:08:09Z'), new Date('2021-05-06T07:08:09Z'));
  const first = treeView(src);
  const expect = await computeExpect(src);
  const backup = join(dir, 'backup2');
  mkdirSync(backup);
  const manifest = join(dir, 'music.yaml');
  writeFileSync(manifest, `apiVersion: sysmanifest/v1\nhost:\n  hostname: box\ndatasets:\n  - name: music\n    path: ${src}\n    role: copy\n    kind: rsync\n    sources: [x]\n    targets: [${join(dir, 'absent-disk')}, ${backup}]\n    expect: ${JSON.stringify(expect)}\n`);
  await rsyncSnapshot(hostMutatingRunner(), { source: src, dir: join(backup, 'music'), now: new Date('2026-02-01T00:00:00Z') });
  writeFileSync(join(src, 'album/02.flac'), 'new track');
  await rsyncSnapshot(hostMutatingRunner(), { source: src, dir: join(backup, 'music'), now: new Date('2026-02-02T00:00:00Z') });

  const to = join(dir, 'restored/music-old');
  const old = cli(['datasets', 'restore', 'music', '--snapshot', '20260201T000000Z', '--to', to, '--manifest', manifest]);
  assert.equal(old.status, 0, old.stderr);
  assert.match(old.stdout, new RegExp(`music: restored 20260201T000000Z from ${backup} into ${to}; matches the manifest \\(2 files, 10000 bytes`));
  assert.equal(treeView(to), first);
  assert.equal(statSync(join(to, 'same.flac')).ino, statSync(join(to, 'album/01.flac')).ino, 'hard link');
  assert.equal(execFileSync('python3', ['-c', 'import os,sys; print(os.getxattr(sys.argv[1], "user.rating").decode())', join(to, 'album/01.flac')], { encoding: 'utf8' }).trim(), '5');

  const newest = join(dir, 'restored/music-new');
  const now = cli(['datasets', 'restore', 'music', '--to', newest, '--manifest', manifest]);
  assert.equal(now.status, 1, 'the newest snapshot is not what the manifest expects');
  assert.match(now.stderr, /restored from .* 20260202T000000Z, but it is not what the manifest expects: files 3, expected 2; bytes 10009, expected 10000; listingSha256 /);
  assert.equal(treeView(newest), treeView(src), 'the files stay, byte for byte the newest snapshot');

  const again = cli(['datasets', 'restore', 'music', '--to', to, '--manifest', manifest]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /is not an empty directory: a restore never writes over files/);
  assert.equal(treeView(to), first, 'untouched');
});

test('datasets sync hooks: dataset.begin, dataset.snapshot, dataset.end with the dataset and target in the environment; a failing dataset.begin cancels that snapshot only', { skip }, () => {
  const src = join(dir, 'docs');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'a');
  const [t1, t2] = [join(dir, 'hook-t1'), join(dir, 'hook-t2')];
  mkdirSync(t1);
  mkdirSync(t2);
  const log = join(dir, 'hook.log');
  const hook = join(dir, 'hook.sh');
  // Logs each call; refuses dataset.begin for the second target.
  writeFileSync(hook, `#!/bin/sh\nread -r doc\necho "$1 $SYSMANIFEST_DATASET \${SYSMANIFEST_TARGET:-} $(printf %s "$doc" | head -c 60)" >> ${log}\n[ "$1" = dataset.begin ] && [ "$SYSMANIFEST_TARGET" = ${t2} ] && { echo "not now" >&2; exit 3; }\nexit 0\n`, { mode: 0o755 });
  const manifest = join(dir, 'docs.yaml');
  writeFileSync(manifest, `apiVersion: sysmanifest/v1\nhost:\n  hostname: box\ndatasets:\n  - name: docs\n    path: ${src}\n    role: copy\n    kind: rsync\n    sources: [x]\n    targets: [${t1}, ${t2}]\n`);
  const r = cli(['datasets', 'sync', '--manifest', manifest, '--hook', hook]);
  assert.equal(r.status, 1, 'one target cancelled: the run says so in its exit status');
  assert.match(r.stdout, new RegExp(`${t1}: done \\d{8}T\\d{6}Z`));
  assert.match(r.stdout, new RegExp(`${t2}: failed — cancelled: the dataset.begin hook ${hook} failed: .*not now`));
  assert.equal(readdirSync(t2).length, 0, 'nothing written to the cancelled target');
  const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ').slice(0, 3).join(' '));
  assert.deepEqual(calls, [`dataset.begin docs ${t1}`, `dataset.snapshot docs ${t1}`, `dataset.begin docs ${t2}`, 'dataset.end docs ']);
  assert.match(readFileSync(log, 'utf8'), /dataset\.snapshot docs \S+ \{"event":"dataset\.snapshot","dataset":"docs","target":/);
});

test('datasets sync on a manifest in a repository: the repository\'s hooks.d/ run, the status file is written, datasets status shows the last run', { skip }, () => {
  const repo = join(dir, 'status-repo');
  const src = join(dir, 'status-src');
  const target = join(dir, 'status-target');
  mkdirSync(join(repo, 'hosts/box'), { recursive: true });
  mkdirSync(join(repo, 'hooks.d'));
  mkdirSync(src);
  mkdirSync(target);
  writeFileSync(join(src, 'a.txt'), 'a');
  execFileSync('git', ['init', '--quiet', repo]);
  const log = join(dir, 'status-hook.log');
  writeFileSync(join(repo, 'hooks.d/10-log'), `#!/bin/sh\necho "$1 $SYSMANIFEST_DATASET" >> ${log}\n`, { mode: 0o755 });
  const manifest = join(repo, 'hosts/box/manifest.yaml');
  writeFileSync(manifest, `apiVersion: sysmanifest/v1\nhost:\n  hostname: box\ndatasets:\n  - name: docs\n    path: ${src}\n    role: copy\n    kind: rsync\n    sources: [x]\n    targets: [${target}, ${join(dir, 'status-unplugged')}]\n    interval: 1h\n`);
  const r = cli(['datasets', 'sync', '--manifest', manifest]);
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['dataset.begin docs', 'dataset.snapshot docs', 'dataset.end docs']);
  const status = JSON.parse(readFileSync(join(repo, '.git/sysmanifest/datasets.json'), 'utf8')) as { result: string; datasets: { name: string; targets: { state: string }[] }[] };
  assert.equal(status.result, 'ok');
  assert.deepEqual(status.datasets[0]!.targets.map((t) => t.state), ['done', 'unreachable']);
  const s = cli(['datasets', 'status', '--manifest', manifest]);
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, new RegExp(`${target}: not-due — the last good snapshot is younger than 1h; last good \\d{8}T\\d{6}Z`));
  assert.match(s.stdout, /last datasets sync: \d{4}-\d\d-\d\dT[\d:.]+Z \(ok, [\d.]+ s\)/);
});
