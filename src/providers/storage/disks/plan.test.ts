import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUserError } from '../../../core/errors.ts';
import type { Disk, Manifest } from '../../../core/manifest/types.gen.ts';
import { buildPlanContext } from '../../../core/plan/context.ts';
import { fixture } from '../../../core/runner/fake.ts';
import type { BlockDevice } from '../types.ts';
import { captureDisk } from './capture.ts';
import { gptLastUsableLba, grownDisk, grownManifest, lastPartitionIds, planDisks, sfdiskQuote } from './plan.ts';

const MiB = 1024 * 1024;

/** A manifest disk exactly as capture makes it from a real sfdisk --json fixture. */
function captured(name: string, sectorSize = 512): Disk {
  const dev: BlockDevice = {
    kname: 'loop0', path: '/dev/loop0', kind: 'loop', majMin: '7:0', sizeBytes: 64 * MiB, logicalSectorSize: sectorSize,
    physicalSectorSize: sectorSize, slaves: [], holders: [], removable: false, readOnly: false, probe: {},
  };
  const ident = { kname: 'loop0', path: '/dev/loop0', sizeBytes: 64 * MiB, logicalSectorSize: sectorSize, physicalSectorSize: sectorSize };
  return captureDisk('disk0', ident, dev, { kind: 'table', sfdiskJson: fixture(import.meta.url, `__fixtures__/sfdisk-${name}.json`) });
}

const manifest = (...disks: Disk[]): Manifest => ({ apiVersion: 'sysmanifest/v1', host: { hostname: 't' }, storage: { disks } }) as Manifest;

function plan(disks: Disk[], targets: Record<string, string>, o: { wipe?: string[]; bytes?: Record<string, number>; grow?: string[] } = {}) {
  return planDisks(buildPlanContext(manifest(...disks), targets, new Set(o.wipe ?? []), { ...(o.bytes ? { diskBytes: o.bytes } : {}), grow: new Set(o.grow ?? []) }));
}

function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isUserError(e), String(e));
    return e.message;
  }
  assert.fail('expected a UserError');
}

const GPT_SCRIPT = `label: gpt
label-id: 6B0A9C1E-2D3F-4A5B-8C7D-9E0F1A2B3C4D
unit: sectors
first-lba: 2048
last-lba: 131038
sector-size: 512

/dev/sdb1 : start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, uuid=11111111-2222-4333-8444-555555555501, name="bios boot", attrs="RequiredPartition LegacyBIOSBootable"
/dev/sdb2 : start=4096, size=20480, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=11111111-2222-4333-8444-555555555502, name="EFI System", attrs="GUID:60,63"
/dev/sdb3 : start=24576, size=40960, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=11111111-2222-4333-8444-555555555503, name="root fs", attrs="RequiredPartition NoBlockIOProtocol GUID:48,60,62,63"
/dev/sdb4 : start=69632, size=20480, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, uuid=11111111-2222-4333-8444-555555555504
`;

test('planDisks: GPT (fixture) → sfdisk script with disk GUID, LBAs, PARTUUIDs, names, attrs; then partx with every node', () => {
  const steps = plan([captured('gpt')], { disk0: '/dev/sdb' });
  assert.deepEqual(steps, [
    {
      id: 'sfdisk:disk0',
      title: 'GPT partition table on /dev/sdb (disk0): 4 partitions',
      argv: ['sfdisk', '--wipe', 'always', '--wipe-partitions', 'always', '/dev/sdb'],
      input: { kind: 'text', text: GPT_SCRIPT },
      risk: 'create',
      after: [],
      creates: 'disk0',
    },
    {
      id: 'table:disk0',
      title: 'make the kernel see the partitions of /dev/sdb (disk0)',
      argv: ['partx', '--update', '--nr', '1:4', '/dev/sdb'],
      risk: 'create',
      after: ['sfdisk:disk0'],
      waitFor: ['/dev/sdb1', '/dev/sdb2', '/dev/sdb3', '/dev/sdb4'],
    },
  ]);
});

test('planDisks: a disk handed over with --wipe makes the table step destroy; other disks stay create', () => {
  const other = { ...captured('gpt-4k', 4096), id: 'disk1', partitions: captured('gpt-4k', 4096).partitions!.map((p) => ({ ...p, id: p.id.replace('disk0', 'disk1') })) };
  const steps = plan([captured('gpt'), other], { disk0: '/dev/sdb', disk1: '/dev/nvme0n1' }, { wipe: ['disk0'] });
  assert.deepEqual(steps.map((s) => [s.id, s.risk]), [['sfdisk:disk0', 'destroy'], ['table:disk0', 'create'], ['sfdisk:disk1', 'create'], ['table:disk1', 'create']]);
  assert.equal(steps[0]!.title, 'GPT partition table on /dev/sdb (disk0): 4 partitions; erases what the disk holds');
  assert.deepEqual(steps[0]!.argv, ['sfdisk', '--wipe', 'always', '--wipe-partitions', 'always', '/dev/sdb']);
});

test('planDisks: 4096-byte sectors (fixture) keep their LBAs and say sector-size; nvme-style nodes get "p"', () => {
  const [write, partx] = plan([captured('gpt-4k', 4096)], { disk0: '/dev/nvme0n1' });
  assert.equal(
    write!.input?.kind === 'text' && write!.input.text,
    `label: gpt
label-id: 0D1E2F30-4152-4637-8899-AABBCCDDEEFF
unit: sectors
first-lba: 256
last-lba: 16378
sector-size: 4096

/dev/nvme0n1p1 : start=256, size=2560, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=22222222-3333-4444-8555-666666666601, name="esp4k"
/dev/nvme0n1p2 : start=2816, size=4096, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=22222222-3333-4444-8555-666666666602, name="data4k"
`,
  );
  assert.deepEqual(partx!.waitFor, ['/dev/nvme0n1p1', '/dev/nvme0n1p2']);
});

const DOS_SCRIPT = `label: dos
label-id: 0x5eed1234
unit: sectors
sector-size: 512

/dev/loop7p1 : start=2048, size=20480, type=83, bootable
/dev/loop7p2 : start=22528, size=81920, type=5
/dev/loop7p3 : start=104448, size=8192, type=82
/dev/loop7p5 : start=24576, size=16384, type=83
/dev/loop7p6 : start=43008, size=16384, type=8e
/dev/loop7p7 : start=61440, size=20480, type=fd
`;

test('planDisks: MBR (fixture) with extended and logical partitions, numbers named, logical ones after the extended', () => {
  const steps = plan([captured('dos-logical')], { disk0: '/dev/loop7' });
  assert.equal(steps[0]!.input?.kind === 'text' && steps[0]!.input.text, DOS_SCRIPT);
  assert.equal(steps[0]!.title, 'MBR partition table on /dev/loop7 (disk0): 6 partitions');
  assert.deepEqual(steps[1]!.argv, ['partx', '--update', '--nr', '1:7', '/dev/loop7']);
  assert.deepEqual(steps[1]!.waitFor, ['/dev/loop7p1', '/dev/loop7p2', '/dev/loop7p3', '/dev/loop7p5', '/dev/loop7p6', '/dev/loop7p7']);
});

test('planDisks: a numbering gap keeps its numbers (the node names them); partx covers up to the highest', () => {
  const d = captured('gpt');
  const gap: Disk = { ...d, partitions: d.partitions!.map((p) => (p.number === 4 ? { ...p, id: 'disk0p9', number: 9 } : p)) };
  const steps = plan([gap], { disk0: '/dev/sdb' });
  const text = steps[0]!.input?.kind === 'text' ? steps[0]!.input.text : '';
  assert.match(text, /\n\/dev\/sdb9 : start=69632, size=20480, type=0657FD6D/);
  assert.deepEqual(steps[1]!.argv, ['partx', '--update', '--nr', '1:9', '/dev/sdb']);
  assert.deepEqual(steps[1]!.waitFor, ['/dev/sdb1', '/dev/sdb2', '/dev/sdb3', '/dev/sdb9']);
});

test('planDisks: a disk without table has no step; a table without partitions one step named table:; unsupported is refused', () => {
  const bare: Disk = { id: 'disk0', match: { sizeBytes: 64 * MiB }, logicalSectorSize: 512, physicalSectorSize: 512 };
  assert.deepEqual(plan([bare], { disk0: '/dev/sdb' }), []);
  const empty: Disk = { ...bare, table: { type: 'dos', id: '0x00c0ffee' }, partitions: [] };
  const steps = plan([empty], { disk0: '/dev/sdb' });
  assert.deepEqual(steps.map((s) => [s.id, s.creates, s.input?.kind === 'text' ? s.input.text : '']), [
    ['table:disk0', 'disk0', 'label: dos\nlabel-id: 0x00c0ffee\nunit: sectors\nsector-size: 512\n\n'],
  ]);
  const bad: Disk = { ...bare, id: 'disk1', unsupported: { reason: 'the disk cannot be read: EACCES' } };
  assert.equal(userError(() => plan([bad], { disk1: '/dev/sdc' })), 'disk1: the manifest could not describe this disk at capture (the disk cannot be read: EACCES); it cannot be rebuilt');
});

test('sfdiskQuote: quotes, backslashes and control characters as \\xHH (as sfdisk --dump writes them); UTF-8 as is', () => {
  assert.equal(sfdiskQuote('a "b" \\ c\td é'), '"a \\x22b\\x22 \\x5c c\\x09d é"');
});

test('larger target without --grow: the captured geometry, last-lba included, is kept', () => {
  const steps = plan([captured('gpt')], { disk0: '/dev/sdb' }, { bytes: { disk0: 128 * MiB } });
  assert.equal(steps[0]!.input?.kind === 'text' && steps[0]!.input.text, GPT_SCRIPT);
});

test('--grow: the last GPT partition takes the space up to the new last usable LBA', () => {
  assert.equal(gptLastUsableLba(64 * MiB, 512), 131038, 'what sfdisk --json said of the 64 MiB fixture disk');
  assert.equal(gptLastUsableLba(64 * MiB, 4096), 16378, 'same, 4096-byte sectors');
  assert.equal(gptLastUsableLba(64 * MiB, 512, 32), 131062, 'what sfdisk --json said of a 64 MiB disk with table-length: 32 (__fixtures__/sfdisk-gpt-table32.json)');
  const steps = plan([captured('gpt')], { disk0: '/dev/sdb' }, { bytes: { disk0: 128 * MiB }, grow: ['disk0p4'] });
  const expected = GPT_SCRIPT.replace('last-lba: 131038', 'last-lba: 262110').replace('start=69632, size=20480', `start=69632, size=${262110 - 69632 + 1}`);
  assert.equal(steps[0]!.input?.kind === 'text' && steps[0]!.input.text, expected);
  assert.equal(steps[0]!.title, 'GPT partition table on /dev/sdb (disk0): 4 partitions, disk0p4 grown to the end of the disk');
  assert.deepEqual(lastPartitionIds([captured('gpt')]), ['disk0p4']);
});

test('--grow: a partition that is not the last is refused, naming what follows it', () => {
  const msg = userError(() => plan([captured('gpt')], { disk0: '/dev/sdb' }, { bytes: { disk0: 128 * MiB }, grow: ['disk0p2'] }));
  assert.equal(msg, '--grow disk0p2: only the last partition of a disk can grow, and disk0p3 (sectors 24576–65535), disk0p4 (sectors 69632–90111) follow it on disk0');
});

test('--grow on MBR: last = the primary that starts last; a logical one grows with its extended partition', () => {
  const dos = captured('dos-logical');
  assert.deepEqual(lastPartitionIds([dos]), ['disk0p3']);
  const g = grownDisk(dos, 128 * MiB, new Set(['disk0p3']));
  assert.deepEqual(g.partitions!.map((p) => [p.id, p.size]), [['disk0p1', 20480], ['disk0p2', 81920], ['disk0p3', 262143 - 104448 + 1], ['disk0p5', 16384], ['disk0p6', 16384], ['disk0p7', 20480]]);
  assert.equal(userError(() => grownDisk(dos, 128 * MiB, new Set(['disk0p7']))), '--grow disk0p7: only the last partition of a disk can grow, and disk0p3 (sectors 104448–112639) follows it on disk0');
  // Without the primary after it, the extended partition is last: its last logical grows, and it along.
  const noP3: Disk = { ...dos, partitions: dos.partitions!.filter((p) => p.number !== 3) };
  assert.deepEqual(lastPartitionIds([noP3]), ['disk0p7']);
  const g2 = grownDisk(noP3, 128 * MiB, new Set(['disk0p7']));
  assert.deepEqual(g2.partitions!.map((p) => [p.id, p.start, p.size]), [['disk0p1', 2048, 20480], ['disk0p2', 22528, 262143 - 22528 + 1], ['disk0p5', 24576, 16384], ['disk0p6', 43008, 16384], ['disk0p7', 61440, 262143 - 61440 + 1]]);
  assert.deepEqual(g2.table, dos.table, 'an MBR has no last-lba');
  // The extended partition itself may grow (free space inside it for later).
  assert.deepEqual(grownDisk(noP3, 128 * MiB, new Set(['disk0p2'])).partitions!.map((p) => p.size), [20480, 262143 - 22528 + 1, 16384, 16384, 20480]);
});

test('grownManifest: what verify expects after a grown rebuild; unchanged without --grow', () => {
  const m = manifest(captured('gpt'));
  assert.equal(grownManifest(m, { disk0: 128 * MiB }, new Set()), m);
  const g = grownManifest(m, { disk0: 128 * MiB }, new Set(['disk0p4']));
  assert.deepEqual(g.storage!.disks![0]!.table, { type: 'gpt', id: '6B0A9C1E-2D3F-4A5B-8C7D-9E0F1A2B3C4D', firstLba: 2048, lastLba: 262110 });
  assert.equal(g.storage!.disks![0]!.partitions![3]!.size, 262110 - 69632 + 1);
  assert.equal(m.storage!.disks![0]!.partitions![3]!.size, 20480, 'the input is not mutated');
});
