import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import { ParseError } from '../../../core/errors.ts';
import { parseBlkidExport } from '../inventory/parse.ts';
import { fakeContext, fakeDevice } from '../../filesystems/testing.ts';
import { parseSwapHeader } from './parse.ts';
import { provider } from './index.ts';

const bin = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`__fixtures__/${name}`, import.meta.url)));
const blkid = (name: string): Record<string, string> => parseBlkidExport(fixture(import.meta.url, `__fixtures__/${name}`));

test('mkswap -L swlbl -U …: label, uuid, version, 4 KiB pages, 64 MiB', () => {
  assert.deepEqual(parseSwapHeader(bin('swap.bin')), {
    pageSize: 4096,
    version: 1,
    lastPage: 16383,
    badPages: 0,
    uuid: '5f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0',
    label: 'swlbl',
  });
});

test('mkswap -p 16384: the magic sits at the end of a 16 KiB page; uuid matches blkid', () => {
  const h = parseSwapHeader(bin('swap-16k.bin'));
  assert.equal(h.pageSize, 16384);
  assert.equal(h.lastPage, 4095);
  assert.equal(h.label, undefined);
  assert.equal(h.uuid, blkid('swap-16k.blkid').UUID);
});

test('a page without the magic is a ParseError', () => {
  assert.throws(() => parseSwapHeader(new Uint8Array(65536)), ParseError);
});

test('contribute: reads the header of the kernel node', async () => {
  const runner = new FakeRunner({ files: { '/dev/loop9': bin('swap.bin') } });
  const out = await provider.contribute(fakeContext(runner, [fakeDevice('loop9', blkid('swap.blkid')), fakeDevice('loop1', { TYPE: 'ext4' })]));
  assert.deepEqual(out, {
    storage: { swap: [{ on: 'disk0', uuid: '5f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0', label: 'swlbl', version: 1, pageSize: 4096, pages: 16384 }] },
  });
});
