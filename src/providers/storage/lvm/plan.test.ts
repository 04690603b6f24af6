import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../../core/errors.ts';
import { buildPlanContext } from '../../../core/plan/context.ts';
import { orderSteps } from '../../../core/plan/order.ts';
import type { Step } from '../../../core/plan/types.ts';
import { fixture } from '../../../core/runner/fake.ts';
import { parseBlkidExport } from '../inventory/parse.ts';
import { guestManifest, guestPlanContext, guestStorage, TARGETS } from '../guest-fixture.testutil.ts';
import { plan as luksPlan } from '../luks/plan.ts';
import { plan as mdPlan } from '../mdraid/plan.ts';
import { renderVgMetadata, thinRestoreXml } from './metadata.ts';
import { dataAlignment, plan } from './plan.ts';

const fx = (name: string): string => fixture(import.meta.url, `__fixtures__/${name}`);
const line = (s: Step): string => `${s.id} | ${s.argv.join(' ')} | after ${s.after.join(',')}${s.creates ? ` | creates ${s.creates}` : ''}`;

test('lvm plan: vg0 (2 PVs on LUKS, linear/striped/thin) and vgmd (PV on md) through metadata restore, exact argv', async () => {
  const steps = plan(await guestPlanContext());
  assert.deepEqual(steps.map(line), [
    'dir:lvm | mkdir -p -m 0700 /run/sysmanifest/lvm | after ',
    'pv:vg0/luks-disk0p1 | pvcreate --uuid IfFYCy-yQov-eFwD-21pI-0PRq-EtDC-CLd0wB --norestorefile --pvmetadatacopies 1 --metadatasize 1044480b --dataalignment 1048576b /dev/mapper/cryptlvm | after dev:luks-disk0p1',
    'pv:vg0/luks-disk1 | pvcreate --uuid SNRByA-dBQ1-1ysv-xpWJ-JyNE-LUHP-a5Lbb3 --norestorefile --pvmetadatacopies 2 --metadatasize 2097152b --dataalignment 1048576b /dev/mapper/cryptpv2 | after dev:luks-disk1',
    'file:/run/sysmanifest/lvm/vg0.tmeta.vg | tee /run/sysmanifest/lvm/vg0.tmeta.vg | after dir:lvm',
    'vg-meta:vg0 | vgcfgrestore -f /run/sysmanifest/lvm/vg0.tmeta.vg vg0 | after pv:vg0/luks-disk0p1,pv:vg0/luks-disk1,file:/run/sysmanifest/lvm/vg0.tmeta.vg',
    'tmeta-on:vg0/pool | lvchange --activate y vg0/pool-sysmanifest-tmeta | after vg-meta:vg0',
    'file:/run/sysmanifest/lvm/vg0-pool.thin.xml | tee /run/sysmanifest/lvm/vg0-pool.thin.xml | after dir:lvm',
    'thin-restore:vg0/pool | thin_restore -i /run/sysmanifest/lvm/vg0-pool.thin.xml -o /dev/mapper/vg0-pool--sysmanifest--tmeta | after tmeta-on:vg0/pool,file:/run/sysmanifest/lvm/vg0-pool.thin.xml',
    'tmeta-off:vg0/pool | lvchange --activate n vg0/pool-sysmanifest-tmeta | after thin-restore:vg0/pool',
    'file:/run/sysmanifest/lvm/vg0.vg | tee /run/sysmanifest/lvm/vg0.vg | after dir:lvm',
    'vg:vg0 | vgcfgrestore --force -f /run/sysmanifest/lvm/vg0.vg vg0 | after tmeta-off:vg0/pool,file:/run/sysmanifest/lvm/vg0.vg',
    'pvresize:vg0/luks-disk0p1 | pvresize /dev/mapper/cryptlvm | after vg:vg0',
    'pvresize:vg0/luks-disk1 | pvresize /dev/mapper/cryptpv2 | after vg:vg0',
    'dev:vg0/data-vol | lvchange --activate y vg0/data-vol | after pvresize:vg0/luks-disk0p1,pvresize:vg0/luks-disk1 | creates vg0/data-vol',
    'dev:vg0/pool | lvchange --activate y vg0/pool | after pvresize:vg0/luks-disk0p1,pvresize:vg0/luks-disk1 | creates vg0/pool',
    'dev:vg0/root | lvchange --activate y vg0/root | after pvresize:vg0/luks-disk0p1,pvresize:vg0/luks-disk1 | creates vg0/root',
    'dev:vg0/stripe | lvchange --activate y vg0/stripe | after pvresize:vg0/luks-disk0p1,pvresize:vg0/luks-disk1 | creates vg0/stripe',
    'dev:vg0/thin1 | lvchange --activate y vg0/thin1 | after pvresize:vg0/luks-disk0p1,pvresize:vg0/luks-disk1,dev:vg0/pool | creates vg0/thin1',
    'dev:vg0/lvol0_pmspare | lvs --noheadings -o lv_uuid vg0/lvol0_pmspare | after vg:vg0 | creates vg0/lvol0_pmspare',
    'dev:vg0/pool_tdata | lvs --noheadings -o lv_uuid vg0/pool_tdata | after dev:vg0/pool | creates vg0/pool_tdata',
    'dev:vg0/pool_tmeta | lvs --noheadings -o lv_uuid vg0/pool_tmeta | after dev:vg0/pool | creates vg0/pool_tmeta',
    'pv:vgmd/md-scratch | pvcreate --uuid 82ldir-mbDF-TgCe-pmcU-nI8S-gvyl-C02hfo --norestorefile --pvmetadatacopies 1 --metadatasize 1044480b --dataalignment 1048576b /dev/md/scratch | after dev:md-scratch',
    'file:/run/sysmanifest/lvm/vgmd.vg | tee /run/sysmanifest/lvm/vgmd.vg | after dir:lvm',
    'vg:vgmd | vgcfgrestore -f /run/sysmanifest/lvm/vgmd.vg vgmd | after pv:vgmd/md-scratch,file:/run/sysmanifest/lvm/vgmd.vg',
    'pvresize:vgmd/md-scratch | pvresize /dev/md/scratch | after vg:vgmd',
    'dev:vgmd/media | lvchange --activate y vgmd/media | after pvresize:vgmd/md-scratch | creates vgmd/media',
  ]);
  assert.deepEqual(steps.filter((s) => s.risk === 'read').map((s) => s.id), ['dev:vg0/lvol0_pmspare', 'dev:vg0/pool_tdata', 'dev:vg0/pool_tmeta']);
});

test('lvm plan: pvcreate resume checks are the PV identities blkid -p reported', async () => {
  const steps = plan(await guestPlanContext());
  const dm0 = parseBlkidExport(fx('blkid-dm-0.txt'));
  const md126 = parseBlkidExport(fx('blkid-md126.txt'));
  assert.deepEqual(steps.find((s) => s.id === 'pv:vg0/luks-disk0p1')!.check, { device: '/dev/mapper/cryptlvm', probe: { TYPE: dm0.TYPE, UUID: dm0.UUID } });
  assert.deepEqual(steps.find((s) => s.id === 'pv:vgmd/md-scratch')!.check, { device: '/dev/md/scratch', probe: { TYPE: md126.TYPE, UUID: md126.UUID } });
});

test('lvm plan: the md, luks and lvm planners together order without unknown steps or cycles (given the table steps)', async () => {
  const ctx = await guestPlanContext();
  const tables: Step[] = ['disk0', 'disk2', 'disk3', 'disk4'].map((d) => ({ id: `table:${d}`, title: d, argv: ['true'], risk: 'create', after: [] }));
  const ordered = orderSteps([...tables, ...mdPlan(ctx), ...luksPlan(ctx), ...plan(ctx)]);
  const pos = (id: string): number => ordered.findIndex((s) => s.id === id);
  assert.ok(pos('dev:md-scratch') < pos('pv:vgmd/md-scratch'));
  assert.ok(pos('dev:luks-disk1') < pos('pv:vg0/luks-disk1'));
  assert.ok(pos('tmeta-off:vg0/pool') < pos('vg:vg0'));
});

test('lvm metadata: vgmd renders as LVM2 text metadata (sectors; the smallest PV that holds the extents)', async () => {
  const vgmd = (await guestStorage()).lvm!.vgs![1]!;
  assert.equal(renderVgMetadata('x', vgmd), [
    'contents = "Text Format Volume Group"', 'version = 1', '', 'description = "sysmanifest rebuild of vgmd"', '',
    'vgmd {', '\tid = "zS1rGX-x5tA-Up3U-Oj0R-Svdz-a3Xj-k0k45W"', '\tseqno = 1', '\tformat = "lvm2"', '\tstatus = ["RESIZEABLE", "READ", "WRITE"]', '\tflags = []',
    '\textent_size = 8192', '\tmax_lv = 0', '\tmax_pv = 0', '\tmetadata_copies = 0', '',
    '\tphysical_volumes {', '', '\t\tpv0 {', '\t\t\tid = "82ldir-mbDF-TgCe-pmcU-nI8S-gvyl-C02hfo"', '\t\t\tstatus = ["ALLOCATABLE"]', '\t\t\tflags = []',
    '\t\t\tdev_size = 1312768', '\t\t\tpe_start = 2048', '\t\t\tpe_count = 160', '\t\t}', '\t}', '',
    '\tlogical_volumes {', '', '\t\tmedia {', '\t\t\tid = "2pw0C1-8a8h-H5mR-VMUg-B18C-J0oJ-lRhHP3"', '\t\t\tstatus = ["READ", "WRITE", "VISIBLE"]', '\t\t\tflags = []', '\t\t\tsegment_count = 1', '',
    '\t\t\tsegment1 {', '\t\t\t\tstart_extent = 0', '\t\t\t\textent_count = 160', '\t\t\t\ttype = "striped"', '\t\t\t\tstripe_count = 1', '\t\t\t\tstripes = ["pv0", 0]', '\t\t\t}',
    '\t\t}', '\t}', '}', '',
  ].join('\n'));
});

test('lvm metadata: vg0 keeps tags, two-segment root, the stripe, the thin pool and the thin LV with matching pool ids', async () => {
  const vg0 = (await guestStorage()).lvm!.vgs![0]!;
  const text = renderVgMetadata('x', vg0);
  const block = (name: string): string => {
    const i = text.indexOf(`\t\t${name} {`);
    return text.slice(i, text.indexOf('\n\t\t}', i) + 4);
  };
  assert.match(text, /\ttags = \["role-os", "site_a"\]\n/);
  assert.match(text, /\textent_size = 16384\n/);
  assert.match(block('root'), /tags = \["os"\][^]*segment_count = 2[^]*stripes = \["pv0", 0\][^]*start_extent = 32\n\t+extent_count = 8\n[^]*stripes = \["pv1", 12\]/);
  assert.match(block('stripe'), /stripe_count = 2\n\t+stripe_size = 128\n\t+stripes = \["pv0", 32, "pv1", 20\]/);
  assert.match(block('pool'), /type = "thin-pool"\n\t+metadata = "pool_tmeta"\n\t+pool = "pool_tdata"\n\t+transaction_id = 1\n\t+chunk_size = 256\n\t+discards = "passdown"\n\t+zero_new_blocks = 0/);
  assert.match(block('thin1'), /tags = \["thin"\][^]*type = "thin"\n\t+thin_pool = "pool"\n\t+transaction_id = 0\n\t+device_id = 1/);
  assert.match(block('pool_tmeta'), /status = \["READ", "WRITE"\]/);
  assert.equal(thinRestoreXml('x', vg0, vg0.lvs!.find((l) => l.name === 'pool')!), [
    '<superblock uuid="" time="0" transaction="1" version="2" data_block_size="256" nr_data_blocks="2048">',
    '  <device dev_id="1" mapped_blocks="0" transaction="0" creation_time="0" snap_time="0">', '  </device>', '</superblock>', '',
  ].join('\n'));
  // The first restore: no pools or thin LVs; the pool's metadata extents as a visible LV, same UUID.
  const meta = renderVgMetadata('x', vg0, { metaOnly: true });
  assert.doesNotMatch(meta, /type = "thin|thin1|pool_tdata|pmspare/);
  assert.match(meta, /\t\tpool-sysmanifest-tmeta \{\n\t\t\tid = "4GTRcD-NzJL-Y0eX-tOJ9-VI8i-YhS5-0rFqfy"\n\t\t\tstatus = \["READ", "WRITE", "VISIBLE"\]/);
});

test('lvm plan: --dataalignment reproduces pe_start after the metadata area (the fixture PVs, and odd ones)', () => {
  assert.equal(dataAlignment(1048576, 1044480), 1048576);
  assert.equal(dataAlignment(3145728, 2097152), 1048576);
  assert.equal(dataAlignment(196608, 188416), 65536);
  assert.equal(dataAlignment(1052672, 1044480), 1052672, 'no alignment fits: pe_start wins');
});

test('lvm plan: raid/cache LVs and unsupported VGs are refused with the reason', async () => {
  const s = await guestStorage();
  const vgmd = s.lvm!.vgs![1]!;
  const ctxWith = (vg: typeof vgmd) => buildPlanContext(guestManifest({ ...s, lvm: { vgs: [vg] } }), TARGETS, new Set());
  const raid = { ...vgmd, lvs: [{ ...vgmd.lvs![0]!, segments: [{ ...vgmd.lvs![0]!.segments[0]!, type: 'raid1' }] }] };
  assert.throws(() => plan(ctxWith(raid)), (e: unknown) => e instanceof UserError && /LV media has a raid1 segment/.test(e.message));
  assert.throws(() => plan(ctxWith({ ...vgmd, unsupported: { reason: 'PV missing' } })), (e: unknown) => e instanceof UserError && /cannot be recreated: PV missing/.test(e.message));
});

test('lvm metadata: a name or tag LVM would not take is refused, whatever the schema said (no section or line can be added)', async () => {
  const vg = (await guestStorage()).lvm!.vgs![1]!;
  const hostile: [string, (v: typeof vg) => typeof vg][] = [
    ['LV name with a brace', (v) => ({ ...v, lvs: v.lvs!.map((l) => ({ ...l, name: 'media {\n\tx' })) })],
    ['LV name with a quote', (v) => ({ ...v, lvs: v.lvs!.map((l) => ({ ...l, name: 'me"dia' })) })],
    ['LV name starting with -', (v) => ({ ...v, lvs: v.lvs!.map((l) => ({ ...l, name: '-media' })) })],
    ['VG name ..', (v) => ({ ...v, name: '..' })],
    ['VG name of 128 characters', (v) => ({ ...v, name: 'v'.repeat(128) })],
    ['a tag with a newline', (v) => ({ ...v, tags: ['ok', 'x\n}'] })],
  ];
  for (const [what, edit] of hostile) {
    assert.throws(() => renderVgMetadata('storage.lvm.vgs[1]', edit(vg)), (e: unknown) => e instanceof UserError && /is not a name LVM accepts/.test(e.message), what);
  }
  // Unusual names LVM does take are rendered.
  assert.match(renderVgMetadata('x', { ...vg, name: 'a+b.c_d-e', lvs: vg.lvs!.map((l) => ({ ...l, name: `m+${'e'.repeat(120)}` })) }), /^a\+b\.c_d-e \{$/m);
});
