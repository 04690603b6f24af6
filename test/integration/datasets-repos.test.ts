// kinds restic and borg (src/services/datasets/engines.ts) with the real restic and borg on this
// host's directories (no loop device): the repository is made on the first run (encrypted, with
// the tool's own password setting), snapshots are taken at the run's time, retention keeps the
// policy's set (the others are forgotten and pruned / deleted and compacted) and --dry-run gives
// the reasons; an unreachable target does not block the other; a restore of the newest and of an
// older snapshot reproduces the tree exactly (owners, modes, times, hard links, xattrs); without a
// password the target fails with what to set, and nothing else does.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseManifest } from '../../src/core/manifest/load.ts';
import { hostMutatingRunner } from '../../src/core/runner/exec.ts';
import { computeExpect } from '../../src/providers/system/datasets/expect.ts';
import { restoreDataset, syncDatasets } from '../../src/services/datasets/sync.ts';
import { cli } from '../lib/cli.ts';
import { datasetTree } from '../lib/dataset-tree.ts';
import { treeView } from '../lib/tree-view.ts';

const has = (p: string): boolean => spawnSync('sh', ['-c', `command -v ${p}`]).status === 0;
const skip = process.getuid?.() !== 0 ? 'needs root (owners)' : !has('restic') ? 'restic is not installed (apt-get install restic)' : !has('borg') ? 'borg is not installed (apt-get install borgbackup)' : undefined;
if (skip) console.error(`!! datasets-repos: SKIPPED: ${skip}`);
const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-ds-repos-'));
after(() => rmSync(dir, { recursive: true, force: true }));
process.env.RESTIC_PASSWORD = 'correct horse battery staple';
process.env.BORG_PASSPHRASE = 'correct horse battery staple';

const source = (kind: string): string => datasetTree(join(dir, `${kind}-photos`), 300_000);

const manifestText = (kind: string, src: string, repo: string): string => `apiVersion: sysmanifest/v1
host:
  hostname: box
datasets:
  - name: photos
    path: ${src}
    role: copy
    kind: ${kind}
    sources: [nas:/photos]
    targets: [${join(dir, `${kind}-usb-not-plugged`)}, ${repo}]
    retention: { preserve: 2d }
`;

for (const kind of ['restic', 'borg'] as const) {
  test(`${kind}: repository made on the first run; snapshots at the run's time; retention with reasons; the unreachable target reported; restores exact`, { skip, timeout: 5 * 60_000 }, async () => {
    const src = source(kind);
    const repo = join(dir, `${kind}-repo`);
    mkdirSync(repo); // an empty directory on the backup disk: made a repository by the first run
    const m = parseManifest(manifestText(kind, src, repo), 'm.yaml');
    const run = async (now: string) => (await syncDatasets(hostMutatingRunner(), m, { names: [], dryRun: false, now: new Date(now) }))[0]!;
    const views = new Map<string, string>();
    const r1 = await run('2026-12-01T10:00:00Z');
    assert.equal(r1.targets[0]!.state, 'unreachable');
    assert.equal(r1.targets[1]!.state, 'done', JSON.stringify(r1.targets[1]));
    assert.equal(r1.targets[1]!.snapshot, '20261201T100000Z');
    assert.ok(readdirSync(repo).includes('config'), `${kind} made its repository`);
    views.set('20261201T100000Z', treeView(src));
    writeFileSync(join(src, 'notes.txt'), 'second\n');
    const r2 = await run('2026-12-02T10:00:00Z');
    assert.ok((r2.targets[1]!.addedBytes ?? Infinity) < 100_000, `deduplicated: the second snapshot added ${r2.targets[1]!.addedBytes} bytes`);
    views.set('20261202T100000Z', treeView(src));
    writeFileSync(join(src, 'new.txt'), 'third\n');

    const manifest = join(dir, `${kind}.yaml`);
    writeFileSync(manifest, manifestText(kind, src, repo));
    const dry = cli(['datasets', 'sync', '--manifest', manifest, '--dry-run']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /keep {2}20261202T100000Z: daily 2 of 2 \(2026-12-02\)/);
    assert.match(dry.stdout, /would remove 20261201T100000Z: no rule of the policy keeps it/);

    const r3 = await run('2026-12-03T10:00:00Z');
    assert.deepEqual(r3.targets[1]!.removed, ['20261201T100000Z']);
    views.set('20261203T100000Z', treeView(src));
    const status = cli(['datasets', 'status', '--manifest', manifest]);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`photos \\(${kind}\\): 1 of 1 copies\\n`));
    assert.match(status.stdout, /last good 20261203T100000Z/);

    const expect = await computeExpect(src, {});
    const withExpect = parseManifest(`${manifestText(kind, src, repo)}    expect: { files: ${expect.files}, bytes: ${expect.bytes}, listingSha256: ${expect.listingSha256} }\n`, 'm.yaml');
    const newest = await restoreDataset(hostMutatingRunner(), withExpect, { name: 'photos', to: join(dir, `${kind}-back`) });
    assert.deepEqual([newest.snapshot, newest.verified], ['20261203T100000Z', expect]);
    assert.equal(treeView(join(dir, `${kind}-back`)), views.get('20261203T100000Z'));
    const older = await restoreDataset(hostMutatingRunner(), m, { name: 'photos', to: join(dir, `${kind}-older`), snapshot: '20261202T100000Z' });
    assert.equal(older.snapshot, '20261202T100000Z');
    assert.equal(treeView(join(dir, `${kind}-older`)), views.get('20261202T100000Z'));
    // The removed snapshot is gone from the repository.
    await assert.rejects(restoreDataset(hostMutatingRunner(), m, { name: 'photos', to: join(dir, `${kind}-gone`), snapshot: '20261201T100000Z' }), /no reachable target holds 20261201T100000Z/);
  });
}

test('restic and borg without a password: that target fails with what to set; the CLI exits 1 and names it', { skip }, () => {
  const src = source('nopw');
  for (const kind of ['restic', 'borg']) {
    const manifest = join(dir, `nopw-${kind}.yaml`);
    mkdirSync(join(dir, `nopw-${kind}-repo`));
    writeFileSync(manifest, manifestText(kind, src, join(dir, `nopw-${kind}-repo`)));
    const r = cli(['datasets', 'sync', '--manifest', manifest], { env: { RESTIC_PASSWORD: '', BORG_PASSPHRASE: '' } });
    assert.equal(r.status, 1, `${kind}: ${r.stdout}${r.stderr}`);
    assert.match(`${r.stdout}${r.stderr}`, kind === 'restic' ? /RESTIC_PASSWORD/ : /BORG_PASSPHRASE/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('git-annex: the backup is a bare clone kept with sync --content, the selection as its preferred content, minCopies as numcopies; a restore clones it and gets the selected content', { skip: skip ?? (has('git-annex') ? undefined : 'git-annex is not installed (apt-get install git-annex)'), timeout: 5 * 60_000 }, async () => {
  const src = join(dir, 'annex-photos');
  const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
  mkdirSync(join(src, '2025'), { recursive: true });
  mkdirSync(join(src, 'scratch'));
  git(dir, 'init', '--quiet', src);
  git(src, 'annex', 'init', '--quiet', 'laptop');
  writeFileSync(join(src, '2025/a.jpg'), 'A'.repeat(200_000));
  writeFileSync(join(src, 'notes.txt'), 'notes\n');
  writeFileSync(join(src, 'scratch/tmp.bin'), 'T'.repeat(50_000));
  git(src, 'annex', 'add', '--quiet', '.');
  git(src, 'commit', '--quiet', '-m', 'photos');
  const backup = join(dir, 'annex-backup');
  mkdirSync(backup);
  const text = `apiVersion: sysmanifest/v1
host:
  hostname: box
datasets:
  - name: photos
    path: ${src}
    role: selection
    kind: git-annex
    sources: [nas]
    exclude: ["scratch/**"]
    targets: [${join(dir, 'annex-usb-not-plugged')}, ${backup}]
    minCopies: 2
`;
  const m = parseManifest(text, 'm.yaml');
  const [r1] = await syncDatasets(hostMutatingRunner(), m, { names: [], dryRun: false, now: new Date('2026-12-01T10:00:00Z') });
  assert.equal(r1!.targets[0]!.state, 'unreachable');
  assert.equal(r1!.targets[1]!.state, 'done', JSON.stringify(r1!.targets[1]));
  const where = (f: string): string => git(src, 'annex', 'whereis', f);
  assert.match(where('2025/a.jpg'), /2 copies/);
  assert.match(where('scratch/tmp.bin'), /1 copy/, 'outside the selection: not sent to the backup');
  assert.match(git(src, 'annex', 'numcopies'), /^2/);
  writeFileSync(join(src, '2025/b.jpg'), 'B'.repeat(100_000));
  git(src, 'annex', 'add', '--quiet', '2025/b.jpg');
  git(src, 'commit', '--quiet', '-m', 'more');
  const [r2] = await syncDatasets(hostMutatingRunner(), m, { names: [], dryRun: false, now: new Date('2026-12-02T10:00:00Z') });
  assert.equal(r2!.targets[1]!.last, '20261202T100000Z');
  assert.match(where('2025/b.jpg'), /2 copies/);

  const expect = await computeExpect(src, { exclude: ['scratch/**'], skipTopGit: true });
  const withExpect = parseManifest(`${text}    expect: { files: ${expect.files}, bytes: ${expect.bytes}, listingSha256: ${expect.listingSha256} }\n`, 'm.yaml');
  const to = join(dir, 'annex-back');
  const r = await restoreDataset(hostMutatingRunner(), withExpect, { name: 'photos', to });
  assert.deepEqual(r.verified, expect);
  for (const f of ['2025/a.jpg', '2025/b.jpg', 'notes.txt']) assert.equal(readFileSync(join(to, f), 'utf8'), readFileSync(join(src, f), 'utf8'), `${f}: the content is there`);
  assert.throws(() => readFileSync(join(to, 'scratch/tmp.bin')), /ENOENT/, 'the file outside the selection has no content in the backup');
});
