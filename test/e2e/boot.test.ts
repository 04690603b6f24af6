// The --boot-disk mode of the test guest (bootDisk): firmware boots a disk image and the
// harness waits for a regex on the serial console. Later tiers use it to prove that a
// rebuilt disk boots; here it is checked on two tiny images built from plain files:
//  - BIOS: a 512-byte MBR whose code writes a line to COM1 (SeaBIOS runs it);
//  - UEFI: a GPT disk whose EFI System Partition holds the guest kernel (an EFI-stub
//    binary) as \EFI\BOOT\BOOTX64.EFI (OVMF finds it without NVRAM entries; we wait for
//    its boot manager's "starting" line);
//  - and a blank disk, which must not match (timeout, exit 124).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { bootDisk, VM_HOME, vmUnavailable } from '../lib/vm.ts';

const skip = vmUnavailable();
const dir = mkdtempSync('/tmp/sysmanifest-boot-');
after(() => rmSync(dir, { recursive: true, force: true }));

/** 16-bit real-mode boot sector: print MSG on COM1 (port 0x3f8), then halt. */
function mbrImage(path: string, msg: string): void {
  const code = Buffer.from([
    0x31, 0xc0, //        xor ax,ax
    0x8e, 0xd8, //        mov ds,ax
    0xbe, 0x16, 0x7c, //  mov si,0x7c16 (msg, right after the code)
    0xba, 0xf8, 0x03, //  mov dx,0x3f8
    0xac, //              next: lodsb
    0x84, 0xc0, //        test al,al
    0x74, 0x03, //        jz halt
    0xee, //              out dx,al
    0xeb, 0xf8, //        jmp next
    0xfa, //              halt: cli
    0xf4, //              hlt
    0xeb, 0xfd, //        jmp hlt
  ]);
  assert.equal(code.length, 0x16);
  const sector = Buffer.alloc(512);
  code.copy(sector, 0);
  Buffer.from(`${msg}\r\n\0`, 'latin1').copy(sector, code.length);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  const disk = Buffer.alloc(1024 * 1024);
  sector.copy(disk, 0);
  writeFileSync(path, disk);
}

function sh(argv: string[]): void {
  execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** GPT disk, one ESP at 1 MiB with \EFI\BOOT\BOOTX64.EFI; built with sfdisk + mtools on files. */
function espImage(path: string, efiBinary: string): void {
  const esp = `${path}.esp`;
  sh(['truncate', '-s', '64M', path]);
  sh(['sh', '-c', `printf 'label: gpt\\nstart=2048, size=120832, type=U, name=esp\\n' | sfdisk -q ${path}`]);
  sh(['mkfs.vfat', '-C', '-F', '16', '-n', 'ESP', esp, String(120832 / 2)]);
  sh(['mmd', '-i', esp, '::/EFI', '::/EFI/BOOT']);
  sh(['mcopy', '-i', esp, efiBinary, '::/EFI/BOOT/BOOTX64.EFI']);
  sh(['dd', `if=${esp}`, `of=${path}`, 'bs=1M', 'seek=1', 'conv=notrunc,sparse', 'status=none']);
  rmSync(esp);
}

test('bootDisk: SeaBIOS boots an MBR disk and the console line is seen', { skip, timeout: 120_000 }, async () => {
  const img = `${dir}/mbr.img`;
  mbrImage(img, 'SMVM-MBR-OK from the boot sector');
  const r = await bootDisk({ image: img, expect: 'SMVM-MBR-OK from the boot sector', timeoutSec: 90 });
  assert.equal(r.exitCode, 0, r.harness);
  assert.equal(r.seen, true);
});

test('bootDisk: a blank disk never shows the line (timeout, exit 124)', { skip, timeout: 120_000 }, async () => {
  const img = `${dir}/blank.img`;
  sh(['truncate', '-s', '8M', img]);
  const r = await bootDisk({ image: img, expect: 'SMVM-MBR-OK', timeoutSec: 15 });
  assert.equal(r.exitCode, 124, r.harness);
  assert.equal(r.seen, false);
  // SeaBIOS's own verdict, from its debug port log that the harness prints on failure
  assert.match(r.harness, /No bootable device/);
});

test('bootDisk --uefi: OVMF starts \\EFI\\BOOT\\BOOTX64.EFI from the disk\'s ESP', {
  skip: skip ?? (existsSync('/usr/share/OVMF/OVMF_CODE_4M.fd') ? undefined : 'ovmf not installed: run test/vm/setup.sh'),
  timeout: 240_000,
}, async () => {
  const img = `${dir}/esp.img`;
  espImage(img, `${VM_HOME}/kernel/vmlinuz`);
  // OVMF's boot manager says so on the serial console once LoadImage has accepted the
  // binary (the kernel itself then stays silent: it gets no console= argument this way).
  const r = await bootDisk({ image: img, uefi: true, expect: 'BdsDxe: starting Boot[0-9A-F]+ "UEFI Misc Device"', timeoutSec: 120 });
  assert.equal(r.exitCode, 0, r.harness);
});
