import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import type { CommandResult, MutatingRunner } from '../../core/runner/types.ts';
import { efiEntries, parseEfiEntriesSpec } from './efi-entries.ts';

// NVRAM as efibootmgr shows it, starting from the real `efibootmgr -v` of the OVMF test guest
// (providers/system/boot/__fixtures__/efibootmgr-v.txt); -c, -b N -B and -o change it as
// efibootmgr does (a new entry takes the lowest free number and goes first in BootOrder).
class Nvram {
  entries = new Map<string, string>();
  order: string[] = [];
  calls: string[][] = [];
  constructor(text: string) {
    for (const l of text.split('\n')) {
      const e = /^Boot([0-9A-F]{4})([* ] .*)$/.exec(l);
      if (e) this.entries.set(e[1]!, e[2]!);
      const o = /^BootOrder: (.*)$/.exec(l);
      if (o) this.order = o[1]!.split(',');
    }
  }
  show(): string {
    return [`BootCurrent: 0000`, `Timeout: 0 seconds`, `BootOrder: ${this.order.join(',')}`, ...[...this.entries].sort().map(([n, rest]) => `Boot${n}${rest}`), ''].join('\n');
  }
  runner(): MutatingRunner {
    const mutate = async (argv: readonly string[]): Promise<CommandResult> => {
      this.calls.push([...argv]);
      const a = argv.slice(1).filter((x) => x !== '-q');
      const arg = (f: string): string => a[a.indexOf(f) + 1]!;
      if (a.join(' ') === '-v') return { argv, exitCode: 0, stdout: this.show(), stderr: '' };
      if (a[0] === '-c') {
        let n = 0;
        while (this.entries.has(n.toString(16).toUpperCase().padStart(4, '0'))) n++;
        const num = n.toString(16).toUpperCase().padStart(4, '0');
        const uuid = { '/dev/vdb': 'aaaaaaaa-0000-4000-8000-000000000001', '/dev/vdc': 'fa298230-048c-4f45-b2fa-91c40fdbf699' }[arg('-d')]!;
        this.entries.set(num, `* ${arg('-L')}\tHD(${arg('-p')},GPT,${uuid},0x800,0x10000)/File(${arg('-l')})`);
        this.order = [num, ...this.order];
      } else if (a[0] === '-b' && a[2] === '-B') {
        this.entries.delete(a[1]!);
        this.order = this.order.filter((x) => x !== a[1]);
      } else if (a[0] === '-o') this.order = a[1]!.split(',');
      else throw new Error(`unexpected efibootmgr ${a.join(' ')}`);
      return { argv, exitCode: 0, stdout: '', stderr: '' };
    };
    return { mode: 'mutating', mutate, run: mutate } as unknown as MutatingRunner;
  }
}
const FIXTURE = readFileSync(new URL('../../providers/system/boot/__fixtures__/efibootmgr-v.txt', import.meta.url), 'utf8');
const efivars = mkdtempSync(`${tmpdir()}/efivars-`); // stands for /sys/firmware/efi/efivars: present
const NEW = { label: 'debian', file: '\\EFI\\debian\\grubx64.efi', disk: '/dev/vdb', part: 1, partUuid: 'aaaaaaaa-0000-4000-8000-000000000001' };

test('efi-entries: created once; a rerun keeps it and creates nothing; it goes first in BootOrder', async () => {
  const nv = new Nvram(FIXTURE);
  const first = await efiEntries(nv.runner(), { entries: [NEW] }, efivars);
  assert.deepEqual(first, { kept: [], created: ['0003'], removed: [], bootOrder: ['0003', '0002', '0001', '0000'] });
  const again = await efiEntries(nv.runner(), { entries: [NEW] }, efivars);
  assert.deepEqual(again, { kept: ['0003'], created: [], removed: [], bootOrder: ['0003', '0002', '0001', '0000'] });
  assert.equal([...nv.entries.values()].filter((e) => e.includes('grubx64.efi')).length, 1, 'one entry, not two');
  assert.equal(nv.calls.filter((c) => c.includes('-c')).length, 1);
});

test('efi-entries: an existing entry (same label, partition and loader; case of the path aside) is kept; its copies are deleted; captured order', async () => {
  const nv = new Nvram(FIXTURE);
  nv.entries.set('0004', '* debian\tHD(1,GPT,fa298230-048c-4f45-b2fa-91c40fdbf699,0x800,0x10000)/File(\\EFI\\DEBIAN\\SHIMX64.EFI)');
  nv.order.push('0004');
  const shim = { label: 'debian', file: '\\EFI\\debian\\shimx64.efi', disk: '/dev/vdc', part: 1, partUuid: 'fa298230-048c-4f45-b2fa-91c40fdbf699' };
  const sdboot = { label: 'Linux Boot Manager', file: '\\EFI\\systemd\\systemd-bootx64.efi', disk: '/dev/vdc', part: 1, partUuid: shim.partUuid };
  const r = await efiEntries(nv.runner(), { entries: [sdboot, shim] }, efivars);
  assert.deepEqual(r, { kept: ['0002', '0001'], created: [], removed: ['0004'], bootOrder: ['0002', '0001', '0000'] });
  assert.equal(nv.entries.has('0004'), false);
});

test('efi-entries: a live system booted by BIOS writes nothing and says why', async () => {
  const nv = new Nvram(FIXTURE);
  const r = await efiEntries(nv.runner(), { entries: [NEW] }, '/nonexistent/efivars');
  assert.match(r.skipped ?? '', /not booted in UEFI mode/);
  assert.deepEqual(nv.calls, []);
});

test('efi-entries: stdin that is not the boot stage\'s JSON is refused (labels with newlines, paths that are not \\EFI…, devices outside /dev)', () => {
  assert.deepEqual(parseEfiEntriesSpec(JSON.stringify({ entries: [NEW] })).entries, [NEW]);
  for (const bad of [{ ...NEW, label: 'a\nb' }, { ...NEW, file: 'EFI/x' }, { ...NEW, disk: 'vdb' }, { ...NEW, part: 0 }, { ...NEW, partUuid: 'x' }]) {
    assert.throws(() => parseEfiEntriesSpec(JSON.stringify({ entries: [bad] })), /not the JSON the boot stage writes/);
  }
  assert.throws(() => parseEfiEntriesSpec('{'), /not the JSON/);
});

test('efi-entries: an entry whose loader is not on the ESP is not made, and is named', async () => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const esp = mkdtempSync(`${tmpdir()}/esp-`);
  mkdirSync(`${esp}/EFI/debian`, { recursive: true });
  writeFileSync(`${esp}/EFI/debian/grubx64.efi`, '');
  const nv = new Nvram(FIXTURE);
  const shim = { ...NEW, label: 'debian shim', file: '\\EFI\\debian\\shimx64.efi' };
  const r = await efiEntries(nv.runner(), { entries: [shim, NEW], espDir: esp }, efivars);
  assert.deepEqual(r.created, ['0003']);
  assert.deepEqual(r.missingLoaders, ['"debian shim" \\EFI\\debian\\shimx64.efi']);
});
