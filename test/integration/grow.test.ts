// --grow onto a larger disk: the last partition takes the extra space and the filesystem or
// swap on it is grown with its own tool after being made exactly as captured. Everything mkfs
// decided (UUID, label, block and inode sizes, features, geometry) still matches; verify with
// the same --grow exits 0. Through the real CLI, on loop devices.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseBlkidExport } from '../../src/providers/storage/inventory/parse.ts';
import { cli } from '../lib/cli.ts';
import { integrationUnavailable, LoopLab, sh, type LoopDisk } from '../lib/loop.ts';

const MiB = 1024 * 1024;
const skip = integrationUnavailable();

const dumpe2fs = (dev: string): Record<string, string> =>
  Object.fromEntries(
    sh(['dumpe2fs', '-h', dev])
      .split('\n')
      .map((l) => /^([^:]+):\s+(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );

for (const kind of ['ext4', 'xfs', 'swap'] as const) {
  describe(`--grow last with ${kind} on the last partition`, { skip }, () => {
    let lab: LoopLab;
    let a: LoopDisk;
    let big: LoopDisk;
    const tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-grow-'));
    before(() => {
      lab = new LoopLab();
      a = lab.disk(512 * MiB);
      big = lab.disk(1024 * MiB);
      sh(['sfdisk', '-q', a.path], 'label: gpt\nsize=64M, type=L, name=first\ntype=L, name=last\n');
      lab.rescan(a);
      sh(['mkfs.ext4', '-q', '-F', '-L', 'first', `${a.path}p1`]);
      if (kind === 'ext4') sh(['mkfs.ext4', '-q', '-F', '-b', '1024', '-I', '256', '-L', 'grown', '-U', '11111111-2222-4333-8444-555555555555', `${a.path}p2`]);
      if (kind === 'xfs') sh(['mkfs.xfs', '-q', '-f', '-L', 'grown', '-m', 'uuid=11111111-2222-4333-8444-555555555555', `${a.path}p2`]);
      if (kind === 'swap') sh(['mkswap', '-L', 'grown', '-U', '11111111-2222-4333-8444-555555555555', `${a.path}p2`]);
    });
    after(() => {
      lab?.cleanup();
      rmSync(tmp, { recursive: true, force: true });
      // xfs_growfs ran on the plan's private (now unmounted) mount point.
      if (kind === 'xfs') rmSync('/run/sysmanifest/grow-disk0p2', { recursive: true, force: true });
    });

    test('the filesystem fills the enlarged partition and keeps its identity; verify --grow exits 0', () => {
      const cap = cli(['capture', '--disk', a.path, '--repo', join(tmp, 'repo'), '--host', 'g']);
      assert.equal(cap.status, 0, cap.stderr);
      const manifest = join(tmp, 'repo/hosts/g/manifest.yaml');
      // The original's views, then it goes: its identities are the ones the rebuild recreates.
      const orig = { dumpe2fs: kind === 'ext4' ? dumpe2fs(`${a.path}p2`) : {}, xfsInfo: kind === 'xfs' ? sh(['xfs_info', `${a.path}p2`]) : '' };
      lab.detach(a);
      const r = cli(['rebuild', manifest, '--stage', 'storage', '--map', `disk0=${big.path}`, '--grow', 'last', '--yes', '--state', join(tmp, 'state'), '--target', join(tmp, 'mnt')]);
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /verify: the disks match the manifest/);
      const dev = `${big.path}p2`;
      const probe = parseBlkidExport(sh(['blkid', '-p', '-o', 'export', dev]));
      assert.equal(probe.UUID, '11111111-2222-4333-8444-555555555555');
      assert.equal(probe.LABEL, 'grown');
      const partBytes = Number(sh(['blockdev', '--getsize64', dev]).trim());
      assert.ok(partBytes > 900 * MiB, `partition grown: ${partBytes}`);
      if (kind === 'ext4') {
        const d = dumpe2fs(dev);
        // resize2fs fills the partition up to the last whole block group it can use.
        const fsBytes = Number(d['Block count']) * 1024;
        assert.ok(fsBytes <= partBytes && fsBytes > partBytes - Number(d['Blocks per group']) * 1024, `ext4 fills the partition: ${fsBytes} of ${partBytes}`);
        for (const k of ['Block size', 'Inode size', 'Filesystem features', 'Blocks per group', 'Inodes per group', 'Filesystem UUID']) assert.equal(d[k], orig.dumpe2fs[k], k);
      }
      if (kind === 'xfs') {
        const info = sh(['xfs_info', dev]);
        const blocks = (t: string): number => Number(/data\s+=\s+bsize=(\d+)\s+blocks=(\d+)/.exec(t)![2]) * Number(/data\s+=\s+bsize=(\d+)/.exec(t)![1]);
        assert.ok(blocks(info) > 2 * blocks(orig.xfsInfo), 'xfs grown');
        assert.equal(/agsize=(\d+)/.exec(info)![1], /agsize=(\d+)/.exec(orig.xfsInfo)![1], 'AG size kept');
      }
      if (kind === 'swap') assert.equal(probe.TYPE, 'swap');
      const v = cli(['verify', manifest, '--map', `disk0=${big.path}`, '--grow', 'last']);
      assert.equal(v.status, 0, `${v.stdout}\n${v.stderr}`);
    });
  });
}

describe('--grow of a FAT filesystem or of a volume is refused before any write', { skip }, () => {
  let lab: LoopLab;
  let a: LoopDisk;
  let big: LoopDisk;
  const tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-grow-'));
  before(() => {
    lab = new LoopLab();
    a = lab.disk(256 * MiB);
    big = lab.disk(512 * MiB);
    sh(['sfdisk', '-q', a.path], 'label: gpt\ntype=U, name=esp\n');
    lab.rescan(a);
    sh(['mkfs.vfat', '-F', '32', `${a.path}p1`]);
  });
  after(() => {
    lab?.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('vfat: refused with the reason', () => {
    assert.equal(cli(['capture', '--disk', a.path, '--repo', join(tmp, 'repo'), '--host', 'g']).status, 0);
    lab.detach(a);
    const r = cli(['plan', join(tmp, 'repo/hosts/g/manifest.yaml'), '--map', `disk0=${big.path}`, '--grow', 'last']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /a FAT filesystem cannot be grown in place/);
  });
});
