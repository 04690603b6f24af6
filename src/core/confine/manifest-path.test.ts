import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../errors.ts';
import { deviceNameInside, dmNameProblem, mdNameProblem } from './device-name.ts';
import { absolutePathProblem, checkManifestPath, childInside, joinInside, relativePathProblem } from './manifest-path.ts';

const HOSTILE_ABSOLUTE = [
  '/srv/../../../x', '/..', '/srv/..', '/./etc', '/etc/.', '//etc', '/etc//x', '/etc/', 'etc', '', 'a/../../b',
  '/etc/\0shadow', '/srv\n/x', '/srv/\u001b[2Jx', '/srv/\u009bx', '/srv/\u007f', `/${'a'.repeat(256)}`, `/${'a/'.repeat(2048)}a`,
];

test('absolute manifest paths: canonical ones pass, every hostile form is named', () => {
  for (const ok of ['/', '/srv', '/srv/data', '/boot/efi', '/mnt/with space', '/home/ålice', `/${'a'.repeat(255)}`]) assert.equal(absolutePathProblem(ok), undefined, ok);
  for (const bad of HOSTILE_ABSOLUTE) assert.equal(typeof absolutePathProblem(bad), 'string', JSON.stringify(bad));
  assert.equal(typeof absolutePathProblem(42), 'string');
  assert.match(absolutePathProblem('/a/../b')!, /"\.\." component/);
  assert.match(absolutePathProblem('/a\nb')!, /control character/);
});

test('relative manifest paths (btrfs subvolumes, side files)', () => {
  for (const ok of ['@', '@home', '@home/nested', 'apt-keys/usr/share/keyrings/x.gpg']) assert.equal(relativePathProblem(ok), undefined, ok);
  for (const bad of ['../x', 'a/../../x', '/abs', './a', 'a/.', 'a//b', 'a/', '..', '.', '', 'a\0b', 'a\nb']) assert.equal(typeof relativePathProblem(bad), 'string', JSON.stringify(bad));
});

test('checkManifestPath names the manifest path and shows control characters escaped', () => {
  assert.equal(checkManifestPath('/srv', 'mounts.fstab[0].file'), '/srv');
  assert.throws(
    () => checkManifestPath('/srv/\u001b[2J', 'mounts.fstab[3].file'),
    (e: unknown) => e instanceof UserError && e.code === 'MANIFEST_RULE' && e.message.startsWith('mounts.fstab[3].file: "/srv/\\u001b[2J"') && !e.message.includes('\u001b'),
  );
});

test('joinInside: the only join of a manifest path to a root stays inside it', () => {
  assert.equal(joinInside('/mnt/target', '/srv/data'), '/mnt/target/srv/data');
  assert.equal(joinInside('/mnt/target', '/'), '/mnt/target');
  assert.equal(joinInside('/mnt/target/', '/boot'), '/mnt/target/boot', 'the root is normalised');
  assert.equal(joinInside('/', '/etc'), '/etc');
  assert.equal(joinInside('/run/m', '@home/nested'), '/run/m/@home/nested', 'relative paths (subvolumes)');
  for (const bad of [...HOSTILE_ABSOLUTE.filter((p) => p.startsWith('/')), '../x', 'a/../../x']) {
    assert.throws(() => joinInside('/mnt/target', bad, 'x'), UserError, JSON.stringify(bad));
  }
  assert.throws(() => joinInside(`/${'r'.repeat(4000)}`, `/${'a'.repeat(200)}`), /longer than 4095 bytes/);
});

test('childInside: a single file name', () => {
  assert.equal(childInside('/var/cache/x', 'photos-abc.json'), '/var/cache/x/photos-abc.json');
  for (const bad of ['..', '.', 'a/b', '../x', '', 'a\nb']) assert.throws(() => childInside('/var/cache/x', bad), UserError, bad);
});

test('device-mapper names: kernel rules (dm-ioctl.c)', () => {
  for (const ok of ['cryptroot', 'luks-3f0c9a4e-1111-4222-8333-944455556666', 'a b', 'x'.repeat(127)]) assert.equal(dmNameProblem(ok), undefined, ok);
  for (const bad of ['../vda', 'a/b', '.', '..', 'control', '', 'x'.repeat(128), 'a\nb', 'a\u001bb', 'a\0b']) assert.equal(typeof dmNameProblem(bad), 'string', JSON.stringify(bad));
  assert.equal(deviceNameInside('/dev/mapper', 'cryptroot', 'dm'), '/dev/mapper/cryptroot');
  assert.throws(() => deviceNameInside('/dev/mapper', '../vda', 'dm', 'storage.luks[0].mapping'), (e: unknown) => e instanceof UserError && /^storage\.luks\[0\]\.mapping: "\.\.\/vda"/.test(e.message));
});

test('md names: mdadm rules (≤ 32, POSIX portable, no leading . or -)', () => {
  for (const ok of ['root', 'md0', 'data_1', 'a.b-c', 'x'.repeat(32)]) assert.equal(mdNameProblem(ok), undefined, ok);
  for (const bad of ['../vda', 'a/b', '.hidden', '-x', '..', 'x'.repeat(33), 'a b', 'host:name', 'a\nb', '']) assert.equal(typeof mdNameProblem(bad), 'string', JSON.stringify(bad));
  assert.equal(deviceNameInside('/dev/md', 'root', 'md'), '/dev/md/root');
  assert.throws(() => deviceNameInside('/dev/md', '../vda', 'md', 'storage.mdraid[0].name'), /storage\.mdraid\[0\]\.name/);
});
