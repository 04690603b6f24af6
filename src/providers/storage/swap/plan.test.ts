import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Manifest, Swap } from '../../../core/manifest/types.gen.ts';
import { buildPlanContext } from '../../../core/plan/context.ts';
import { captureSwap } from './capture.ts';
import { parseSwapHeader } from './parse.ts';
import { plan } from './plan.ts';

const captured = (name: string, on: string): Swap => captureSwap(on, parseSwapHeader(new Uint8Array(readFileSync(new URL(`__fixtures__/${name}.bin`, import.meta.url)))));

function context(swap: Swap[]) {
  const manifest = {
    apiVersion: 'sysmanifest/v1',
    host: { hostname: 'h' },
    storage: { disks: [{ id: 'disk0', match: {}, logicalSectorSize: 512, physicalSectorSize: 512, partitions: [{ id: 'disk0p3', number: 3 }] }], swap },
  } as unknown as Manifest;
  return buildPlanContext(manifest, { disk0: '/dev/vda' }, new Set());
}

test('swap with label and UUID: mkswap -p -U -L and the size in KiB', () => {
  const s = captured('swap', 'disk0p3');
  const [step] = plan(context([s]));
  assert.deepEqual(step!.argv, ['mkswap', '-p', '4096', '-U', '5f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0', '-L', 'swlbl', '/dev/vda3', String(s.pages! * 4)]);
  assert.equal(s.pages, 16384);
  assert.deepEqual(step!.after, ['table:disk0']);
  assert.deepEqual(step!.check, { device: '/dev/vda3', probe: { TYPE: 'swap', UUID: '5f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0', LABEL: 'swlbl' } });
  assert.equal(step!.id, 'mkfs:disk0p3');
});

test('16 KiB pages: -p 16384, size = pages × 16', () => {
  const s = captured('swap-16k', 'disk0');
  const [step] = plan(context([s]));
  assert.deepEqual(step!.argv, ['mkswap', '-p', '16384', '-U', s.uuid!, '/dev/vda', String(s.pages! * 16)]);
  assert.deepEqual(step!.after, []);
});

test('bad pages are looked for again (-c); unsupported is refused', () => {
  const s = captured('swap', 'disk0');
  assert.ok(plan(context([{ ...s, badPages: 2 }]))[0]!.argv.includes('-c'));
  assert.throws(() => plan(context([s, { on: 'disk0p3', unsupported: { reason: 'no access' } }])), /storage\.swap\[1\] \(on disk0p3\).*no access/);
});
