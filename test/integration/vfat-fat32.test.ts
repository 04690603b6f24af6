// FAT volumes through the real CLI on loop devices (root only), above all FAT32 with fewer
// than 65,525 clusters — what `mkfs.vfat -F 32` makes for an ESP on a 4096-byte-sector disk or
// with large clusters on a small partition (issue 11, class 8). Each volume is made with the
// raw mkfs.vfat on loop disk A, `sysmanifest capture --disk A` records it, A is detached (a
// rebuild refuses identities that an attached disk already carries), and `sysmanifest rebuild
// --stage storage` recreates it on a blank disk B of the same size and sector size. Then:
// the manifest says the type the kernel and blkid see, with the real volume id; B's
// `blkid -p` equals A's; `fsck.fat -n` finds B clean; the rebuild's own verify matched.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { parseBlkidExport } from '../../src/providers/storage/inventory/parse.ts';
import { cli } from '../lib/cli.ts';
import { integrationUnavailable, LoopLab, sh, type LoopDisk } from '../lib/loop.ts';

const MiB = 1024 * 1024;
const skip = integrationUnavailable();

interface Case {
  readonly name: string;
  readonly size: number;
  readonly sectorSize: number;
  readonly mkfs: readonly string[];
  readonly fatSize: 12 | 16 | 32;
  /** A GPT with one EFI System partition of this many MiB (from 1 MiB) holds the volume; else the whole disk. */
  readonly partitionMiB?: number;
}

const CASES: readonly Case[] = [
  // The two "done when" ESPs, as they are in practice: on a GPT partition.
  { name: 'ESP partition of 100 MiB on 4096-byte sectors, -F 32', size: 128 * MiB, sectorSize: 4096, partitionMiB: 100, mkfs: ['-F', '32', '-n', 'ESP'], fatSize: 32 },
  { name: 'ESP partition of 64 MiB, -F 32 -s 2', size: 96 * MiB, sectorSize: 512, partitionMiB: 64, mkfs: ['-F', '32', '-s', '2'], fatSize: 32 },
  // Whole-disk volumes: 4096-byte sectors at 100 and 200 MiB, -s 2 / -s 4 at 64 and 100 MiB.
  { name: '100 MiB on 4096-byte sectors, -F 32', size: 100 * MiB, sectorSize: 4096, mkfs: ['-F', '32', '-n', 'ESP4K'], fatSize: 32 },
  { name: '200 MiB on 4096-byte sectors, -F 32', size: 200 * MiB, sectorSize: 4096, mkfs: ['-F', '32', '-i', '0BADCAFE'], fatSize: 32 },
  { name: '64 MiB, -F 32 -s 2', size: 64 * MiB, sectorSize: 512, mkfs: ['-F', '32', '-s', '2', '-n', 'EFI SYSTEM'], fatSize: 32 },
  { name: '64 MiB, -F 32 -s 4', size: 64 * MiB, sectorSize: 512, mkfs: ['-F', '32', '-s', '4'], fatSize: 32 },
  { name: '100 MiB, -F 32 -s 2', size: 100 * MiB, sectorSize: 512, mkfs: ['-F', '32', '-s', '2'], fatSize: 32 },
  { name: '100 MiB, -F 32 -s 4', size: 100 * MiB, sectorSize: 512, mkfs: ['-F', '32', '-s', '4', '-i', 'C0FFEE00'], fatSize: 32 },
  // mkfs.vfat's defaults, and FAT12/FAT16.
  { name: '33 MiB, defaults', size: 33 * MiB, sectorSize: 512, mkfs: [], fatSize: 16 },
  { name: '100 MiB, defaults', size: 100 * MiB, sectorSize: 512, mkfs: [], fatSize: 16 },
  { name: '512 MiB, defaults', size: 512 * MiB, sectorSize: 512, mkfs: ['-n', 'BIG'], fatSize: 32 },
  { name: '4 MiB, defaults (FAT12)', size: 4 * MiB, sectorSize: 512, mkfs: ['-n', 'TINY'], fatSize: 12 },
  { name: '16 MiB on 4096-byte sectors, -F 12', size: 16 * MiB, sectorSize: 4096, mkfs: ['-F', '12'], fatSize: 12 },
  { name: '200 MiB on 4096-byte sectors, -F 16', size: 200 * MiB, sectorSize: 4096, mkfs: ['-F', '16', '-n', 'SIXTEEN'], fatSize: 16 },
];

/** blkid -p of a device without DEVNAME (the node name is the only thing allowed to differ) and PART_ENTRY_DISK (major:minor). */
function blkidView(dev: string): Record<string, string> {
  const probe = parseBlkidExport(sh(['blkid', '-p', '-o', 'export', dev]));
  return Object.fromEntries(Object.entries(probe).filter(([k]) => k !== 'DEVNAME' && k !== 'PART_ENTRY_DISK'));
}

/** The node that holds the volume. */
const volumeOf = (c: Case, disk: LoopDisk): string => (c.partitionMiB ? `${disk.path}p1` : disk.path);

function makeSource(lab: LoopLab, c: Case): LoopDisk {
  const a = lab.disk(c.size, { name: 'a', sectorSize: c.sectorSize });
  if (c.partitionMiB) {
    const start = MiB / c.sectorSize;
    sh(['sfdisk', '-q', '--no-reread', '--no-tell-kernel', a.path], `label: gpt\nstart=${start}, size=${(c.partitionMiB * MiB) / c.sectorSize}, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system partition"\n`);
    lab.rescan(a);
  }
  sh(['mkfs.vfat', ...c.mkfs, volumeOf(c, a)]);
  return a;
}

for (const c of CASES) {
  test(`FAT round trip through capture and rebuild: ${c.name}`, { skip }, () => {
    const lab = new LoopLab('sysmanifest-vfat-');
    const tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-vfat-state-'));
    try {
      const a = makeSource(lab, c);
      const original = blkidView(volumeOf(c, a));
      assert.equal(original.VERSION, `FAT${c.fatSize}`, 'blkid reads the type mkfs.vfat made');
      const repo = join(tmp, 'repo');
      const cap = cli(['capture', '--disk', a.path, '--repo', repo, '--host', 't']);
      assert.equal(cap.status, 0, cap.stderr);
      const manifest = join(repo, 'hosts/t/manifest.yaml');
      const [fs] = (parse(readFileSync(manifest, 'utf8')) as { storage: { filesystems: { uuid: string; vfat: { fatSize: number; volumeId: string; logicalSectorSize: number } }[] } }).storage.filesystems;
      assert.equal(fs!.vfat.fatSize, c.fatSize);
      assert.equal(fs!.uuid, original.UUID);
      assert.equal(fs!.vfat.volumeId, original.UUID!.replace('-', ''));
      assert.equal(fs!.vfat.logicalSectorSize, c.sectorSize);

      // The captured disk goes away, as when it is replaced; a blank one of the same kind comes.
      lab.detach(a);
      const b = lab.disk(c.size, { name: 'b', sectorSize: c.sectorSize });
      const r = cli(['rebuild', manifest, '--stage', 'storage', '--map', `disk0=${b.path}`, '--yes', '--state', join(tmp, 'state'), '--target', join(tmp, 'mnt')]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /verify: the disks match the manifest/);
      assert.match(r.stdout, new RegExp(`mkfs\\.fat .*-F ${c.fatSize} `));
      if (c.partitionMiB) lab.rescan(b);
      assert.deepEqual(blkidView(volumeOf(c, b)), original);
      // fsck.fat -n: exit 0 when nothing is wrong (it still warns about FAT32 with few clusters).
      const fsck = sh(['fsck.fat', '-n', volumeOf(c, b)]);
      assert.match(fsck, /\d+ files, \d+\/\d+ clusters/);
    } finally {
      lab.cleanup();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
