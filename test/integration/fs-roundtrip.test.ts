// Round trip of every filesystem kind on loop devices (root only): build an ORIGINAL on loop
// A with the raw tools and non-default settings, capture it with the providers (real
// inventory and ids), plan its rebuild onto a BLANK loop B (same size, and larger for some),
// apply the plan with the real mutating runner and a journal, capture B again, and compare:
// (a) the manifest entries (diffValues) and (b) the tools' own views of A and B (dumpe2fs -h,
// xfs_info, btrfs subvolume list / get-default / property / lsattr, blkid -p). The
// filesystem sits directly on the disk, so no partition planner is involved.
// Then a btrfs rebuild is interrupted after each mutating command in turn and resumed with
// the same journal: the end result must be identical.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostMutatingRunner, hostReadOnlyRunner } from '../../src/core/runner/exec.ts';
import type { MutatingRunner } from '../../src/core/runner/types.ts';
import { crashingRunner } from '../lib/crash.ts';
import type { Filesystem, Manifest, Swap } from '../../src/core/manifest/types.gen.ts';
import { diffValues, formatDifference } from '../../src/core/manifest/diff.ts';
import { buildPlanContext } from '../../src/core/plan/context.ts';
import { orderSteps } from '../../src/core/plan/order.ts';
import { applyPlan, type ApplyEvent } from '../../src/core/plan/apply.ts';
import { Journal, readJournal } from '../../src/core/plan/journal.ts';
import { PLAN_VERSION, type Plan } from '../../src/core/plan/types.ts';
import { gatherInventory, stackAbove } from '../../src/providers/storage/inventory/gather.ts';
import { assignIds } from '../../src/providers/storage/ids.ts';
import type { Inventory } from '../../src/providers/storage/types.ts';
import type { StorageProvider } from '../../src/providers/types.ts';
import { provider as ext } from '../../src/providers/filesystems/ext/index.ts';
import { provider as xfs } from '../../src/providers/filesystems/xfs/index.ts';
import { provider as btrfs } from '../../src/providers/filesystems/btrfs/index.ts';
import { provider as vfat } from '../../src/providers/filesystems/vfat/index.ts';
import { provider as swap } from '../../src/providers/storage/swap/index.ts';
import { mountPointFor } from '../../src/providers/filesystems/btrfs/plan.ts';
import { integrationUnavailable, LoopLab, sh, type LoopDisk } from '../lib/loop.ts';

const skip = integrationUnavailable();
const MiB = 1024 * 1024;
const EXT4_UUID = '0b7e5c1a-2f1e-4c8e-9d1a-3e5f7a9b1c2d';
const XFS_UUID = '2c4e6f8a-1b3d-4e5f-8a9b-0c1d2e3f4a5b';
// Not the UUID of filesystems.test.ts: mkfs.btrfs -U refuses a UUID a present device carries.
const BTRFS_UUID = 'c0ffee00-4b1f-4e6a-9c8d-2f1e0a9b8c7d';
const SWAP_UUID = '5f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0';

const labs: LoopLab[] = [];
after(() => {
  if (skip) return;
  const errors: string[] = [];
  // A failed btrfs plan may leave its private mount behind; it would keep the loop device busy.
  try {
    sh(['umount', mountPointFor(BTRFS_UUID)]);
  } catch {
    /* not mounted: the normal case */
  }
  // The plan's private mount point (with its "unmounted" marker) is this test's leftover too.
  rmSync(mountPointFor(BTRFS_UUID), { recursive: true, force: true });
  for (const lab of labs.reverse()) {
    try {
      lab.cleanup();
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length) throw new Error(errors.join('\n'));
});

function newLab(): LoopLab {
  const lab = new LoopLab('sysmanifest-fs-rt-');
  labs.push(lab);
  return lab;
}

/** A detached lab's disks are gone: btrfs must forget them too, or it may look for them. */
function dropLab(lab: LoopLab, btrfsDisks: readonly LoopDisk[] = []): void {
  for (const d of btrfsDisks) sh(['btrfs', 'device', 'scan', '--forget', d.path]);
  lab.cleanup();
  labs.splice(labs.indexOf(lab), 1);
}

/** Other tests may attach or detach loop devices while sysfs is walked: retry a vanished device. */
async function inventory(): Promise<Inventory> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await gatherInventory(hostReadOnlyRunner());
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

interface Captured {
  readonly filesystems: Filesystem[];
  readonly swap: Swap[];
}

/** Capture one bare disk with one provider, exactly as `capture` would (real inventory, ids, scope). */
async function capture(p: StorageProvider, disk: LoopDisk): Promise<Captured> {
  const inv = await inventory();
  const ids = assignIds(inv, [disk.kname]);
  const out = await p.contribute({ runner: hostReadOnlyRunner(), inventory: inv, ids, scope: new Set(stackAbove(inv, disk.kname)) });
  return { filesystems: out.storage?.filesystems ?? [], swap: out.storage?.swap ?? [] };
}

function manifestOf(c: Captured, sectorSize: number): Manifest {
  return {
    apiVersion: 'sysmanifest/v1',
    host: { hostname: 'roundtrip' },
    storage: {
      disks: [{ id: 'disk0', match: { sizeBytes: 0 }, logicalSectorSize: sectorSize, physicalSectorSize: sectorSize }],
      ...(c.filesystems.length ? { filesystems: c.filesystems } : {}),
      ...(c.swap.length ? { swap: c.swap } : {}),
    },
  } as unknown as Manifest;
}

function planFor(p: StorageProvider, manifest: Manifest, target: LoopDisk): Plan {
  const ctx = buildPlanContext(manifest, { disk0: target.path }, new Set());
  return { version: PLAN_VERSION, manifestSha256: 'test', host: 'roundtrip', disks: { disk0: target.path }, wipe: [], steps: orderSteps(p.plan!(ctx)), target: '' };
}

async function rebuild(lab: LoopLab, p: StorageProvider, manifest: Manifest, target: LoopDisk, runner: MutatingRunner = hostMutatingRunner()): Promise<{ ran: number; ms: number; plan: Plan; journal: string; slowest: string }> {
  const plan = planFor(p, manifest, target);
  const journal = join(lab.dir, `journal-${target.kname}.jsonl`);
  const t0 = performance.now();
  let slowest = { id: '', ms: 0 };
  const onEvent = (e: ApplyEvent): void => {
    if (e.type === 'done' && e.ms > slowest.ms) slowest = { id: e.step.id, ms: e.ms };
  };
  const { ran } = await applyPlan(runner, plan, { journal: await Journal.open(journal), secret: async () => assert.fail('no secret expected'), onEvent });
  return { ran, ms: performance.now() - t0, plan, journal, slowest: `${slowest.id} ${slowest.ms} ms` };
}

/** Differences other than those the tools cannot avoid (listed by the caller, by path). */
function differences(expected: unknown, actual: unknown, allowed: RegExp[] = []): string[] {
  return diffValues(expected, actual).map(formatDifference).filter((d) => !allowed.some((re) => re.test(d)));
}

const blkidView = (dev: string, drop: string[] = []): string =>
  sh(['blkid', '-p', '-o', 'export', dev]).split('\n').filter((l) => l && !l.startsWith('DEVNAME=') && !drop.some((k) => l.startsWith(`${k}=`))).sort().join('\n');

/** dumpe2fs -h without the lines that record time, use or free space (they differ by nature). */
const VOLATILE = /^(Filesystem created|Last mount time|Last write time|Mount count|Last checked|Next check after|Free blocks|Free inodes|Lifetime writes|Checksum|Journal checksum|Journal sequence|Journal start|Last mounted on|Filesystem state):/;
const dumpe2fsView = (dev: string): string => sh(['dumpe2fs', '-h', dev]).split('\n').filter((l) => l.includes(':') && !VOLATILE.test(l)).join('\n');
/** xfs_info with the device name (and the padding after it, whose width follows the name) taken out. */
const xfsInfoView = (dev: string): string => sh(['xfs_info', dev]).replace(/^meta-data=\S+\s+/, 'meta-data=DEV ');

interface Case {
  readonly name: string;
  readonly provider: StorageProvider;
  readonly size: number;
  readonly targetSizes: readonly number[];
  readonly sectorSize?: number;
  readonly build: (dev: string) => void;
  /** The tool's own view of a device, compared between original and rebuild. */
  readonly view: (dev: string) => string;
  readonly check?: (c: Captured) => void;
}

const CASES: readonly Case[] = [
  {
    name: 'ext4 with -b 1024 -I 128 -N 3000 -O ^metadata_csum,^64bit -E stride, tune2fs -c/-i/-o/-e',
    provider: ext,
    size: 80 * MiB,
    targetSizes: [80 * MiB, 120 * MiB],
    build: (dev) => {
      sh(['mkfs.ext4', '-q', '-F', '-b', '1024', '-I', '128', '-N', '3000', '-O', '^metadata_csum,^64bit', '-E', 'stride=16,stripe_width=32', '-L', 'lbl', '-U', EXT4_UUID, dev]);
      sh(['tune2fs', '-c', '25', '-i', '2w', '-o', 'acl,user_xattr', '-e', 'remount-ro', '-r', '1000', '-E', 'hash_alg=tea', dev]);
    },
    view: dumpe2fsView,
    check: (c) => {
      const e = c.filesystems[0]!.ext!;
      assert.deepEqual([e.blockSize, e.inodeSize, e.maxMountCount, e.checkInterval, e.errorBehavior, e.reservedBlockCount, e.hashAlgorithm, e.raidStride], [1024, 128, 25, 1209600, 'remount-ro', 1000, 'tea', 16]);
    },
  },
  { name: 'ext2 defaults', provider: ext, size: 32 * MiB, targetSizes: [32 * MiB], build: (dev) => sh(['mkfs.ext2', '-q', '-F', dev]), view: dumpe2fsView },
  { name: 'ext3 with a label', provider: ext, size: 64 * MiB, targetSizes: [64 * MiB], build: (dev) => sh(['mkfs.ext3', '-q', '-F', '-L', 'three', dev]), view: dumpe2fsView },
  {
    name: 'ext4 defaults on a 4096-byte-sector disk',
    provider: ext,
    size: 256 * MiB,
    sectorSize: 4096,
    targetSizes: [256 * MiB],
    build: (dev) => sh(['mkfs.ext4', '-q', '-F', dev]),
    view: dumpe2fsView,
    check: (c) => assert.equal(c.filesystems[0]!.ext!.blockSize, 4096),
  },
  {
    name: 'xfs with non-default geometry (1 KiB blocks, 3 AGs, stripe, 8 KiB dirs, 64 MiB log, no reflink/finobt)',
    provider: xfs,
    size: 512 * MiB,
    targetSizes: [512 * MiB, 768 * MiB],
    build: (dev) => sh(['mkfs.xfs', '-q', '-f', '-b', 'size=1024', '-i', 'size=512', '-d', 'agcount=3,sunit=64,swidth=128', '-n', 'size=8192', '-l', 'size=64m,sunit=16', '-m', `reflink=0,finobt=0,uuid=${XFS_UUID}`, '-L', 'xlbl', dev]),
    view: xfsInfoView,
    check: (c) => assert.deepEqual([c.filesystems[0]!.xfs!.metadata.agcount, c.filesystems[0]!.xfs!.data.sunit], [3, 32]),
  },
  { name: 'xfs defaults on a 4096-byte-sector disk', provider: xfs, size: 512 * MiB, sectorSize: 4096, targetSizes: [512 * MiB], build: (dev) => sh(['mkfs.xfs', '-q', '-f', dev]), view: xfsInfoView },
  {
    name: 'vfat FAT32 with volume id, label and 8 sectors per cluster',
    provider: vfat,
    size: 300 * MiB,
    targetSizes: [300 * MiB, 400 * MiB],
    build: (dev) => sh(['mkfs.vfat', '-F', '32', '-i', 'DEADBEEF', '-n', 'LABEL', '-s', '8', dev]),
    view: (dev) => blkidView(dev),
    check: (c) => assert.equal(c.filesystems[0]!.uuid, 'DEAD-BEEF'),
  },
  { name: 'vfat FAT16', provider: vfat, size: 64 * MiB, targetSizes: [64 * MiB], build: (dev) => sh(['mkfs.vfat', '-F', '16', '-i', '1234abcd', '-n', 'SIXTEEN', dev]), view: (dev) => blkidView(dev) },
  {
    name: 'swap with label and UUID',
    provider: swap,
    size: 48 * MiB,
    targetSizes: [48 * MiB, 64 * MiB],
    build: (dev) => sh(['mkswap', '-L', 'swlbl', '-U', SWAP_UUID, dev]),
    view: (dev) => blkidView(dev),
    check: (c) => assert.deepEqual([c.swap[0]!.uuid, c.swap[0]!.label], [SWAP_UUID, 'swlbl']),
  },
];

for (const c of CASES) {
  test(`round trip: ${c.name}`, { skip }, async () => {
    const lab = newLab();
    const a = lab.disk(c.size, { name: 'orig', ...(c.sectorSize ? { sectorSize: c.sectorSize } : {}) });
    c.build(a.path);
    const original = await capture(c.provider, a);
    assert.equal(original.filesystems.length + original.swap.length, 1, JSON.stringify(original));
    c.check?.(original);
    const manifest = manifestOf(original, c.sectorSize ?? 512);
    for (const size of c.targetSizes) {
      const b = lab.disk(size, { name: `blank-${size}`, ...(c.sectorSize ? { sectorSize: c.sectorSize } : {}) });
      const { ran, ms, plan } = await rebuild(lab, c.provider, manifest, b);
      assert.equal(ran, plan.steps.length);
      const again = await capture(c.provider, b);
      assert.deepEqual(differences(original, again), [], `${c.name} on ${size / MiB} MiB`);
      assert.equal(c.view(b.path), c.view(a.path));
      console.log(`${c.name}: ${size / MiB} MiB target, ${plan.steps.length} steps in ${ms.toFixed(0)} ms`);
    }
  });
}

/** btrfs: what the kernel says on the mounted filesystem (ids, parents, paths, flags). */
function btrfsView(lab: LoopLab, dev: string): string {
  const m = lab.mount(dev, ['subvolid=5']);
  try {
    const list = sh(['btrfs', 'subvolume', 'list', '-p', m]).replace(/ gen \d+/g, '');
    const ro = sh(['btrfs', 'subvolume', 'list', '-r', m]).replace(/ gen \d+/g, '').replace(/ cgen \d+/g, '');
    const snapshots = sh(['btrfs', 'subvolume', 'list', '-s', m]).replace(/ gen \d+/g, '').replace(/ cgen \d+/g, '').replace(/ otime .* path/g, ' path');
    const paths = [...list.matchAll(/ path (.*)$/gm)].map((x) => x[1]!);
    const attrs = paths.map((p) => `${p}: ${sh(['lsattr', '-d', join(m, p)]).split(' ')[0]} ${sh(['btrfs', 'property', 'get', '-ts', join(m, p), 'ro']).trim()}`);
    return [list, ro, snapshots, sh(['btrfs', 'subvolume', 'get-default', m]).replace(/ gen \d+/g, ''), ...attrs].join('\n');
  } finally {
    lab.umount(m);
  }
}

/** Nested and read-only subvolumes, a deleted one (an id gap), snapshots, nodatacow, a default. */
function buildBtrfs(lab: LoopLab, dev: string): void {
  sh(['mkfs.btrfs', '-q', '-f', '-L', 'blbl', '-U', BTRFS_UUID, '-n', '32768', '-m', 'dup', '-d', 'single', dev]);
  const m = lab.mount(dev);
  try {
    sh(['btrfs', 'subvolume', 'create', join(m, '@')]);
    mkdirSync(join(m, '@/etc'));
    writeFileSync(join(m, '@/etc/hostname'), 'rt\n');
    sh(['btrfs', 'subvolume', 'create', join(m, 'gone')]);
    sh(['btrfs', 'subvolume', 'create', join(m, '@home')]);
    sh(['btrfs', 'subvolume', 'create', join(m, '@home/alice')]);
    mkdirSync(join(m, '@/var/lib'), { recursive: true });
    sh(['btrfs', 'subvolume', 'create', join(m, '@/var/lib/machines')]);
    sh(['btrfs', 'subvolume', 'create', join(m, '@vm')]);
    sh(['chattr', '+C', join(m, '@vm')]);
    sh(['btrfs', 'subvolume', 'snapshot', '-r', join(m, '@'), join(m, '@snap')]);
    sh(['btrfs', 'subvolume', 'snapshot', join(m, '@home'), join(m, '@home-copy')]);
    sh(['btrfs', 'subvolume', 'create', join(m, 'frozen')]);
    sh(['btrfs', 'property', 'set', '-ts', join(m, 'frozen'), 'ro', 'true']);
    sh(['btrfs', 'subvolume', 'delete', '--commit-after', join(m, 'gone')]);
    sh(['btrfs', 'subvolume', 'sync', m]);
    sh(['btrfs', 'subvolume', 'set-default', join(m, '@')]);
  } finally {
    lab.umount(m);
  }
}

// Device UUIDs (dev_item.uuid, blkid UUID_SUB) are random: mkfs.btrfs 6.2 has no option to set them.
const BTRFS_ALLOWED = [/^filesystems\[0\]\.btrfs\.devices\[0\]\.uuid: /];
let btrfsOriginal: { manifest: Manifest; captured: Captured; view: string } | undefined;

test('round trip: btrfs with nested/ro subvolumes, an id gap, snapshots, nodatacow and a default subvolume', { skip }, async () => {
  const labA = newLab();
  const a = labA.disk(512 * MiB, { name: 'orig' });
  buildBtrfs(labA, a.path);
  const captured = await capture(btrfs, a);
  const fs = captured.filesystems[0]!;
  assert.deepEqual(fs.btrfs!.subvolumes.map((s) => [s.path, s.id, s.parentId, s.readOnly, s.nodatacow, s.snapshotOf]), [
    ['@', 256, 5, false, false, undefined],
    ['@/var/lib/machines', 260, 256, false, false, undefined],
    ['@home', 258, 5, false, false, undefined],
    ['@home-copy', 263, 5, false, false, '@home'],
    ['@home/alice', 259, 258, false, false, undefined],
    ['@snap', 262, 5, true, false, '@'],
    ['@vm', 261, 5, false, true, undefined],
    ['frozen', 264, 5, true, false, undefined],
  ]);
  const view = btrfsView(labA, a.path);
  const blkidA = blkidView(a.path, ['UUID_SUB']);
  // mkfs.btrfs -U refuses a UUID that another present device carries: the original goes first.
  dropLab(labA, [a]);
  btrfsOriginal = { manifest: manifestOf(captured, 512), captured, view };

  for (const size of [512 * MiB, 768 * MiB]) {
    const lab = newLab();
    const b = lab.disk(size, { name: 'blank' });
    const { ran, ms, plan, slowest } = await rebuild(lab, btrfs, btrfsOriginal.manifest, b);
    assert.equal(ran, plan.steps.length);
    const again = await capture(btrfs, b);
    assert.deepEqual(differences(captured, again, BTRFS_ALLOWED), []);
    assert.notEqual(again.filesystems[0]!.btrfs!.devices[0]!.uuid, fs.btrfs!.devices[0]!.uuid, 'a new device UUID (documented as not reproducible)');
    assert.equal(btrfsView(lab, b.path), view);
    assert.equal(blkidView(b.path, ['UUID_SUB']), blkidA);
    console.log(`btrfs: ${size / MiB} MiB target, ${plan.steps.length} steps in ${ms.toFixed(0)} ms (slowest: ${slowest})`);
    dropLab(lab, [b]);
  }
});

test('btrfs rebuild interrupted at each step in turn (before and after it ran), then resumed with the same journal, ends identical', { skip }, async () => {
  assert.ok(btrfsOriginal, 'the btrfs round trip (above) must have run first');
  const { manifest, captured, view } = btrfsOriginal;
  const n = planFor(btrfs, manifest, { path: '/dev/loopX', kname: 'loopX', file: '' }).steps.length;
  assert.ok(n >= 15, `plan has ${n} steps`);
  const t0 = performance.now();
  for (const when of ['after', 'before'] as const) {
    for (let k = 1; k <= n; k++) {
      const lab = newLab();
      const b = lab.disk(512 * MiB, { name: 'blank' });
      const what = `crash ${when} step ${k}`;
      try {
        await assert.rejects(rebuild(lab, btrfs, manifest, b, crashingRunner((_, n) => (n === k ? when : undefined))), new RegExp(`injected crash ${when} mutation ${k}:`));
        const resumed = await rebuild(lab, btrfs, manifest, b);
        const crashed = resumed.plan.steps[k - 1]!;
        // Finished work is recognised by the step's check; a step without one, or whose work
        // did not happen, runs again.
        const confirmed = when === 'after' && crashed.check !== undefined;
        const events = (await readJournal(resumed.journal)).filter((e) => e.step === crashed.id).map((e) => e.event);
        assert.deepEqual(events, ['start', 'failed', ...(confirmed ? ['checked'] : ['start', 'done'])], `${what} (${crashed.id})`);
        assert.equal(resumed.ran, n - k + (confirmed ? 0 : 1), what);
        assert.deepEqual(differences(captured, await capture(btrfs, b), BTRFS_ALLOWED), [], `${what} (${crashed.id})`);
        assert.equal(btrfsView(lab, b.path), view, `${what} (${crashed.id})`);
      } finally {
        try {
          sh(['umount', mountPointFor(BTRFS_UUID)]);
        } catch {
          /* unmounted by the plan: the normal case */
        }
        dropLab(lab, [b]);
      }
    }
  }
  console.log(`btrfs fault injection: ${n} crash points × before/after, each resumed to the identical result, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});
