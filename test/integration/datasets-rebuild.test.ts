// The datasets stage of `sysmanifest rebuild` (providers/system/datasets/stage.ts,
// services/datasets/rebuild-restore.ts) on plain directories of this host (no loop device):
// every dataset with a reachable backup comes back into the target tree at its path, verified;
// an optional dataset whose backup is not reachable is left OUTSTANDING (the rebuild goes on and
// says how to finish); once the backup is there, `rebuild --stage datasets --resume` restores
// exactly that one; a required dataset without a reachable backup fails the rebuild.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseManifest } from '../../src/core/manifest/load.ts';
import { hostMutatingRunner } from '../../src/core/runner/exec.ts';
import { computeExpect } from '../../src/providers/system/datasets/expect.ts';
import { syncDatasets } from '../../src/services/datasets/sync.ts';
import { cli } from '../lib/cli.ts';
import { treeView } from '../lib/tree-view.ts';

const skip = process.getuid?.() !== 0 ? 'needs root (rebuild)' : spawnSync('sh', ['-c', 'command -v rsync']).status !== 0 ? 'rsync is not installed (apt-get install rsync)' : undefined;
if (skip) console.error(`!! datasets-rebuild: SKIPPED: ${skip}`);
const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-ds-rebuild-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function tree(name: string): string {
  const s = join(dir, 'machine', name);
  mkdirSync(join(s, 'sub'), { recursive: true });
  writeFileSync(join(s, 'sub/a.bin'), `${name} `.repeat(10_000));
  writeFileSync(join(s, 'owned.txt'), `${name}\n`, { mode: 0o600 });
  chownSync(join(s, 'owned.txt'), 1000, 1000);
  return s;
}

test('rebuild --stage datasets: restored and verified; an unreachable optional dataset is outstanding until --resume; a required one fails the rebuild', { skip, timeout: 5 * 60_000 }, async () => {
  const photos = tree('photos');
  const music = tree('music');
  const backup = join(dir, 'backup');
  mkdirSync(backup);
  const usb = join(dir, 'usb'); // not there yet: the disk is not plugged in
  const entry = async (name: string, path: string, target: string, extra = ''): Promise<string> => {
    const e = await computeExpect(path, {});
    return `  - name: ${name}
    path: /srv/${name}
    role: copy
    kind: rsync
    sources: [nas:/${name}]
    targets: [${target}]
    expect: { files: ${e.files}, bytes: ${e.bytes}, listingSha256: ${e.listingSha256} }
${extra}`;
  };
  const head = 'apiVersion: sysmanifest/v1\nhost:\n  hostname: box\ndatasets:\n';
  // The machine's backups, as `datasets sync` made them (its datasets live under DIR/machine).
  const live = parseManifest(`${head}${(await entry('photos', photos, backup)).replace('/srv/photos', photos)}${(await entry('music', music, usb)).replace('/srv/music', music)}`, 'live.yaml');
  await syncDatasets(hostMutatingRunner(), live, { names: ['photos'], dryRun: false, now: new Date('2026-12-01T10:00:00Z') });

  const repo = join(dir, 'repo/hosts/box');
  mkdirSync(repo, { recursive: true });
  const manifest = join(repo, 'manifest.yaml');
  writeFileSync(manifest, `${head}${await entry('photos', photos, backup)}${await entry('music', music, usb)}`);
  const target = join(dir, 'target');
  mkdirSync(join(target, 'srv'), { recursive: true });
  const state = join(dir, 'state');
  const rebuild = (...extra: string[]) => cli(['rebuild', manifest, '--stage', 'datasets', '--target', target, '--state', state, '--yes', ...extra], { timeoutMs: 120_000 });

  const r1 = rebuild();
  assert.equal(r1.status, 0, `${r1.stdout}\n${r1.stderr}`);
  assert.equal(treeView(join(target, 'srv/photos')), treeView(photos), 'photos back, owners and modes included');
  assert.match(r1.stdout, /OUTSTANDING: dataset music \(rsync\) into \/srv\/music from .*usb.*: music: no reachable target holds a complete snapshot \(.*usb: .* is not there/);
  assert.match(r1.stdout, /1 step\(s\) outstanding: .* run sysmanifest rebuild .* --stage datasets --resume/);
  assert.equal(spawnSync('test', ['-e', join(target, 'srv/music')]).status, 1, 'nothing of music was written');

  // The disk is plugged in (its backup made); the resume restores exactly music.
  mkdirSync(usb);
  await syncDatasets(hostMutatingRunner(), live, { names: ['music'], dryRun: false, now: new Date('2026-12-01T11:00:00Z') });
  const r2 = rebuild('--resume');
  assert.equal(r2.status, 0, `${r2.stdout}\n${r2.stderr}`);
  assert.match(r2.stdout, /skip dataset photos .*done in an earlier run/);
  assert.doesNotMatch(r2.stdout, /OUTSTANDING/);
  assert.equal(treeView(join(target, 'srv/music')), treeView(music));

  // A required dataset with no reachable backup stops the rebuild, named.
  mkdirSync(join(dir, 'target2'));
  writeFileSync(join(repo, 'required.yaml'), `${head}${await entry('music', music, join(dir, 'gone'), '    required: true\n')}`);
  const r3 = cli(['rebuild', join(repo, 'required.yaml'), '--stage', 'datasets', '--target', join(dir, 'target2'), '--state', join(dir, 'state2'), '--yes'], { timeoutMs: 120_000 });
  assert.equal(r3.status, 1, `${r3.stdout}\n${r3.stderr}`);
  assert.match(r3.stderr, /music: no reachable target holds a complete snapshot/);
  assert.doesNotMatch(r3.stderr, /\n\s+at /);
});
