import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUserError } from '../../errors.ts';
import { parseManifest } from '../load.ts';
import { targetPath } from './datasets.ts';

const manifest = (dataset: string): string => `apiVersion: sysmanifest/v1
host:
  hostname: box
datasets:
  - name: photos
    path: /srv/photos
    role: copy
    kind: rsync
    sources: [nas:/photos]
${dataset}`;

const refused = (yaml: string): { code: string; message: string } => {
  try {
    parseManifest(yaml, 'm.yaml');
  } catch (e) {
    assert.ok(isUserError(e), String(e));
    return { code: e.code, message: e.message };
  }
  assert.fail('expected the manifest to be refused');
};

test('datasets: targets, interval, retention and minCopies as the user writes them load', () => {
  const m = parseManifest(manifest(`    targets: [/backup/photos, "uuid:0b007000-1111-4222-8333-444455556666/snapshots", "ssh://backup@nas:2222/volume1/photos"]
    interval: 1h
    retention: { preserve: 24h 7d 4w 12m 5y, preserveMin: 2d }
    minCopies: 2
`), 'm.yaml');
  assert.deepEqual(m.datasets?.[0]?.targets?.length, 3);
  assert.deepEqual(m.datasets?.[0]?.retention, { preserve: '24h 7d 4w 12m 5y', preserveMin: '2d' });
});

test('datasets: a hostile or wrong target, retention or copy count is refused with its manifest path', () => {
  const cases: [string, RegExp][] = [
    ['    targets: [relative/dir]\n', /datasets\[0\]\.targets\[0\]/],
    ['    targets: ["/backup/../etc"]\n', /datasets\[0\]\.targets\[0\].*target path/s],
    ['    targets: ["uuid:0b007000-1111-4222-8333-444455556666/../../etc"]\n', /datasets\[0\]\.targets\[0\].*target path/s],
    ['    targets: ["ssh://nas/a/../../root"]\n', /datasets\[0\]\.targets\[0\].*target path/s],
    ['    targets: ["ssh://nas;reboot/x"]\n', /datasets\[0\]\.targets\[0\]/],
    ['    targets: [/b, /b/]\n', /datasets\[0\]\.targets\[1\].*target "\/b" is used twice/s],
    ['    targets: [/b]\n    retention: { preserve: 7 days }\n', /datasets\[0\]\.retention\.preserve.*"7" is not N or \*/s],
    ['    targets: [/b]\n    retention: { preserve: 7d 2d }\n', /daily \(d\) given twice/],
    ['    targets: [/b]\n    interval: 10m\n', /datasets\[0\]\.interval/],
    ['    targets: [/b]\n    minCopies: 2\n', /datasets\[0\]\.minCopies.*2 copies asked for, but 1 target\(s\) declared/s],
    ['    snapshotDir: /srv/../etc/snaps\n', /datasets\[0\]\.snapshotDir/],
    ['    snapshotDir: /srv/snaps\n', /datasets\[0\]\.snapshotDir.*only kind btrfs takes local snapshots/s],
  ];
  for (const [yaml, re] of cases) {
    const e = refused(manifest(yaml));
    assert.match(e.message, re, yaml);
    assert.ok(['MANIFEST_SCHEMA', 'MANIFEST_RULE'].includes(e.code), e.code);
  }
  const twice = refused(`${manifest('')}  - name: photos\n    path: /srv/other\n    role: copy\n    kind: rsync\n    sources: [x]\n`);
  assert.match(twice.message, /datasets\[1\]\.name.*dataset name "photos" is used twice/s);
});

test('targetPath: the part of a target that must stay a confined absolute path', () => {
  assert.equal(targetPath('/backup/x'), '/backup/x');
  assert.equal(targetPath('uuid:0b00-11/snap'), '/snap');
  assert.equal(targetPath('ssh://u@h:22/p/q'), '/p/q');
  assert.equal(targetPath('ftp://h/p'), undefined);
});
