import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../../../core/runner/fake.ts';
import type { Filesystem, Manifest } from '../../../core/manifest/types.gen.ts';
import { buildPlanContext } from '../../../core/plan/context.ts';
import { captureXfs } from './capture.ts';
import { plan } from './plan.ts';

const fx = (name: string): string => fixture(import.meta.url, `__fixtures__/${name}`);
const captured = (name: string, on: string): Filesystem => captureXfs(on, { info: fx(`${name}.xfs_info`), labelUuid: fx(`${name}.xfs_db`) });

function context(filesystems: Filesystem[]) {
  const manifest = {
    apiVersion: 'sysmanifest/v1',
    host: { hostname: 'h' },
    storage: {
      disks: [{ id: 'disk0', match: {}, logicalSectorSize: 512, physicalSectorSize: 512, partitions: [{ id: 'disk0p2', number: 2 }] }],
      filesystems,
    },
  } as unknown as Manifest;
  return buildPlanContext(manifest, { disk0: '/dev/nvme1n1' }, new Set());
}

test('xfs with non-default geometry: every xfs_info value as a mkfs.xfs suboption', () => {
  const [step] = plan(context([captured('xfs-custom', 'disk0p2')]));
  assert.equal(step!.id, 'mkfs:disk0p2');
  assert.deepEqual(step!.after, ['table:disk0']);
  assert.deepEqual(step!.argv, [
    'mkfs.xfs', '-f',
    '-s', 'size=512',
    '-b', 'size=1024',
    '-m', 'crc=1,finobt=0,rmapbt=0,reflink=0,bigtime=1,inobtcount=0,uuid=2c4e6f8a-1b3d-4e5f-8a9b-0c1d2e3f4a5b',
    '-i', 'size=512,maxpct=25,attr=2,projid32bit=1,sparse=1,nrext64=0',
    // agsize 174784 and 524288 blocks of 1 KiB; stripe 32/64 blocks = 64/128 × 512 bytes.
    '-d', 'agsize=178978816,size=536870912,sunit=64,swidth=128',
    '-n', 'version=2,size=8192,ftype=1',
    // 65536 log blocks of 1 KiB; log stripe unit 8 blocks = 16 × 512 bytes.
    '-l', 'size=67108864,version=2,sectsize=512,lazy-count=1,sunit=16',
    '-r', 'extsize=4096',
    '-L', 'xlbl',
    '/dev/nvme1n1p2',
  ]);
  assert.deepEqual(step!.check, { device: '/dev/nvme1n1p2', probe: { TYPE: 'xfs', UUID: '2c4e6f8a-1b3d-4e5f-8a9b-0c1d2e3f4a5b' } });
});

test('xfs V4 (crc=0): the old format is asked for explicitly, lazy-count=0 kept', () => {
  const [step] = plan(context([captured('xfs-v4', 'disk0')]));
  const arg = (flag: string): string => step!.argv[step!.argv.indexOf(flag) + 1]!;
  assert.deepEqual(step!.after, []);
  assert.match(arg('-m'), /^crc=0,finobt=0,rmapbt=0,reflink=0,bigtime=0,inobtcount=0,uuid=/);
  assert.equal(arg('-i'), 'size=256,maxpct=25,attr=2,projid32bit=1,sparse=0,nrext64=0');
  assert.equal(arg('-d'), `agsize=${32768 * 4096},size=${131072 * 4096},sunit=0,swidth=0`);
  assert.equal(arg('-n'), 'version=2,size=4096,ftype=0');
  assert.equal(arg('-l'), `size=${16384 * 4096},version=2,sectsize=512,lazy-count=0`);
  assert.ok(!step!.argv.includes('-L'));
  assert.equal(step!.argv.at(-1), '/dev/nvme1n1');
});

test('an external log or an unsupported entry is refused with its manifest path', () => {
  const fs = captured('xfs-custom', 'disk0p2');
  assert.throws(() => plan(context([{ ...fs, unsupported: { reason: 'external log device (mkfs.xfs -l logdev=) is not captured' } }])), /storage\.filesystems\[0\] \(on disk0p2\).*external log/);
  assert.throws(() => plan(context([{ ...fs, xfs: { ...fs.xfs!, log: { ...fs.xfs!.log, internal: false } } }])), /storage\.filesystems\[0\]: external log device/);
});
