import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import { ParseError } from '../../../core/errors.ts';
import { fakeContext, fakeDevice } from '../testing.ts';
import { parseXfsDbLabelUuid, parseXfsInfo } from './parse.ts';
import { provider } from './index.ts';

const fx = (name: string): string => fixture(import.meta.url, `__fixtures__/${name}`);

test('xfs with non-default geometry: every xfs_info field', () => {
  assert.deepEqual(parseXfsInfo(fx('xfs-custom.xfs_info')), {
    metadata: { isize: 512, agcount: 3, agsize: 174784, sectsz: 512, attr: 2, projid32bit: 1, crc: 1, finobt: 0, sparse: 1, rmapbt: 0, reflink: 0, bigtime: 1, inobtcount: 0, nrext64: 0 },
    data: { bsize: 1024, blocks: 524288, imaxpct: 25, sunit: 32, swidth: 64 },
    naming: { version: '2', bsize: 8192, asciiCi: 0, ftype: 1 },
    log: { internal: true, bsize: 1024, blocks: 65536, version: 2, sectsz: 512, sunit: 8, lazyCount: 1 },
    realtime: { device: 'none', extsz: 4096, blocks: 0, rtextents: 0 },
  });
  assert.deepEqual(parseXfsDbLabelUuid(fx('xfs-custom.xfs_db')), { label: 'xlbl', uuid: '2c4e6f8a-1b3d-4e5f-8a9b-0c1d2e3f4a5b' });
});

test('xfs V4 (crc=0): lazy-count, ftype and the V5-only features are off', () => {
  const x = parseXfsInfo(fx('xfs-v4.xfs_info'));
  assert.equal(x.metadata.crc, 0);
  assert.equal(x.metadata.isize, 256);
  assert.equal(x.log.lazyCount, 0);
  assert.equal(x.naming.ftype, 0);
});

test('xfs_db with an empty label gives no label', () => {
  assert.deepEqual(parseXfsDbLabelUuid(fx('xfs-default.xfs_db')), { uuid: 'f9f52f05-520e-48a9-bacd-496524c8838e' });
});

test('xfs_info output that lacks a section is a ParseError', () => {
  assert.throws(() => parseXfsInfo(fx('xfs-default.xfs_info').replace(/^log.*\n.*\n/m, '')), ParseError);
});

test('contribute: runs xfs_info and xfs_db read-only on the kernel node', async () => {
  const runner = new FakeRunner({
    commands: { 'xfs_info /dev/loop4': fx('xfs-default.xfs_info'), 'xfs_db -r -c label -c uuid /dev/loop4': fx('xfs-default.xfs_db') },
  });
  const out = await provider.contribute(fakeContext(runner, [fakeDevice('loop4', { TYPE: 'xfs' })]));
  const [fs] = out.storage!.filesystems!;
  assert.equal(fs!.on, 'disk0');
  assert.equal(fs!.uuid, 'f9f52f05-520e-48a9-bacd-496524c8838e');
  assert.equal(fs!.label, undefined);
  assert.equal(fs!.xfs!.metadata.agcount, 4);
  assert.equal(fs!.unsupported, undefined);
});
