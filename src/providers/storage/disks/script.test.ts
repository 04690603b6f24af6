import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUserError } from '../../../core/errors.ts';
import type { Disk, Partition } from '../../../core/manifest/types.gen.ts';
import { sfdiskScript } from './script.ts';

const LINUX = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
const gptDisk = (p: Partial<Partition> = {}, table: Partial<NonNullable<Disk['table']>> = {}): Disk => ({
  id: 'disk0',
  match: { sizeBytes: 64 << 20 },
  logicalSectorSize: 512,
  physicalSectorSize: 512,
  table: { type: 'gpt', id: '6B0A9C1E-2D3F-4A5B-8C7D-9E0F1A2B3C4D', firstLba: 2048, lastLba: 131038, ...table },
  partitions: [
    { id: 'disk0p1', number: 1, start: 2048, size: 2048, type: LINUX, uuid: '11111111-2222-4333-8444-555555555501', name: 'one' },
    { id: 'disk0p2', number: 2, start: 4096, size: 2048, type: LINUX, ...p } as Partition,
  ],
});
const mbrDisk = (p: Partial<Partition> = {}, id = '0x5eed1234'): Disk => ({
  id: 'disk0',
  match: { sizeBytes: 64 << 20 },
  logicalSectorSize: 512,
  physicalSectorSize: 512,
  table: { type: 'dos', id },
  partitions: [{ id: 'disk0p1', number: 1, start: 2048, size: 2048, type: '83', ...p } as Partition],
});

function refusal(disk: Disk): string {
  try {
    sfdiskScript(disk, '/dev/sdb', 'storage.disks[0]');
  } catch (e) {
    assert.ok(isUserError(e), String(e));
    assert.equal(e.code, 'REFUSED');
    return e.message;
  }
  assert.fail('expected the value to be refused');
}

// Attacks on each field that is written into the script unescaped: a line break that starts a
// partition line of its own, a comma or blank that starts another key, a quote that closes
// the quoted string, NUL, ESC, and values far too long.
const EXTRA_LINE = '\n/dev/sdb9 : start=8192, size=2048, type=L';
const HOSTILE: readonly [string, Disk, RegExp][] = [
  ['GPT type + newline', gptDisk({ type: LINUX + EXTRA_LINE }), /^storage\.disks\[0\]\.partitions\[1\]\.type: "0FC63DAF-.*\\n\/dev\/sdb9 : start=8192.*… is not a GPT partition type GUID/],
  ['GPT type + comma', gptDisk({ type: `${LINUX}, uuid=11111111-2222-4333-8444-555555555509` }), /partitions\[1\]\.type: .* is not a GPT partition type GUID/],
  ['GPT type as an sfdisk alias (never captured)', gptDisk({ type: 'L' }), /partitions\[1\]\.type: "L" is not a GPT partition type GUID/],
  ['GPT type + CR', gptDisk({ type: `${LINUX}\r` }), /partitions\[1\]\.type: "0FC63DAF-8483-4772-8E79-3D69D8477DE4\\r" is not/],
  ['MBR type + newline', mbrDisk({ type: `83${EXTRA_LINE}` }), /^storage\.disks\[0\]\.partitions\[0\]\.type: .* is not an MBR partition type/],
  ['MBR type + bootable', mbrDisk({ type: '83, bootable' }), /partitions\[0\]\.type: "83, bootable" is not an MBR partition type/],
  ['MBR type of two bytes', mbrDisk({ type: '0x100' }), /is not an MBR partition type/],
  ['PARTUUID + newline', gptDisk({ uuid: `11111111-2222-4333-8444-555555555502${EXTRA_LINE}` }), /partitions\[1\]\.uuid: .* is not a partition GUID/],
  ['PARTUUID + quote and =', gptDisk({ uuid: '11111111-2222-4333-8444-55555555550"=' }), /partitions\[1\]\.uuid: "11111111-2222-4333-8444-55555555550\\"=" is not a partition GUID/],
  ['PARTUUID + ESC', gptDisk({ uuid: '\u001b[2J11111111-2222-4333-8444-555555555502' }), /partitions\[1\]\.uuid: "\\u001b\[2J1111.*" is not a partition GUID/],
  ['attrs closing the quote', gptDisk({ attrs: `RequiredPartition"${EXTRA_LINE}` }), /partitions\[1\]\.attrs: .* is not a list of GPT attributes/],
  ['attrs with a bit outside 48–63', gptDisk({ attrs: 'GUID:47' }), /partitions\[1\]\.attrs: "GUID:47" is not a list of GPT attributes/],
  ['attrs with an unknown word', gptDisk({ attrs: 'RequiredPartition Hidden' }), /is not a list of GPT attributes/],
  ['name with NUL', gptDisk({ name: 'root\0/dev/sdb9' }), /partitions\[1\]\.name: "root\\u0000\/dev\/sdb9" holds a NUL character/],
  ['name of 37 characters', gptDisk({ name: 'x'.repeat(37) }), /partitions\[1\]\.name: .* is 37 UTF-16 code units long; a GPT name holds 36/],
  ['name of 100,000 characters', gptDisk({ name: 'y'.repeat(100_000) }), /is 100000 UTF-16 code units long/],
  ['name above U+FFFF', gptDisk({ name: 'boot 🥾' }), /holds a character above U\+FFFF/],
  ['name with a lone surrogate', gptDisk({ name: 'a\ud800b' }), /holds a lone UTF-16 surrogate/],
  ['GPT disk GUID + newline', gptDisk({}, { id: `6B0A9C1E-2D3F-4A5B-8C7D-9E0F1A2B3C4D\nlabel: dos` }), /^storage\.disks\[0\]\.table\.id: .* is not a GPT disk GUID/],
  ['MBR disk id + newline', mbrDisk({}, '0x5eed1234\nfirst-lba: 34'), /table\.id: .* is not an MBR disk identifier/],
  ['MBR disk id without 0x', mbrDisk({}, '5eed1234'), /table\.id: "5eed1234" is not an MBR disk identifier/],
  ['table type + newline', gptDisk({}, { type: 'gpt\nlabel-id: 0' as 'gpt' }), /^storage\.disks\[0\]\.table\.type: "gpt\\nlabel-id: 0" is not gpt or dos/],
  ['start of 1e21', gptDisk({ start: 1e21 }), /partitions\[1\]\.start: 1e\+21 is not an integer ≥ 0/],
  ['size NaN', gptDisk({ size: Number.NaN }), /partitions\[1\]\.size: null is not an integer ≥ 1/],
  ['size as text with a newline', gptDisk({ size: '2048\n/dev/sdb9 : start=1' as unknown as number }), /partitions\[1\]\.size: "2048\\n\/dev\/sdb9 : start=1" is not an integer/],
  ['number 0', gptDisk({ number: 0 }), /partitions\[1\]\.number: 0 is not an integer ≥ 1/],
  ['lastLba fractional', gptDisk({}, { lastLba: 131038.5 }), /table\.lastLba: 131038\.5 is not an integer/],
  ['sector size 513', { ...gptDisk(), logicalSectorSize: 513 }, /logicalSectorSize: 513 is not 512, 1024, 2048 or 4096/],
];

for (const [name, disk, message] of HOSTILE) {
  test(`sfdisk script refuses a hostile value: ${name}`, () => {
    assert.match(refusal(disk), message);
  });
}

test('the message names the field and shows the value with control characters escaped, never raw', () => {
  const m = refusal(gptDisk({ uuid: '\u001b]0;owned\u0007' }));
  assert.doesNotMatch(m, /[\u0000-\u001f]/);
  assert.match(m, /refusing to write it into an sfdisk script$/);
});

test('unusual but legitimate names are quoted into one line each: spaces, quotes, commas, =, backslash, tab, ESC, UTF-8', () => {
  const names = ['EFI System', 'say "hi", ok', 'a=b; c', 'back\\slash', 'tab\there', 'esc\u001b[0m', 'Ünïcødé 日本語', 'x'.repeat(36), 'é'.repeat(36)];
  const disk: Disk = { ...gptDisk(), partitions: names.map((n, i) => ({ id: `disk0p${i + 1}`, number: i + 1, start: 2048 * (i + 1), size: 2048, type: LINUX, name: n })) };
  const script = sfdiskScript(disk, '/dev/sdb');
  const lines = script.split('\n');
  assert.equal(lines.length, 6 + 1 + names.length + 1);
  const parts = lines.slice(7, -1);
  assert.deepEqual(parts.map((l) => /^\/dev\/sdb(\d+) : /.exec(l)?.[1]), names.map((_, i) => String(i + 1)));
  assert.equal(parts[1], `/dev/sdb2 : start=4096, size=2048, type=${LINUX}, name="say \\x22hi\\x22, ok"`);
  assert.equal(parts[3], `/dev/sdb4 : start=8192, size=2048, type=${LINUX}, name="back\\x5cslash"`);
  assert.equal(parts[5], `/dev/sdb6 : start=12288, size=2048, type=${LINUX}, name="esc\\x1b[0m"`);
  assert.equal(parts[6], `/dev/sdb7 : start=14336, size=2048, type=${LINUX}, name="Ünïcødé 日本語"`);
  // Inside the quotes only \xHH escapes and no '"': libfdisk's tokenizer keeps it one token.
  for (const l of parts) assert.equal((l.match(/"/g) ?? []).length, 2, l);
});

test('what capture writes passes unchanged: lower-case GUIDs, MBR types with and without 0x, every attribute form', () => {
  const gpt = sfdiskScript(gptDisk({ type: LINUX.toLowerCase(), uuid: 'c0c0c0c0-0000-4000-8000-000000000002', attrs: 'RequiredPartition NoBlockIOProtocol LegacyBIOSBootable GUID:48,60,62,63' }), '/dev/sdb');
  assert.match(gpt, /type=0fc63daf-8483-4772-8e79-3d69d8477de4, uuid=c0c0c0c0-0000-4000-8000-000000000002, attrs="RequiredPartition NoBlockIOProtocol LegacyBIOSBootable GUID:48,60,62,63"\n$/);
  assert.match(sfdiskScript(mbrDisk({ type: 'ef', bootable: true }), '/dev/sdb'), /\n\/dev\/sdb1 : start=2048, size=2048, type=ef, bootable\n$/);
  assert.match(sfdiskScript(mbrDisk({ type: '0x5' }), '/dev/sdb'), /type=0x5\n$/);
});
