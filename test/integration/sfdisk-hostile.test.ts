// The sfdisk script renderer against real sfdisk on loop devices (root only), issue 11 class 3.
// The planner is called directly with manifests whose values were crafted as attacks, past
// the schema: it must refuse them (and the same value written the naive way really does
// create an extra partition, which is what happened in a rebuild). Values that are legitimate
// but unusual — names with spaces, quotes, commas, '=', backslashes, control characters,
// UTF-8, at the 36-character limit — go through the rendered script into a real table, and
// `sfdisk --json` must show exactly the partitions intended: no extra one, names exact.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { isUserError } from '../../src/core/errors.ts';
import type { Disk, Manifest, Partition } from '../../src/core/manifest/types.gen.ts';
import { buildPlanContext } from '../../src/core/plan/context.ts';
import { planDisks } from '../../src/providers/storage/disks/plan.ts';
import { integrationUnavailable, LoopLab, sh } from '../lib/loop.ts';

const MiB = 1024 * 1024;
const skip = integrationUnavailable();
const LINUX = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
const ESP = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';

const labs: LoopLab[] = [];
after(() => {
  for (const l of labs) l.cleanup();
});

interface SfdiskPart {
  node: string;
  start: number;
  size: number;
  type: string;
  uuid?: string;
  name?: string;
  attrs?: string;
}
const partitionsOf = (dev: string): SfdiskPart[] => (JSON.parse(sh(['sfdisk', '--json', dev])) as { partitiontable: { partitions?: SfdiskPart[] } }).partitiontable.partitions ?? [];
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

const gpt = (partitions: Partial<Partition>[], table: Partial<NonNullable<Disk['table']>> = {}): Disk => ({
  id: 'disk0',
  match: { sizeBytes: 64 * MiB },
  logicalSectorSize: 512,
  physicalSectorSize: 512,
  table: { type: 'gpt', id: '5A5A5A5A-1B2C-4D3E-8F40-123456789ABC', ...table },
  partitions: partitions.map((p, i) => ({ id: `disk0p${i + 1}`, number: i + 1, start: 2048 + i * 4096, size: 4096, type: LINUX, ...p }) as Partition),
});
const plan = (disk: Disk, path: string) => planDisks(buildPlanContext({ apiVersion: 'sysmanifest/v1', host: { hostname: 't' }, storage: { disks: [disk] } } as Manifest, { disk0: path }, new Set()));

test('a type with a newline: written naively it makes sfdisk create an extra partition; the planner refuses it', { skip }, () => {
  const lab = new LoopLab('sysmanifest-sfdisk-hostile-');
  labs.push(lab);
  const d = lab.disk(64 * MiB);
  const attack = `${LINUX}\n${d.path}p9 : start=40960, size=2048, type=${ESP}`;
  // The renderer as it was (values interpolated as they are): one partition meant, two made.
  sh(['sfdisk', '-q', '--wipe', 'always', d.path], `label: gpt\nunit: sectors\n\n${d.path}p1 : start=2048, size=4096, type=${attack}\n`);
  assert.deepEqual(partitionsOf(d.path).map((p) => p.node), [`${d.path}p1`, `${d.path}p9`], 'the attack is real');

  // The planner, fed the same manifest value past the schema, renders nothing.
  const blank = lab.disk(64 * MiB);
  const before = sha256(blank.file);
  assert.throws(() => plan(gpt([{ type: attack }]), blank.path), (e) => isUserError(e) && /^storage\.disks\[0\]\.partitions\[0\]\.type: .* is not a GPT partition type GUID/.test(e.message));
  assert.equal(sha256(blank.file), before);
});

test('attacks on every field written into the script are refused by the planner before any step exists', { skip }, () => {
  const path = '/dev/loop99';
  const extra = `\n${path}p9 : start=40960, size=2048, type=L`;
  const attacks: [string, Disk][] = [
    ['uuid', gpt([{ uuid: `AB12CD34-0000-4000-8000-0000000000A1${extra}` }])],
    ['uuid', gpt([{ uuid: 'AB12CD34-0000-4000-8000-0000000000A1, name=evil' }])],
    ['attrs', gpt([{ attrs: `RequiredPartition"${extra}` }])],
    ['name', gpt([{ name: 'nul\0byte' }])],
    ['name', gpt([{ name: 'n'.repeat(4096) }])],
    ['table.id', gpt([{}], { id: `5A5A5A5A-1B2C-4D3E-8F40-123456789ABC${extra}` })],
    ['type', { ...gpt([{}]), table: { type: 'dos', id: '0x12345678' }, partitions: [{ id: 'disk0p1', number: 1, start: 2048, size: 4096, type: `83${extra}` }] }],
    ['start', gpt([{ start: `2048${extra}` as unknown as number }])],
  ];
  for (const [field, disk] of attacks) {
    assert.throws(() => plan(disk, path), (e) => isUserError(e) && e.code === 'REFUSED' && e.message.includes(`.${field}: `) && !/[\n\0]/.test(e.message), field);
  }
});

test('unusual but legitimate names, PARTUUIDs and attributes reach the real table exactly, one partition each', { skip }, () => {
  const lab = new LoopLab('sysmanifest-sfdisk-names-');
  labs.push(lab);
  const d = lab.disk(64 * MiB);
  const wanted: Partial<Partition>[] = [
    { name: 'EFI System', type: ESP, attrs: 'RequiredPartition LegacyBIOSBootable' },
    { name: 'say "hi", then go' },
    { name: 'a=b; c=d' },
    { name: 'back\\slash \\x41 not an escape' },
    { name: 'tab\tand esc\u001b[0m' },
    { name: 'Ünïcødé 日本語 ✓' },
    { name: 'x'.repeat(36), attrs: 'GUID:48,63' },
    { name: 'é'.repeat(36) },
    { name: '", uuid=00000000-0000-4000-8000-0000' },
    { name: '' },
  ].map((p, i) => ({ ...p, uuid: `AB12CD34-0000-4000-8000-0000000000${(i + 1).toString(16).padStart(2, '0').toUpperCase()}` }));
  const [write] = plan(gpt(wanted), d.path);
  assert.equal(write!.id, 'sfdisk:disk0');
  sh(write!.argv, write!.input!.kind === 'text' ? write!.input!.text : assert.fail('text input expected'));
  const got = partitionsOf(d.path);
  assert.equal(got.length, wanted.length, 'no extra partition, none missing');
  got.forEach((p, i) => {
    const w = wanted[i]!;
    assert.equal(p.node, `${d.path}p${i + 1}`);
    assert.equal(p.start, 2048 + i * 4096);
    assert.equal(p.uuid, w.uuid);
    assert.equal(p.type, w.type ?? LINUX);
    // sfdisk --json leaves out an empty name.
    assert.equal(p.name ?? '', w.name, `name of partition ${i + 1}`);
    assert.equal(p.attrs, w.attrs);
  });
  console.log(`sfdisk: ${wanted.length} unusual names written and read back exactly`);
});
