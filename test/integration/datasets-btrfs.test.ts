// kind btrfs (src/services/datasets/btrfs*.ts) with the real btrfs-progs on two btrfs filesystems
// on loop devices (the source's and a backup disk's): the first send is full, the next ones
// incremental against the parent found by Received UUID; a transfer killed midway leaves a
// ledger entry and a half-received subvolume, which the next run deletes before it retries
// exactly that snapshot, incrementally; an unreachable target is reported and owed the newest
// snapshot; retention on both sides keeps the policy's set and never the parent a target needs;
// a restore brings the tree back exactly (owners, modes, times, hard links, xattrs), and the next
// send after it is incremental again.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseManifest } from '../../src/core/manifest/load.ts';
import { hostMutatingRunner } from '../../src/core/runner/exec.ts';
import { computeExpect } from '../../src/providers/system/datasets/expect.ts';
import { listSnapshots, readLedger, subvolume } from '../../src/services/datasets/btrfs.ts';
import { restoreDataset, syncDatasets, type DatasetReport, type TargetReport } from '../../src/services/datasets/sync.ts';
import { cli } from '../lib/cli.ts';
import { integrationUnavailable, LoopLab, sh } from '../lib/loop.ts';
import { datasetTree, getXattr } from '../lib/dataset-tree.ts';
import { treeView } from '../lib/tree-view.ts';

const skip = integrationUnavailable() ?? (spawnSync('sh', ['-c', 'command -v btrfs && command -v mkfs.btrfs']).status !== 0 ? 'btrfs-progs is not installed (apt-get install btrfs-progs)' : undefined);
if (skip) console.error(`!! datasets-btrfs: SKIPPED: ${skip}`);

let lab: LoopLab;
let srcFs = '';
let backupFs = '';
before(() => {
  if (skip) return;
  lab = new LoopLab('sysmanifest-ds-btrfs-');
  const a = lab.disk(1 << 30, { name: 'source' });
  const b = lab.disk(1 << 30, { name: 'backup' });
  sh(['mkfs.btrfs', '-q', a.path]);
  sh(['mkfs.btrfs', '-q', b.path]);
  srcFs = lab.mount(a.path);
  backupFs = lab.mount(b.path);
  mkdirSync(join(backupFs, 'snaps')); // the backup disk's directory for snapshots, made by its owner
});
after(() => lab?.cleanup());

const runner = () => hostMutatingRunner();
const manifestText = (path: string, extra = ''): string => `apiVersion: sysmanifest/v1
host:
  hostname: box
datasets:
  - name: photos
    path: ${path}
    role: copy
    kind: btrfs
    sources: [nas:/photos]
    targets: [${join(backupFs, 'snaps')}, "uuid:0b007000-dead-4222-8333-444455556666/snaps"]
    retention: { preserve: 2d }
${extra}`;

const sync = async (now: string, path: string, lines: string[] = []): Promise<DatasetReport> => {
  const [d] = await syncDatasets(runner(), parseManifest(manifestText(path), 'm.yaml'), { names: [], dryRun: false, now: new Date(now), onLine: (_d, t, l) => lines.push(`${t}: ${l}`) });
  return d!;
};
const backupOf = (d: DatasetReport): TargetReport => d.targets[0]!;
const targetDir = (): string => join(backupFs, 'snaps/photos');
const snapDir = (): string => join(srcFs, '.sysmanifest-snapshots/photos');

test('btrfs: full, then incremental by Received UUID; killed midway → ledger entry, garbled subvolume deleted, exact retry, incremental; retention; unreachable target owed; restore exact and incremental after', { skip, timeout: 10 * 60_000 }, async () => {
  const src = join(srcFs, 'photos');
  sh(['btrfs', 'subvolume', 'create', src]);
  datasetTree(src);
  writeFileSync(join(src, '2025/summer/c.jpg'), randomBytes(8 << 20));

  // 1. The first run: a full send; the unplugged disk is reported and owed the snapshot.
  const r1 = await sync('2026-12-01T10:00:00Z', src);
  assert.equal(backupOf(r1).state, 'done', JSON.stringify(r1));
  assert.deepEqual(backupOf(r1).sent?.map((s) => [s.snapshot, s.parent]), [['20261201T100000Z', undefined]]);
  assert.ok(backupOf(r1).sent![0]!.bytes > 8 << 20, `a full send carries the data (${backupOf(r1).sent![0]!.bytes} bytes)`);
  assert.equal(r1.targets[1]!.state, 'unreachable');
  assert.match(r1.targets[1]!.why!, /not mounted; outstanding: 20261201T100000Z/);
  const local1 = (await listSnapshots(runner(), snapDir(), false)).complete;
  const target1 = (await listSnapshots(runner(), targetDir(), true)).complete;
  assert.equal(target1[0]!.receivedUuid, local1[0]!.uuid, 'the received copy names the local snapshot by its UUID');
  assert.equal(treeView(join(targetDir(), '20261201T100000Z')), treeView(join(snapDir(), '20261201T100000Z')));

  // 2. A small change: an incremental send of a few KiB against the first snapshot.
  writeFileSync(join(src, 'notes.txt'), 'second\n');
  const r2 = await sync('2026-12-02T10:00:00Z', src);
  assert.deepEqual(backupOf(r2).sent?.map((s) => [s.snapshot, s.parent]), [['20261202T100000Z', '20261201T100000Z']]);
  assert.ok(backupOf(r2).sent![0]!.bytes < 256 << 10, `incremental: ${backupOf(r2).sent![0]!.bytes} bytes`);

  // 3. A run killed midway (it and its send | receive, SIGKILL) while 200 MiB of new data are received.
  writeFileSync(join(src, 'big.bin'), randomBytes(200 << 20));
  const modules = ['src/core/manifest/load.ts', 'src/core/runner/exec.ts', 'src/services/datasets/sync.ts'].map((p) => new URL(`../../${p}`, import.meta.url).href);
  const script = `import { parseManifest } from '${modules[0]}'; import { hostMutatingRunner } from '${modules[1]}'; import { syncDatasets } from '${modules[2]}';
await syncDatasets(hostMutatingRunner(), parseManifest(${JSON.stringify(manifestText(src))}, 'm.yaml'), { names: [], dryRun: false, now: new Date('2026-12-03T10:00:00Z') });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { detached: true, stdio: 'ignore' });
  const receiving = join(targetDir(), '20261203T100000Z');
  for (let i = 0; i < 6000 && !existsSync(join(receiving, 'big.bin')); i++) await sleep(5);
  const pids = spawnSync('pgrep', ['-f', 'sysmanifest-btrfs-send|btrfs (send|receive)'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
  for (const pid of [child.pid!, ...pids]) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.on('exit', r)));
  for (let i = 0; i < 200 && spawnSync('pgrep', ['-f', 'btrfs (send|receive)']).status === 0; i++) await sleep(20);
  const half = await subvolume(runner(), receiving);
  assert.ok(half && !half.readonly && half.receivedUuid === undefined, `the killed receive left a half-received subvolume: ${JSON.stringify(half)}`);
  assert.deepEqual((await listSnapshots(runner(), targetDir(), true)).garbled, ['20261203T100000Z']);
  const ledger = await readLedger(snapDir());
  assert.equal(ledger.targets[join(backupFs, 'snaps')]?.outstanding?.snapshot, '20261203T100000Z', 'the ledger holds the killed transfer');

  // 4. The next run deletes the garbled subvolume, sends exactly the outstanding snapshot
  //    (incremental against 20261202), then the new one (incremental against the retried one).
  const said: string[] = [];
  const r4 = await sync('2026-12-04T10:00:00Z', src, said);
  assert.equal(backupOf(r4).state, 'done', JSON.stringify(backupOf(r4)));
  assert.match(said.join('\n'), /deleting 20261203T100000Z: a receive that did not finish/);
  assert.deepEqual(backupOf(r4).sent?.map((s) => [s.snapshot, s.parent]), [['20261203T100000Z', '20261202T100000Z'], ['20261204T100000Z', '20261203T100000Z']]);
  assert.ok(backupOf(r4).sent![1]!.bytes < 256 << 10, 'the second is tiny');
  const after4 = await listSnapshots(runner(), targetDir(), true);
  assert.deepEqual(after4.garbled, []);
  // preserve 2d: the newest of the last two days that have a snapshot (12-04, 12-03); 12-01 and 12-02 go.
  assert.deepEqual(after4.complete.map((s) => s.name), ['20261203T100000Z', '20261204T100000Z']);
  assert.deepEqual(backupOf(r4).removed, ['20261202T100000Z', '20261201T100000Z']);
  // Locally, the snapshot the unplugged disk still needs (its outstanding one) stays.
  const ledger4 = await readLedger(snapDir());
  assert.equal(ledger4.targets['uuid:0b007000-dead-4222-8333-444455556666/snaps']?.outstanding?.snapshot, '20261204T100000Z');
  assert.deepEqual(ledger4.targets[join(backupFs, 'snaps')], { last: '20261204T100000Z' });
  assert.deepEqual((await listSnapshots(runner(), snapDir(), false)).complete.map((s) => s.name), ['20261203T100000Z', '20261204T100000Z']);
  assert.equal(treeView(join(targetDir(), '20261204T100000Z')), treeView(src));

  // 5. The disk is lost: the subvolume and its local snapshots are gone. A restore to the same
  //    path brings it back exactly, verified against the manifest's expect …
  const expect = await computeExpect(src, {});
  const view = treeView(src);
  sh(['btrfs', 'subvolume', 'delete', src]);
  for (const s of readdirSync(snapDir())) if (/^\d{8}T\d{6}Z$/.test(s)) sh(['btrfs', 'subvolume', 'delete', join(snapDir(), s)]);
  rmSync(snapDir(), { recursive: true, force: true });
  const m = parseManifest(manifestText(src, `    expect: { files: ${expect.files}, bytes: ${expect.bytes}, listingSha256: ${expect.listingSha256} }\n`), 'm.yaml');
  const restored = await restoreDataset(runner(), m, { name: 'photos', to: src });
  assert.equal(restored.snapshot, '20261204T100000Z');
  assert.deepEqual(restored.verified, expect);
  assert.equal(treeView(src), view, 'owners, modes, times, hard links and xattrs back');
  assert.equal(getXattr(join(src, 'notes.txt'), 'user.sysmanifest'), 'kept');
  // … and the next send is incremental against the snapshot received back.
  writeFileSync(join(src, 'notes.txt'), 'after the restore\n');
  const r6 = await sync('2026-12-05T10:00:00Z', src);
  assert.deepEqual(backupOf(r6).sent?.map((s) => [s.snapshot, s.parent]), [['20261205T100000Z', '20261204T100000Z']]);
  assert.ok(backupOf(r6).sent![0]!.bytes < 256 << 10, `incremental after the restore: ${backupOf(r6).sent![0]!.bytes} bytes`);
  assert.equal(treeView(join(targetDir(), '20261205T100000Z')), treeView(src));
});

test('btrfs: datasets sync --dry-run and status through the CLI say what would happen and change nothing', { skip }, () => {
  const manifest = join(lab.dir, 'm.yaml');
  writeFileSync(manifest, manifestText(join(srcFs, 'photos')));
  const before = readdirSync(targetDir()).sort();
  const dry = cli(['datasets', 'sync', '--manifest', manifest, '--dry-run']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /would send a new snapshot incrementally against 20261205T100000Z/);
  // Locally, the newest snapshot is what both targets still need: the backup disk's next parent, the unplugged disk's outstanding one.
  assert.match(dry.stdout, new RegExp(`keep {2}20261205T100000Z: .*needed by ${join(backupFs, 'snaps')} \\(the parent of its next send\\); uuid:0b007000-dead-4222-8333-444455556666/snaps \\(outstanding: not sent yet\\)`));
  const status = cli(['datasets', 'status', '--manifest', manifest]);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /photos \(btrfs\): 1 of 1 copies/);
  assert.match(status.stdout, /unreachable — the filesystem 0b007000-dead-4222-8333-444455556666 is not mounted; outstanding: 20261205T100000Z/);
  assert.deepEqual(readdirSync(targetDir()).sort(), before);
  assert.ok(!readFileSync(join(snapDir(), '.sysmanifest-ledger.json'), 'utf8').includes('in progress'));
});

test('btrfs: a path that is not a subvolume fails that dataset in words (what to do), exit 1, no stack trace; nothing is written to the target', { skip }, () => {
  const plain = join(srcFs, 'plain-dir');
  mkdirSync(plain, { recursive: true });
  writeFileSync(join(plain, 'a'), 'a');
  const manifest = join(lab.dir, 'plain.yaml');
  writeFileSync(manifest, manifestText(plain).replace('name: photos', 'name: plain'));
  const r = cli(['datasets', 'sync', '--manifest', manifest]);
  assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, new RegExp(`${join(backupFs, 'snaps')}: failed — ${plain}: not a btrfs subvolume, so kind btrfs cannot snapshot it \\(make it one`));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.ok(!existsSync(join(backupFs, 'snaps/plain')), 'nothing on the target');
});
