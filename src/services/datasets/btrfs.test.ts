import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { commonParent, ledgerParents, parseSubvolumeShow, snapshotDirOf, type BtrfsSnapshot } from './btrfs.ts';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url)), 'utf8');

test('parseSubvolumeShow: a read-only snapshot, its received copy (Received UUID = the snapshot\'s UUID), a writable subvolume', () => {
  const snap = parseSubvolumeShow(fixture('subvolume-show-snapshot.txt'), 'snap');
  const recv = parseSubvolumeShow(fixture('subvolume-show-received.txt'), 'recv');
  const src = parseSubvolumeShow(fixture('subvolume-show-writable.txt'), 'src');
  assert.equal(snap.readonly, true);
  assert.equal(snap.receivedUuid, undefined);
  assert.equal(snap.parentUuid, src.uuid, 'a snapshot names its source as parent');
  assert.deepEqual([recv.readonly, recv.receivedUuid], [true, snap.uuid]);
  assert.equal(recv.parentUuid, undefined);
  assert.deepEqual([src.readonly, src.receivedUuid], [false, undefined]);
  assert.throws(() => parseSubvolumeShow('ERROR: not a subvolume\n', 'x'), /no UUID/);
});

const s = (name: string, uuid: string, receivedUuid?: string): BtrfsSnapshot => ({ name, time: new Date(`${name.slice(0, 4)}-${name.slice(4, 6)}-${name.slice(6, 8)}T${name.slice(9, 11)}:00:00Z`), uuid, readonly: true, ...(receivedUuid ? { receivedUuid } : {}) });

test('commonParent: the newest local snapshot the target holds, matched by what the kernel sends (the Received UUID of a snapshot that was itself received)', () => {
  const local = [s('20261201T10', 'L1'), s('20261202T10', 'L2'), s('20261203T10', 'L3')];
  assert.equal(commonParent(local, [s('20261201T10', 'T1', 'L1'), s('20261202T10', 'T2', 'L2')])?.name, '20261202T10');
  assert.equal(commonParent(local, [s('20261201T10', 'T1', 'L1'), s('20261202T10', 'T2', 'L2')], new Date('2026-12-02T10:00:00Z'))?.name, '20261201T10', 'older than the snapshot to send');
  assert.equal(commonParent(local, []), undefined, 'nothing in common: a full send');
  // After a restore: the local copy was received back from the target; it is sent as its Received UUID.
  const restored = [s('20261202T10', 'R2', 'L2'), s('20261205T10', 'N5')];
  assert.equal(commonParent(restored, [s('20261202T10', 'T2', 'L2')])?.name, '20261202T10');
});

test('ledgerParents: the last snapshot of every target and every outstanding one, with why', () => {
  const p = ledgerParents({ format: 1, targets: { '/a': { last: 'X' }, 'uuid:1/b': { last: 'X', outstanding: { snapshot: 'Y', since: '', why: '' } } } });
  assert.deepEqual(Object.fromEntries(p), { X: ['/a (the parent of its next send)', 'uuid:1/b (the parent of its next send)'], Y: ['uuid:1/b (outstanding: not sent yet)'] });
});

test('snapshotDirOf: beside the dataset unless the manifest says where', () => {
  assert.equal(snapshotDirOf('/srv/photos/', 'photos'), '/srv/.sysmanifest-snapshots/photos');
  assert.equal(snapshotDirOf('/srv/photos', 'photos', '/srv/snaps'), '/srv/snaps');
});
