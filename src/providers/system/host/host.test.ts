import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import { captureHost } from './capture.ts';
import { gatherHost } from './gather.ts';

test('host: os-release of Debian 12, hostname file, machine, BIOS when /sys/firmware/efi is absent', async () => {
  const runner = new FakeRunner({
    commands: { 'uname -m': 'x86_64\n' },
    files: { '/etc/os-release': fixture(import.meta.url, './__fixtures__/os-release.debian12'), '/etc/hostname': 'laptop\n' },
  });
  const host = captureHost(await gatherHost(runner, '/'));
  assert.deepEqual(host, {
    hostname: 'laptop',
    os: { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
    arch: 'x86_64',
    firmware: 'bios',
  });
});

test('host: under --root, firmware is not guessed from the live machine', async () => {
  const runner = new FakeRunner({ commands: { 'uname -m': 'x86_64\n' }, files: { '/mnt/t/etc/hostname': 'old\n' }, dirs: ['/sys/firmware/efi'] });
  const host = captureHost(await gatherHost(runner, '/mnt/t'));
  assert.deepEqual(host, { hostname: 'old', arch: 'x86_64' });
});
