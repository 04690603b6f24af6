import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../../core/errors.ts';
import { buildPlanContext } from '../../../core/plan/context.ts';
import type { Step } from '../../../core/plan/types.ts';
import { fixture } from '../../../core/runner/fake.ts';
import { parseBlkidExport } from '../inventory/parse.ts';
import { guestManifest, guestPlanContext, guestStorage, TARGETS } from '../guest-fixture.testutil.ts';
import { ASSEMBLE, mdUuidToBlkid, plan } from './plan.ts';

const fx = (name: string): string => fixture(import.meta.url, `__fixtures__/${name}`);

/** The runtime step that assembles md NAME again after a reboot of the live system. */
const assembleStep = (name: string, uuid: string, members: string[]): Step => ({
  id: `md-assemble:md-${name}`,
  title: `assemble md /dev/md/${name} (md-${name}) from its members if it is not running as /dev/md/${name}`,
  argv: ['sh', '-s', '--', `/dev/md/${name}`, uuid, ...members],
  input: { kind: 'text', text: ASSEMBLE },
  risk: 'create',
  after: [`dev:md-${name}`],
  check: { device: `/dev/md/${name}`, probe: {} },
  runtime: true,
  ensure: true,
  waitFor: [`/dev/md/${name}`],
});

test('md plan: the guest RAID1 (spare, internal bitmap) and RAID5 (metadata 1.0, chunk, layout), exact argv', async () => {
  const steps = plan(await guestPlanContext());
  assert.deepEqual(steps, [
    {
      id: 'dev:md-data',
      title: 'md raid1 /dev/md/data (md-data) on /dev/sdd1, /dev/sde1, /dev/sdf1 (1 spare); resyncs in the background',
      argv: ['mdadm', '--create', '/dev/md/data', '--run', '--metadata=1.2', '--level=raid1', '--raid-devices=2', '--spare-devices=1',
        '--bitmap=internal', '--bitmap-chunk=65536', '--uuid=8d8b9cee:1eb3f3dd:ecd984a7:8b489f58', '--name=data', '--homehost=fileserver',
        '--size=613376', '--data-offset=1024', '/dev/sdd1', '/dev/sde1', '/dev/sdf1'],
      risk: 'create',
      after: ['table:disk2', 'table:disk3', 'table:disk4'],
      creates: 'md-data',
      check: { device: '/dev/sdd1', probe: { TYPE: 'linux_raid_member', UUID: '8d8b9cee-1eb3-f3dd-ecd9-84a78b489f58' } },
      waitFor: ['/dev/md/data'],
    },
    assembleStep('data', '8d8b9cee:1eb3f3dd:ecd984a7:8b489f58', ['/dev/sdd1', '/dev/sde1', '/dev/sdf1']),
    {
      id: 'dev:md-scratch',
      title: 'md raid5 /dev/md/scratch (md-scratch) on /dev/sdd2, /dev/sde2, /dev/sdf2; resyncs in the background',
      argv: ['mdadm', '--create', '/dev/md/scratch', '--run', '--metadata=1.0', '--level=raid5', '--raid-devices=3', '--chunk=64',
        '--layout=left-symmetric', '--bitmap=none', '--uuid=64e32a3c:a2486b50:3130945e:c0d80d53', '--name=scratch', '--homehost=fileserver',
        '--size=329664', '/dev/sdd2', '/dev/sde2', '/dev/sdf2'],
      risk: 'create',
      after: ['table:disk2', 'table:disk3', 'table:disk4'],
      creates: 'md-scratch',
      check: { device: '/dev/sdd2', probe: { TYPE: 'linux_raid_member', UUID: '64e32a3c-a248-6b50-3130-945ec0d80d53' } },
      waitFor: ['/dev/md/scratch'],
    },
    assembleStep('scratch', '64e32a3c:a2486b50:3130945e:c0d80d53', ['/dev/sdd2', '/dev/sde2', '/dev/sdf2']),
  ]);
});

test('md plan: the resume check is what blkid -p really reports on a member of the captured arrays', () => {
  const vdc1 = parseBlkidExport(fx('blkid-vdc1.txt'));
  const vdc2 = parseBlkidExport(fx('blkid-vdc2.txt'));
  assert.deepEqual({ TYPE: vdc1.TYPE, UUID: vdc1.UUID }, { TYPE: 'linux_raid_member', UUID: mdUuidToBlkid('8d8b9cee:1eb3f3dd:ecd984a7:8b489f58') });
  assert.deepEqual({ TYPE: vdc2.TYPE, UUID: vdc2.UUID }, { TYPE: 'linux_raid_member', UUID: mdUuidToBlkid('64e32a3c:a2486b50:3130945e:c0d80d53') });
});

test('md plan: no homehost → <none> (else mdadm prefixes the live system\'s hostname); --grow drops --size; per-member offsets', async () => {
  const s = await guestStorage();
  const data = s.mdraid![0]!;
  const { homehost: _h, dataOffset: _d, ...rest } = data;
  const varied = { ...rest, members: [{ on: 'disk2p1', role: 0, dataOffset: 1048576 }, { on: 'disk3p1', role: 1, dataOffset: 2097152 }] };
  const ctx = buildPlanContext(guestManifest({ ...s, mdraid: [varied], luks: [], lvm: { vgs: [] } }), TARGETS, new Set(), { grow: new Set(['disk3p1']) });
  const argv = plan(ctx)[0]!.argv;
  assert.ok(argv.includes('--homehost=<none>'));
  assert.ok(!argv.some((a) => a.startsWith('--size')), 'a grown member lets mdadm use the whole device');
  assert.deepEqual(argv.slice(-4), ['--data-offset=variable', '/dev/sdd1:1024', '/dev/sde1:2048', '/dev/sdf1']);
});

test('md plan: a degraded array, an external bitmap and an unsupported entry are refused, not approximated', async () => {
  const s = await guestStorage();
  const data = s.mdraid![0]!;
  const ctxWith = (md: typeof data) => buildPlanContext(guestManifest({ ...s, mdraid: [md] }), TARGETS, new Set());
  assert.throws(() => plan(ctxWith({ ...data, members: [data.members![1]!] })), (e: unknown) => e instanceof UserError && /degraded/.test(e.message));
  assert.throws(() => plan(ctxWith({ ...data, bitmap: { type: 'external' } })), (e: unknown) => e instanceof UserError && /external bitmap/.test(e.message));
  assert.throws(() => plan(ctxWith({ id: 'md-data', unsupported: { reason: 'unreadable' } })), (e: unknown) => e instanceof UserError && /unsupported: unreadable/.test(e.message));
});
