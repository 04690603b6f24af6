// Partition tables round-trip through the real CLI: a layout built with the raw tools on loop
// disk A → `sysmanifest capture` → `sysmanifest rebuild --stage storage` onto a BLANK disk B of
// the same size and onto a LARGER disk C → the tools' own view of B (sfdisk --json, blkid -p
// PART_ENTRY_*) equals A's except for the device node names, and `sysmanifest verify` exits 0.
// On C the captured geometry is kept by default; with --grow last the last partition ends at
// the new last usable sector. Also: a rebuild killed (SIGKILL, whole process group) while the
// table is being written, then `--resume`d, ends exactly like the uninterrupted one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stepStates, type JournalEntry } from '../../src/core/plan/journal.ts';
import { parseBlkidExport } from '../../src/providers/storage/inventory/parse.ts';
import { cli, REPO_ROOT } from '../lib/cli.ts';
import { integrationUnavailable, LoopLab, sh, type LoopDisk } from '../lib/loop.ts';

const MiB = 1024 * 1024;
const skip = integrationUnavailable();

// GPT: disk GUID, type GUIDs, PARTUUIDs, names (one with a quote and a backslash), attribute
// bits 0, 1, 2, 48, 60 and 63, and a gap in the numbering (1, 2, 3, 5).
const GPT_SCRIPT = (dev: string): string => `label: gpt
label-id: 7C1B7E52-2D1A-4F0E-9C3B-5B2A4D6E8F10

start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, uuid=C0C0C0C0-0000-4000-8000-000000000001, name="bios boot", attrs="RequiredPartition GUID:60,63"
start=4096, size=16384, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=C0C0C0C0-0000-4000-8000-000000000002, name="EFI \\x22System\\x22 \\x5c", attrs="LegacyBIOSBootable"
start=20480, size=40960, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=C0C0C0C0-0000-4000-8000-000000000003, name="root", attrs="NoBlockIOProtocol GUID:48"
${dev}p5 : start=61440, size=20480, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, uuid=C0C0C0C0-0000-4000-8000-000000000005, name="swap"
`;

// MBR: disk id, a bootable primary, an extended partition (type 5), a primary after it, and
// three logical partitions with a free gap between the first two.
const MBR_SCRIPT = `label: dos
label-id: 0x1badcafe

start=2048, size=16384, type=83, bootable
start=18432, size=90112, type=5
start=108544, size=8192, type=82
start=20480, size=16384, type=83
start=40960, size=18432, type=8e
start=61440, size=20480, type=fd
`;

// GPT on 4096-byte logical sectors.
const GPT4K_SCRIPT = `label: gpt
label-id: 2E3F4A5B-6C7D-4E8F-9A0B-1C2D3E4F5A6B

start=256, size=2048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=D4D4D4D4-0000-4000-8000-000000000001, name="esp", attrs="RequiredPartition"
start=2304, size=8192, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=D4D4D4D4-0000-4000-8000-000000000002, name="data", attrs="GUID:63"
`;

// GPT with room for 32 entries instead of 128 (the backup table takes 8 sectors, not 32).
const GPT32_SCRIPT = (): string => `label: gpt
label-id: 5E6F7A8B-9C0D-4E1F-8A2B-3C4D5E6F7A8B
table-length: 32

start=2048, size=16384, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=E5E5E5E5-0000-4000-8000-000000000001, name="short"
start=18432, size=40960, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=E5E5E5E5-0000-4000-8000-000000000002
`;

interface SfdiskTable {
  label: string;
  id: string;
  device: string;
  firstlba?: number;
  lastlba?: number;
  'table-length'?: string;
  sectorsize: number;
  partitions: { node: string; start: number; size: number; type: string; uuid?: string; name?: string; attrs?: string; bootable?: boolean }[];
}

/** sfdisk --json with the device node names replaced by DEV (the only thing allowed to differ). */
function table(disk: LoopDisk): SfdiskTable {
  const t = (JSON.parse(sh(['sfdisk', '--json', disk.path])) as { partitiontable: SfdiskTable }).partitiontable;
  const rename = (s: string): string => s.replace(disk.path, 'DEV');
  return { ...t, device: rename(t.device), partitions: t.partitions.map((p) => ({ ...p, node: rename(p.node) })) };
}

/** blkid -p PART_ENTRY_* of every partition (PART_ENTRY_DISK is the disk's major:minor: dropped). */
function partEntries(disk: LoopDisk): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const p of table(disk).partitions) {
    const node = p.node.replace('DEV', disk.path);
    const probe = parseBlkidExport(sh(['blkid', '-p', '-o', 'export', node]));
    out[p.node] = Object.fromEntries(Object.entries(probe).filter(([k]) => k.startsWith('PART_ENTRY_') && k !== 'PART_ENTRY_DISK'));
  }
  return out;
}

interface Source {
  lab: LoopLab;
  /** The tools' views of A, taken before A was detached. */
  a: { table: SfdiskTable; partEntries: Record<string, Record<string, string>> };
  manifest: string;
  tmp: string;
}

/**
 * Loop disk A with a layout made by the raw tools, captured by the real CLI, then detached:
 * the rebuilds recreate A's identities (disk GUID, PARTUUIDs), which preflight refuses while
 * A is still attached (a disk migration with the old disk connected).
 */
function source(script: (dev: string) => string, size: number, sectorSize?: number): Source {
  const lab = new LoopLab('sysmanifest-rt-');
  const tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-rt-state-'));
  try {
    const a = lab.disk(size, { name: 'a', ...(sectorSize ? { sectorSize } : {}) });
    sh(['sfdisk', '-q', '--no-reread', '--no-tell-kernel', a.path], script(a.path));
    lab.rescan(a);
    const repo = join(tmp, 'repo');
    const cap = cli(['capture', '--disk', a.path, '--repo', repo, '--host', 't']);
    assert.equal(cap.status, 0, cap.stderr);
    const views = { table: table(a), partEntries: partEntries(a) };
    lab.detach(a);
    return { lab, a: views, manifest: join(repo, 'hosts/t/manifest.yaml'), tmp };
  } catch (e) {
    lab.cleanup();
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

function rebuild(s: Source, target: LoopDisk, name: string, ...extra: string[]) {
  return cli(['rebuild', s.manifest, '--stage', 'storage', '--map', `disk0=${target.path}`, '--yes', '--state', join(s.tmp, `state-${name}`), '--target', join(s.tmp, 'mnt'), ...extra]);
}

function assertSameAsSource(s: Source, target: LoopDisk): void {
  assert.deepEqual(table(target), s.a.table);
  assert.deepEqual(partEntries(target), s.a.partEntries);
  const v = cli(['verify', s.manifest, '--map', `disk0=${target.path}`]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.equal(v.stdout, `the disks match the manifest (disk0=${target.path})\n`);
}

function roundTrip(script: (dev: string) => string, sectorSize: number | undefined, expectGrown: (grown: SfdiskTable, a: SfdiskTable) => void): void {
  const s = source(script, 64 * MiB, sectorSize);
  const ss = sectorSize ? { sectorSize } : {};
  try {
    // Same size, blank.
    const b = s.lab.disk(64 * MiB, { name: 'b', ...ss });
    const r = rebuild(s, b, 'b');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ran 2 step\(s\), skipped 0; verify: the disks match the manifest/);
    assertSameAsSource(s, b);
    // Every partition node is there (partx after a numbering gap included).
    for (const p of table(b).partitions) assert.ok(existsSync(p.node.replace('DEV', b.path)), p.node);
    // B now carries A's identities: it goes before the next rebuild, as A did.
    s.lab.detach(b);

    // Larger, default: the captured geometry, last usable LBA included.
    const c = s.lab.disk(96 * MiB, { name: 'c', ...ss });
    const rc = rebuild(s, c, 'c');
    assert.equal(rc.status, 0, rc.stdout + rc.stderr);
    assertSameAsSource(s, c);

    // Larger with --grow last, onto the same disk C, handed over with --wipe.
    const refused = rebuild(s, c, 'c-nowipe', '--grow', 'last');
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, /is not blank \(.*partition table.*\); pass --wipe disk0/);
    const g = rebuild(s, c, 'c-grow', '--grow', 'last', '--wipe', 'disk0');
    assert.equal(g.status, 0, g.stdout + g.stderr);
    assert.match(g.stdout, /\[DESTROY\] .*partition table on .* \(disk0\): \d+ partitions, disk0p\d+ grown to the end of the disk; erases what the disk holds/);
    expectGrown(table(c), s.a.table);
    const v = cli(['verify', s.manifest, '--map', `disk0=${c.path}`, '--grow', 'last']);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    const strict = cli(['verify', s.manifest, '--map', `disk0=${c.path}`]);
    assert.equal(strict.status, 1, 'without --grow, verify reports the grown partition');
    assert.match(strict.stdout, /\.size: expected \d+, found \d+/);
  } finally {
    s.lab.cleanup();
    rmSync(s.tmp, { recursive: true, force: true });
  }
}

/** Expected table of C after --grow last: A's, with the last partition ending at `end`. */
function grownFrom(a: SfdiskTable, last: string, end: number, lastlba?: number): SfdiskTable {
  return {
    ...a,
    ...(lastlba !== undefined ? { lastlba } : {}),
    partitions: a.partitions.map((p) => (p.node === last ? { ...p, size: end - p.start + 1 } : p)),
  };
}

test('table round-trip: GPT with names, attribute bits 0/1/2/48/60/63 and a numbering gap; larger disk kept, then grown', { skip }, () => {
  roundTrip(GPT_SCRIPT, undefined, (grown, a) => {
    // 96 MiB = 196608 sectors; the backup GPT takes 33 of them after the last usable LBA.
    assert.equal(a.lastlba, 131072 - 34);
    assert.deepEqual(grown, grownFrom(a, 'DEVp5', 196608 - 34, 196608 - 34));
  });
});

test('table round-trip: MBR with disk id, boot flag, extended and three logical partitions; --grow last grows the last primary', { skip }, () => {
  roundTrip(() => MBR_SCRIPT, undefined, (grown, a) => {
    assert.deepEqual(a.partitions.map((p) => p.node), ['DEVp1', 'DEVp2', 'DEVp3', 'DEVp5', 'DEVp6', 'DEVp7']);
    assert.equal(a.partitions[0]!.bootable, true);
    assert.deepEqual(grown, grownFrom(a, 'DEVp3', 196608 - 1));
  });
});

test('table round-trip: GPT on 4096-byte sectors', { skip }, () => {
  roundTrip(() => GPT4K_SCRIPT, 4096, (grown, a) => {
    assert.equal(a.sectorsize, 4096);
    // 96 MiB = 24576 sectors of 4 KiB; the backup GPT takes 1 + 4 of them.
    assert.deepEqual(grown, grownFrom(a, 'DEVp2', 24576 - 6, 24576 - 6));
  });
});

test('table round-trip: GPT with a 32-entry table (table-length) keeps it, grown too', { skip }, () => {
  roundTrip(GPT32_SCRIPT, undefined, (grown, a) => {
    assert.equal(a['table-length'], '32');
    assert.equal(a.lastlba, 131072 - 10);
    assert.deepEqual(grown, grownFrom(a, 'DEVp2', 196608 - 10, 196608 - 10));
  });
});

function readEntries(file: string): JournalEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.endsWith('}'))
    .map((l) => JSON.parse(l) as JournalEntry);
}

/**
 * Starts the real `rebuild` in its own process group, polls its journal, and SIGKILLs the
 * whole group (node and the sfdisk it runs) as soon as `when` holds. Returns the journal.
 */
async function rebuildKilledWhen(args: readonly string[], journal: string, when: (e: JournalEntry[]) => boolean): Promise<JournalEntry[]> {
  const child = spawn(process.execPath, [`${REPO_ROOT}src/cli/main.ts`, ...args], { detached: true, stdio: 'ignore' });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let running = true;
  void exited.then(() => (running = false));
  const deadline = Date.now() + 60_000;
  while (running && Date.now() < deadline) {
    if (when(readEntries(journal))) {
      process.kill(-child.pid!, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const end = await exited;
  assert.equal(end.signal, 'SIGKILL', `the rebuild was to be killed, it ended with ${JSON.stringify(end)}`);
  return readEntries(journal);
}

test('table rebuild killed (SIGKILL) while sfdisk writes, then --resume: ends identical to the uninterrupted rebuild', { skip }, async () => {
  const s = source(GPT_SCRIPT, 64 * MiB);
  try {
    const b = s.lab.disk(64 * MiB, { name: 'b' });
    const r = rebuild(s, b, 'b');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const bViews = { table: table(b), partEntries: partEntries(b) };
    s.lab.detach(b);

    const d = s.lab.disk(64 * MiB, { name: 'd' });
    const state = join(s.tmp, 'state-d');
    const args = ['rebuild', s.manifest, '--stage', 'storage', '--map', `disk0=${d.path}`, '--yes', '--state', state, '--target', join(s.tmp, 'mnt')];
    const journal = join(state, 'journal.jsonl');
    const atKill = await rebuildKilledWhen(args, journal, (e) => e.some((x) => x.step === 'sfdisk:disk0' && x.event === 'start'));
    // Killed after the table step started and before it finished.
    assert.deepEqual([...stepStates(atKill)], [['sfdisk:disk0', 'start']]);

    // Without --resume the interrupted run is not silently started over.
    const again = cli(args);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /an earlier rebuild in .* did not finish/);

    const resumed = cli([...args, '--resume']);
    assert.equal(resumed.status, 0, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout, /ran 2 step\(s\), skipped 0; verify: the disks match the manifest/);
    assert.deepEqual(table(d), bViews.table);
    assert.deepEqual(partEntries(d), bViews.partEntries);
    assertSameAsSource(s, d);
    assert.equal(existsSync(journal), false, 'a rebuild that verified clean removes its journal');
  } finally {
    s.lab.cleanup();
    rmSync(s.tmp, { recursive: true, force: true });
  }
});
