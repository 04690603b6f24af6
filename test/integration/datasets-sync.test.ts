// `sysmanifest datasets sync|status` with the real rsync on this host's directories: an
// unreachable target (a path that is not there, a filesystem UUID that is not mounted) is
// reported and does not block the reachable one; the interval; retention keeps exactly the
// policy's set, and --dry-run gives the reason for every snapshot and changes nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { hostMutatingRunner } from '../../src/core/runner/exec.ts';
import { rsyncSnapshot } from '../../src/services/datasets/rsync.ts';
import { cli } from '../lib/cli.ts';

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
