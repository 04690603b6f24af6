// The real runner's refusals and error messages. No process is started: the read-only
// policy refuses before spawning, and an empty search path makes every spawn fail with ENOENT.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isUserError } from '../errors.ts';
import { commandFailed, hintFor, hostReadOnlyRunner } from './exec.ts';
import { isReadOnlyInvocation } from './policy.ts';

const empty = mkdtempSync(join(tmpdir(), 'sysmanifest-nopath-'));
after(() => rmSync(empty, { recursive: true, force: true }));

test('a missing tool names the Debian package that provides it', async () => {
  const r = hostReadOnlyRunner(1, empty);
  for (const [argv, pkg] of [
    [['xfs_info', '/dev/x'], 'xfsprogs'],
    [['cryptsetup', 'luksDump', '/dev/x'], 'cryptsetup-bin'],
    [['sfdisk', '--json', '/dev/x'], 'fdisk'],
    [['mdadm', '--detail', '/dev/md0'], 'mdadm'],
  ] as const) {
    await assert.rejects(r.run(argv), (e: unknown) => {
      assert.ok(isUserError(e));
      assert.equal(e.code, 'TOOL_MISSING');
      assert.equal(e.message, `${argv[0]} is not installed`);
      assert.equal(e.hint, `install it: apt-get install ${pkg}`);
      return true;
    });
  }
});

test('the read-only runner refuses anything that could write, before spawning', () => {
  const r = hostReadOnlyRunner(1, empty);
  for (const argv of [['mkfs.ext4', '/dev/x'], ['sfdisk', '/dev/x'], ['tune2fs', '-L', 'x', '/dev/x'], ['cryptsetup', 'luksFormat', '/dev/x'], ['lvm', 'lvcreate'], ['mdadm', '--create', '/dev/md0'], ['btrfs', 'subvolume', 'create', '/x'], ['git', 'commit']]) {
    assert.equal(isReadOnlyInvocation(argv), false, argv.join(' '));
    assert.throws(() => r.run(argv), /refused a command that is not known to be read-only/);
  }
  for (const argv of [['blkid', '-p', '-o', 'export', '/dev/x'], ['sfdisk', '--json', '/dev/x'], ['tune2fs', '-l', '/dev/x'], ['cryptsetup', 'luksDump', '/dev/x']]) {
    assert.equal(isReadOnlyInvocation(argv), true, argv.join(' '));
  }
});

test('a failed command names argv, exit code and the tail of stderr, with a hint when known', () => {
  const e = commandFailed({ argv: ['wipefs', '-a', '/dev/sdz'], exitCode: 1, stdout: '', stderr: 'line 1\nwipefs: error: /dev/sdz: probing initialization failed: Device or resource busy\n' });
  assert.equal(e.code, 'COMMAND_FAILED');
  assert.equal(e.message, 'wipefs -a /dev/sdz failed (exit 1):\n  line 1\n  wipefs: error: /dev/sdz: probing initialization failed: Device or resource busy');
  assert.match(e.hint ?? '', /unmount it, swapoff it, close its LUKS mapping/);
  assert.equal(hintFor('all fine'), undefined);
});
