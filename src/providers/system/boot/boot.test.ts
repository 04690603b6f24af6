import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ParseError } from '../../../core/errors.ts';
import { hostReadOnlyRunner } from '../../../core/runner/exec.ts';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import { provider } from './index.ts';
import { devicePathParts, parseEfibootmgr, parseShellAssignments } from './parse.ts';

const fx = (rel: string): string => fixture(import.meta.url, `__fixtures__/${rel}`);
const PART = 'fa298230-048c-4f45-b2fa-91c40fdbf699';

test('efibootmgr -v (v17, OVMF guest): order, timeout, active flag, device paths', () => {
  const vars = parseEfibootmgr(fx('efibootmgr-v.txt'));

  assert.deepEqual(vars, {
    timeout: 0,
    bootOrder: ['0002', '0001', '0000'],
    entries: [
      { number: '0000', label: 'UiApp', active: true, devicePath: 'FvVol(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/FvFile(462caa21-7614-4503-836e-8ab6f4662331)' },
      { number: '0001', label: 'debian', active: true, devicePath: `HD(1,GPT,${PART},0x800,0x10000)/File(\\EFI\\debian\\shimx64.efi)` },
      { number: '0002', label: 'Linux Boot Manager', active: false, devicePath: `HD(1,GPT,${PART},0x800,0x10000)/File(\\EFI\\systemd\\systemd-bootx64.efi)` },
    ],
  });
  assert.deepEqual(parseEfibootmgr(fx('efibootmgr-v-uiapp-only.txt')).bootOrder, ['0000']);
  assert.deepEqual(devicePathParts(vars.entries[1]!.devicePath!), { partUuid: PART, file: '\\EFI\\debian\\shimx64.efi' });
  assert.throws(() => parseEfibootmgr('something else entirely\n'), ParseError);
});

test('live UEFI root: firmware from sysfs, EFI entries from efibootmgr, no running cmdline (may hold secrets)', async () => {
  const runner = new FakeRunner({
    commands: { 'efibootmgr -v': fx('efibootmgr-v.txt') },
    dirs: ['/sys/firmware/efi'],
    files: { '/proc/cmdline': 'BOOT_IMAGE=/vmlinuz-6.1.0-18-amd64 root=UUID=0b2f ro quiet\n' },
  });

  const { boot } = await provider.contribute({ runner, root: '/' });

  assert.equal(boot!.firmware, 'uefi');
  assert.equal(boot!.firmwareFrom, 'sysfs');
  assert.deepEqual(boot!.efi!.bootOrder, ['0002', '0001', '0000']);
  assert.deepEqual(boot!.efi!.entries![2], {
    number: '0002',
    label: 'Linux Boot Manager',
    active: false,
    devicePath: `HD(1,GPT,${PART},0x800,0x10000)/File(\\EFI\\systemd\\systemd-bootx64.efi)`,
    partUuid: PART,
    file: '\\EFI\\systemd\\systemd-bootx64.efi',
  });
  assert.deepEqual(boot!.cmdline, {});
  assert.deepEqual(boot!.initramfs, { tool: 'none' });
  assert.equal(boot!.loader, 'none');
});

test('live UEFI root without efibootmgr: entries recorded as unsupported, not as "none"', async () => {
  const runner = new FakeRunner({ dirs: ['/sys/firmware/efi'], files: { '/proc/cmdline': 'quiet\n' }, programs: [] });

  const { boot } = await provider.contribute({ runner, root: '/' });

  assert.deepEqual(boot!.efi, { unsupported: { reason: 'efibootmgr is not installed (apt-get install efibootmgr)' } });
});

test('live BIOS root: no EFI section, efibootmgr never run', async () => {
  const runner = new FakeRunner({ files: { '/proc/cmdline': 'quiet\n' } });

  const { boot } = await provider.contribute({ runner, root: '/' });

  assert.equal(boot!.firmware, 'bios');
  assert.equal(boot!.efi, undefined);
  assert.deepEqual(runner.calls, []);
});

function status(...pkgs: string[]): string {
  return pkgs.map((p) => `Package: ${p}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n`).join('\n');
}

function tree(files: Record<string, string>, dirs: readonly string[] = []): string {
  const root = mkdtempSync(join(tmpdir(), 'sm-boot-'));
  for (const d of dirs) mkdirSync(join(root, d), { recursive: true });
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

test('--root tree: grub on BIOS+EFI dirs, grub.d override, initramfs-tools conf.d/hooks/scripts/modules', async () => {
  const root = tree(
    {
      '/var/lib/dpkg/status': status('dpkg', 'grub-pc', 'grub-pc-bin', 'grub2-common', 'initramfs-tools'),
      '/boot/grub/grub.cfg': '# generated\n',
      '/etc/default/grub': fx('etc-default-grub'),
      '/etc/default/grub.d/50-local.cfg': 'GRUB_CMDLINE_LINUX="console=ttyS0,115200 rd.luks.options=discard"\n',
      '/etc/default/grub.d/ignored.txt': 'GRUB_CMDLINE_LINUX="nope"\n',
      '/etc/initramfs-tools/initramfs.conf': fx('initramfs.conf'),
      '/etc/initramfs-tools/modules': `${fx('initramfs-modules')}dm-crypt\nraid1 # mirrors\n`,
      '/etc/initramfs-tools/conf.d/resume': 'RESUME=UUID=1234-abcd\n',
      '/etc/initramfs-tools/conf.d/modules.dpkg-old': 'MODULES=list\n',
      '/etc/initramfs-tools/conf.d/zz-dep': 'MODULES=dep\n',
      '/etc/initramfs-tools/hooks/copy-keys': '#!/bin/sh\n',
      '/etc/initramfs-tools/scripts/local-top/unlock': '#!/bin/sh\n',
    },
    ['/boot/grub/i386-pc', '/boot/grub/x86_64-efi', '/boot/grub/fonts', '/etc/initramfs-tools/scripts/init-top'],
  );
  try {
    const { boot } = await provider.contribute({ runner: hostReadOnlyRunner(), root });

    assert.deepEqual(boot, {
      firmware: 'bios',
      firmwareFrom: 'packages',
      loader: 'grub',
      grub: { platforms: ['i386-pc', 'x86_64-efi'], packages: ['grub-pc'], config: true },
      efi: { unsupported: { reason: 'EFI boot entries live in the firmware of the running machine; they are not read for a system under --root' } },
      cmdline: { grubLinux: 'console=ttyS0,115200 rd.luks.options=discard', grubLinuxDefault: 'quiet' },
      initramfs: {
        tool: 'initramfs-tools',
        settings: { BUSYBOX: 'auto', COMPRESS: 'zstd', DEVICE: '', FSTYPE: 'auto', KEYMAP: 'n', MODULES: 'dep', NFSROOT: 'auto', RESUME: 'UUID=1234-abcd', RUNSIZE: '10%' },
        confFiles: ['resume', 'zz-dep'],
        hooks: ['copy-keys'],
        scripts: ['local-top/unlock'],
        modules: ['dm-crypt', 'raid1'],
      },
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--root tree: systemd-boot on the ESP, /etc/kernel/cmdline, firmware from packages', async () => {
  const root = tree({
    '/var/lib/dpkg/status': status('dpkg', 'systemd-boot', 'dracut'),
    '/boot/efi/loader/loader.conf': 'timeout 3\n',
    '/etc/kernel/cmdline': 'root=UUID=0b2f rw\n  quiet\n',
    '/etc/dracut.conf.d/10-crypt.conf': 'add_dracutmodules+=" crypt "\n',
    '/etc/dracut.conf.d/notes.txt': 'x\n',
  });
  try {
    const { boot } = await provider.contribute({ runner: hostReadOnlyRunner(), root });

    assert.equal(boot!.firmware, 'uefi');
    assert.equal(boot!.loader, 'systemd-boot');
    assert.deepEqual(boot!.systemdBoot, { loaderConf: '/boot/efi/loader/loader.conf' });
    assert.deepEqual(boot!.cmdline, { kernelCmdline: 'root=UUID=0b2f rw quiet' });
    assert.deepEqual(boot!.initramfs, { tool: 'dracut', confFiles: ['10-crypt.conf'] });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--root tree with no loader package and no boot files: firmware unknown, loader none', async () => {
  const root = tree({ '/var/lib/dpkg/status': status('dpkg', 'grub-efi-amd64-bin', 'grub2-common') });
  try {
    const { boot } = await provider.contribute({ runner: hostReadOnlyRunner(), root });

    assert.deepEqual([boot!.firmware, boot!.firmwareFrom, boot!.loader, boot!.grub], ['unknown', 'none', 'none', undefined]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('shell assignments: quotes, comments, expansions refused, bash arrays', () => {
  const v = parseShellAssignments(
    [
      fx('etc-default-grub'),
      `GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX splash"`,
      `A='single # not a comment'`,
      `B=plain # comment`,
      `C=a#b`,
      `D="esc \\"q\\""`,
      'HOOKS=(base udev autodetect',
      '       block encrypt # comment',
      '       filesystems)',
    ].join('\n'),
  );

  assert.deepEqual(v.get('GRUB_DEFAULT'), { value: '0' });
  assert.deepEqual(v.get('GRUB_DISTRIBUTOR'), { expansion: '`lsb_release -i -s 2> /dev/null || echo Debian`' });
  assert.deepEqual(v.get('GRUB_CMDLINE_LINUX'), { expansion: '"$GRUB_CMDLINE_LINUX splash"' });
  assert.deepEqual(v.get('GRUB_CMDLINE_LINUX_DEFAULT'), { value: 'quiet' });
  assert.equal(v.has('GRUB_BADRAM'), false); // commented out
  assert.deepEqual([v.get('A'), v.get('B'), v.get('C'), v.get('D')], [{ value: 'single # not a comment' }, { value: 'plain' }, { value: 'a#b' }, { value: 'esc "q"' }]);
  assert.deepEqual(v.get('HOOKS'), { value: 'base udev autodetect block encrypt filesystems' });
});

test('a GRUB_CMDLINE_LINUX that needs a shell is unsupported, not guessed', async () => {
  const runner = new FakeRunner({
    files: { '/r/etc/default/grub': 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="$(cat /x)"\n' },
  });

  const { boot } = await provider.contribute({ runner, root: '/r' });

  assert.deepEqual(boot!.cmdline, {
    grubLinuxDefault: 'quiet',
    unsupported: { reason: 'GRUB_CMDLINE_LINUX in /etc/default/grub needs a shell to evaluate: "$(cat /x)"' },
  });
});

