import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParseError, UserError } from '../../../core/errors.ts';
import { validateSchema } from '../../../core/manifest/validate.ts';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import type { FakeCommand } from '../../../core/runner/fake.ts';
import { assignIds } from '../ids.ts';
import { stackAbove } from '../inventory/gather.ts';
import type { Inventory } from '../types.ts';
import { LVS_ARGV, parseLeRanges, PVS_ARGV, provider, VGS_ARGV } from './index.ts';

// The guest of __fixtures__/README.md: its own inventory (sysfs + blkid -p) dumped in the same boot.
const fx = (name: string): string => fixture(import.meta.url, `__fixtures__/${name}`);
const guest = JSON.parse(fx('inventory.json')) as Inventory;
const DISKS = ['vda', 'vdb', 'vdc', 'vdd', 'vde'];
const ids = assignIds(guest, DISKS);
const allScope = new Set(DISKS.flatMap((k) => stackAbove(guest, k)));

const VGS = VGS_ARGV.join(' ');
const PVS = PVS_ARGV.join(' ');
const LVS = LVS_ARGV.join(' ');
const COMMANDS: Record<string, string> = { [VGS]: fx('vgs.json'), [PVS]: fx('pvs.json'), [LVS]: fx('lvs.json') };

function ctx(opts: { inventory?: Inventory; scope?: ReadonlySet<string>; commands?: Record<string, string | FakeCommand> } = {}) {
  const runner = new FakeRunner({ commands: opts.commands ?? COMMANDS });
  return { runner, inventory: opts.inventory ?? guest, ids, scope: opts.scope ?? allScope };
}

/** The fixture report with some rows removed (for "what if lvm did not see X"). */
function without(json: string, key: string, drop: (row: Record<string, string>) => boolean): string {
  const doc = JSON.parse(json) as { report: Array<Record<string, Array<Record<string, string>>>> };
  for (const r of doc.report) r[key] = r[key]!.filter((row) => !drop(row));
  return JSON.stringify(doc);
}

const lin = (start: number, size: number, pv: string, a: number, b: number) => ({ start, size, type: 'linear', stripes: 1, areas: [{ pv, start: a, end: b }] });
const common = { allocationPolicy: 'inherit', readAhead: 'auto' };

const VG0 = {
  name: 'vg0', uuid: '7qBWgG-F84s-6Q3F-xmSY-PZQf-iXJx-95WGsH', extentSize: 8388608, allocationPolicy: 'normal', maxLv: 0, maxPv: 0,
  metadataCopies: 'unmanaged', tags: ['role-os', 'site_a'],
  pvs: [
    { on: 'luks-disk0p1', uuid: 'IfFYCy-yQov-eFwD-21pI-0PRq-EtDC-CLd0wB', peStart: 1048576, metadataCopies: 1, metadataSize: 1044480 },
    { on: 'luks-disk1', uuid: 'SNRByA-dBQ1-1ysv-xpWJ-JyNE-LUHP-a5Lbb3', peStart: 3145728, metadataCopies: 2, metadataSize: 2097152 },
  ],
  lvs: [
    { name: 'data-vol', id: 'vg0/data-vol', uuid: 'Of5XVE-Z79K-jYhL-FjSl-VtcN-yI2v-bTPUJi', size: 100663296, ...common, segments: [lin(0, 100663296, 'luks-disk1', 0, 11)] },
    { name: 'lvol0_pmspare', id: 'vg0/lvol0_pmspare', uuid: 'SngsUS-VE64-wreA-WHvV-30vw-luFb-f2n6ED', hidden: true, size: 8388608, ...common, segments: [lin(0, 8388608, 'luks-disk0p1', 40, 40)] },
    {
      name: 'pool', id: 'vg0/pool', uuid: 'Y39YfP-k9B4-bP1I-99gz-eukp-DWc5-MbO4Im', size: 268435456, ...common,
      chunkSize: 131072, metadataSize: 8388608, dataLv: 'pool_tdata', metadataLv: 'pool_tmeta', zero: false, discards: 'passdown',
      segments: [{ start: 0, size: 268435456, type: 'thin-pool', stripes: 1, areas: [{ lv: 'pool_tdata', start: 0, end: 31 }] }],
    },
    { name: 'pool_tdata', id: 'vg0/pool_tdata', uuid: 'XuL3nZ-WMwM-9nvb-2hLE-UBFi-0mgc-1SwIoK', hidden: true, size: 268435456, ...common, segments: [lin(0, 268435456, 'luks-disk0p1', 41, 72)] },
    { name: 'pool_tmeta', id: 'vg0/pool_tmeta', uuid: '4GTRcD-NzJL-Y0eX-tOJ9-VI8i-YhS5-0rFqfy', hidden: true, size: 8388608, ...common, segments: [lin(0, 8388608, 'luks-disk1', 28, 28)] },
    {
      name: 'root', id: 'vg0/root', uuid: 'xrNYNb-Hu3I-2bVD-LleS-d1td-CJwc-HP8N4L', size: 335544320, tags: ['os'], ...common,
      segments: [lin(0, 268435456, 'luks-disk0p1', 0, 31), lin(268435456, 67108864, 'luks-disk1', 12, 19)],
    },
    {
      name: 'stripe', id: 'vg0/stripe', uuid: 'hIdLgN-kDvS-TcxE-af0y-vTAL-Svhd-tGANjt', size: 134217728, ...common,
      segments: [{ start: 0, size: 134217728, type: 'striped', stripes: 2, stripeSize: 65536, areas: [{ pv: 'luks-disk0p1', start: 32, end: 39 }, { pv: 'luks-disk1', start: 20, end: 27 }] }],
    },
    { name: 'thin1', id: 'vg0/thin1', uuid: '6qMIbc-eKJg-oG6h-Ktkq-rOoR-bHdW-zFnKRa', size: 1073741824, tags: ['thin'], ...common, pool: 'pool', segments: [{ start: 0, size: 1073741824, type: 'thin' }] },
  ],
};
const VGMD = {
  name: 'vgmd', uuid: 'zS1rGX-x5tA-Up3U-Oj0R-Svdz-a3Xj-k0k45W', extentSize: 4194304, allocationPolicy: 'normal', maxLv: 0, maxPv: 0, metadataCopies: 'unmanaged',
  pvs: [{ on: 'md-scratch', uuid: '82ldir-mbDF-TgCe-pmcU-nI8S-gvyl-C02hfo', peStart: 1048576, metadataCopies: 1, metadataSize: 1044480 }],
  lvs: [{ name: 'media', id: 'vgmd/media', uuid: '2pw0C1-8a8h-H5mR-VMUg-B18C-J0oJ-lRhHP3', size: 671088640, ...common, segments: [lin(0, 671088640, 'md-scratch', 0, 159)] }],
};

test('lvm: both VGs of the guest (linear, 2-segment, striped, thin pool + thin, internal LVs, tags), exactly as lvm reports them', async () => {
  const c = ctx();
  assert.deepEqual(await provider.contribute(c), { storage: { lvm: { vgs: [VG0, VGMD] } } });
  assert.deepEqual(c.runner.calls, [VGS_ARGV, PVS_ARGV, LVS_ARGV]);
});

test('lvm: LV ids and sizes agree with the kernel (inventory dm devices, ids.ts) and PV uuids with blkid', async () => {
  const vgs = (await provider.contribute(ctx())).storage!.lvm!.vgs!;
  const lvs = new Map(vgs.flatMap((vg) => (vg.lvs ?? []).map((lv) => [lv.id, lv] as const)));
  const active = Object.values(guest.devices).filter((d) => d.dm?.uuid.startsWith('LVM-') && !ids[d.kname]!.startsWith('dm-'));
  assert.equal(active.length, 8); // all but the -tpool layer, which ids.ts names dm-vg0-pool-tpool
  for (const d of active) {
    const lv = lvs.get(ids[d.kname]!);
    assert.ok(lv, `${d.kname} → ${ids[d.kname]}`);
    // thin pools are wrapped (vg-pool over vg-pool-tpool): same size either way
    assert.equal(lv.size, d.sizeBytes, lv.id);
    // dm uuid: LVM-<vg uuid><lv uuid>[-suffix], dashes removed
    assert.ok(d.dm!.uuid.includes(lv.uuid.replaceAll('-', '')), lv.id);
  }
  assert.equal(guest.devices['dm-0']!.probe.UUID, vgs[0]!.pvs![0]!.uuid);
  assert.equal(fx('blkid-md126.txt').match(/^UUID=(.*)$/m)![1], vgs[1]!.pvs![0]!.uuid);
});

test('lvm: lvm is not run when no PV is in scope', async () => {
  const c = ctx({ scope: new Set(['vdc', 'vdc1', 'md127', 'dm-2']) });
  assert.deepEqual(await provider.contribute(c), {});
  assert.deepEqual(c.runner.calls, []);
});

test('lvm: only VGs with PVs in scope; a VG only partly in scope is unsupported', async () => {
  const onlyMd = await provider.contribute(ctx({ scope: new Set(['vdc', 'vdd', 'vde'].flatMap((k) => stackAbove(guest, k))) }));
  assert.deepEqual(onlyMd.storage!.lvm!.vgs!.map((v) => v.name), ['vgmd']);
  const half = (await provider.contribute(ctx({ scope: new Set(stackAbove(guest, 'vda')) }))).storage!.lvm!.vgs!;
  assert.deepEqual(half.map((v) => [v.name, v.pvs!.map((p) => p.on), v.unsupported]), [
    ['vg0', ['luks-disk0p1'], { reason: 'PVs outside the captured devices or missing: PV SNRByA-dBQ1-1ysv-xpWJ-JyNE-LUHP-a5Lbb3' }],
  ]);
});

test('lvm: a PV blkid knows but lvm does not report is an error, not a missing VG', async () => {
  const commands = { ...COMMANDS, [PVS]: without(fx('pvs.json'), 'pv', (r) => r.pv_name === '/dev/md126') };
  await assert.rejects(provider.contribute(ctx({ commands })), (e: unknown) => e instanceof UserError && e.code === 'DEVICE' && /\/dev\/md126/.test(e.message));
});

test('lvm: an unreadable PV device is recorded as unsupported', async () => {
  const md126 = { ...guest.devices.md126!, probe: {}, unreadable: 'blkid -p /dev/md126: Permission denied' };
  const commands = {
    [VGS]: without(fx('vgs.json'), 'vg', (r) => r.vg_name === 'vgmd'),
    [PVS]: without(fx('pvs.json'), 'pv', (r) => r.vg_name === 'vgmd'),
    [LVS]: without(fx('lvs.json'), 'seg', (r) => r.vg_name === 'vgmd'),
  };
  const out = await provider.contribute(ctx({ inventory: { ...guest, devices: { ...guest.devices, md126 } }, commands }));
  assert.deepEqual(out.storage!.lvm!.vgs, [{ name: '#unreadable', unsupported: { reason: 'md-scratch: blkid -p /dev/md126: Permission denied' } }, VG0]);
});

test('lvm: a failing lvm makes contribute() reject', async () => {
  const commands = { ...COMMANDS, [LVS]: { exitCode: 5, stderr: '  Volume group "vg0" not found\n' } };
  await assert.rejects(provider.contribute(ctx({ commands })), (e: unknown) => e instanceof UserError && e.code === 'COMMAND_FAILED' && /lvm lvs/.test(e.message));
});

test('lvm: unexpected report output is a ParseError', async () => {
  await assert.rejects(provider.contribute(ctx({ commands: { ...COMMANDS, [VGS]: '  No volume groups found\n' } })), ParseError);
  await assert.rejects(provider.contribute(ctx({ commands: { ...COMMANDS, [PVS]: fx('pvs.json').replace('"pe_start":"1048576"', '"pe_start":"1.00m"') } })), /pe_start/);
  assert.throws(() => parseLeRanges('/dev/sda:x', 'test'), ParseError);
});

test('lvm: the captured section is valid against schemas/storage/lvm.schema.json', async () => {
  const out = await provider.contribute(ctx());
  assert.deepEqual(validateSchema({ apiVersion: 'sysmanifest/v1', host: {}, storage: out.storage }).filter((i) => i.path[0] === 'storage'), []);
  const bad = { lvm: { vgs: [{ ...VG0, extentSize: 0 }] } };
  assert.notDeepEqual(validateSchema({ apiVersion: 'sysmanifest/v1', host: {}, storage: bad }).filter((i) => i.path[0] === 'storage'), []);
});
