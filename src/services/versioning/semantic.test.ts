import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commitMessage, summaryLine } from './message.ts';
import { bytes, leafDiffs, semanticDiff } from './semantic.ts';

const base = {
  apiVersion: 'sysmanifest/v1',
  host: { hostname: 'laptop' },
  storage: {
    disks: [{ id: 'disk0', logicalSectorSize: 512, match: { sizeBytes: 67108864 }, partitions: [{ id: 'disk0p1', number: 1, start: 2048, size: 40960, name: 'data' }] }],
    filesystems: [{ on: 'disk0p1', type: 'ext4', uuid: 'u1', label: 'one', ext: { inodeSize: 256, features: ['extent', 'has_journal'] } }],
  },
  packages: { manual: ['bash', 'htop-not', 'nano'], held: [], autoCount: 10 },
  repos: { etc: { kind: 'sysmanifest', commit: 'a'.repeat(40) }, dotfiles: [{ user: 'alice', commit: 'b'.repeat(40), branch: 'laptop' }] },
  datasets: [{ name: 'photos', expect: { files: 10, bytes: 1024, listingSha256: 'x' } }],
  boot: { cmdline: { running: 'quiet' } },
};
const clone = <T>(x: T): T => structuredClone(x);

test('semanticDiff: identical manifests have no changes', () => {
  assert.deepEqual(semanticDiff(base, clone(base)), []);
});

test('semanticDiff: a package installed and a filesystem relabelled are exactly two changes, in words', () => {
  const next = clone(base);
  next.packages.manual = ['bash', 'htop', 'htop-not', 'nano'];
  next.storage.filesystems[0]!.label = 'two';
  const d = semanticDiff(base, next);
  assert.deepEqual(
    d.map((c) => [c.section, c.path, c.kind, c.what]),
    [
      ['storage', 'storage.filesystems[disk0p1].label', 'changed', "ext4 filesystem on disk0p1 relabelled 'one' → 'two'"],
      ['packages', 'packages.manual', 'added', 'package htop installed (manual)'],
    ],
  );
  assert.equal(summaryLine('laptop', d), 'laptop: packages +htop · storage: disk0p1 relabelled');
});

test('semanticDiff: partition resized, new UUID, feature list, removed package, moved repos, dataset contents, cmdline', () => {
  const next = clone(base);
  next.storage.disks[0]!.partitions[0]!.size = 81920;
  next.storage.filesystems[0]!.uuid = 'u2';
  next.storage.filesystems[0]!.ext.features = ['extent', 'has_journal', 'metadata_csum'];
  next.packages.manual = ['bash', 'htop-not'];
  next.repos.etc.commit = 'c'.repeat(40);
  next.repos.dotfiles[0]!.commit = 'd'.repeat(40);
  next.datasets[0]!.expect = { files: 12, bytes: 2048, listingSha256: 'y' };
  next.boot.cmdline.running = 'quiet splash';
  const d = semanticDiff(base, next);
  assert.deepEqual(
    d.map((c) => c.what),
    [
      'partition disk0p1 resized 20 MiB (40960 sectors) → 40 MiB (81920 sectors)',
      'ext4 filesystem on disk0p1: creation parameter ext.features +metadata_csum',
      'ext4 filesystem on disk0p1 has a new UUID \'u1\' → \'u2\'',
      "kernel command line (cmdline.running) changed 'quiet' → 'quiet splash'",
      'package nano no longer manually installed (removed, or marked auto)',
      `/etc repository moved ${'a'.repeat(10)} → ${'c'.repeat(10)}`,
      `dotfiles of alice moved ${'b'.repeat(10)} → ${'d'.repeat(10)}`,
      'dataset photos contents changed: bytes 1 KiB → 2 KiB, files 10 → 12, listing hash changed',
    ],
  );
  assert.equal(
    summaryLine('laptop', d, { added: ['a.conf'], modified: ['b.conf'], removed: [], metadata: false }),
    'laptop: packages −nano · /etc: 2 files · dotfiles: alice moved · datasets: photos contents · boot: cmdline · storage: disk0p1 resized disk0p1 params disk0p1 new UUID',
  );
});

test('semanticDiff: entities added and removed by identity', () => {
  const next = clone(base) as typeof base & { storage: { swap?: unknown[] } };
  next.storage.disks[0]!.partitions.push({ id: 'disk0p2', number: 2, start: 43008, size: 2048, name: 'swap' });
  next.datasets = [];
  const d = semanticDiff(base, next);
  assert.deepEqual(
    d.map((c) => [c.path, c.kind, c.what]),
    [
      ['storage.disks[disk0].partitions[disk0p2]', 'added', 'partition disk0p2 (1 MiB) added'],
      ['datasets[photos]', 'removed', 'dataset photos removed'],
    ],
  );
});

test('leafDiffs: a list of plain values is one leaf', () => {
  assert.deepEqual(leafDiffs({ f: ['a', 'b'] }, { f: ['a', 'c', 'd'] }), [{ path: ['f'], expected: ['a', 'b'], actual: ['a', 'c', 'd'] }]);
});

test('commitMessage: first capture, and subject + body + /etc paths', () => {
  const m = base as never;
  assert.equal(commitMessage('laptop', undefined, m, []), 'laptop: first capture (1 disk, 1 filesystem, 3 manual packages, 1 dotfiles repositories, 1 datasets)\n');
  const next = clone(base);
  next.packages.manual = ['bash', 'htop', 'htop-not'];
  const changes = semanticDiff(base, next);
  assert.equal(
    commitMessage('laptop', m, next as never, changes, { added: ['new.conf'], modified: [], removed: ['old.conf'], metadata: true }),
    'laptop: packages +htop −nano · /etc: 2 files + metadata · storage: unchanged\n\n- package htop installed (manual)\n- package nano no longer manually installed (removed, or marked auto)\n\n/etc repository:\n  A /etc/new.conf\n  D /etc/old.conf\n',
  );
});

test('bytes: binary units', () => {
  assert.deepEqual([bytes(512), bytes(1024), bytes(1536), bytes(67108864)], ['512 B', '1 KiB', '1.5 KiB', '64 MiB']);
});
