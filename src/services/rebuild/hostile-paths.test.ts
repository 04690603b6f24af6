// Class 1 of issue 11 at planner level: a manifest path or device name that would lead outside
// the target (or to another device) is refused by the planner itself — even when the manifest
// was never validated — with an error naming the manifest path; the good manifests still plan.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { UserError } from '../../core/errors.ts';
import type { Dataset, Manifest } from '../../core/manifest/types.gen.ts';
import { buildPlanContext } from '../../core/plan/context.ts';
import { plan as planBtrfs } from '../../providers/filesystems/btrfs/plan.ts';
import { plan as planLuks } from '../../providers/storage/luks/plan.ts';
import { mdadmCreateArgv } from '../../providers/storage/mdraid/plan.ts';
import { captureDatasets, defaultCachePath } from '../../providers/system/datasets/capture.ts';
import { mountSteps } from './mounts.ts';

const example = (name: string): Manifest => parse(readFileSync(new URL(`../../../manifests/${name}`, import.meta.url), 'utf8')) as Manifest;
const disksOf = (m: Manifest): Record<string, string> => Object.fromEntries((m.storage?.disks ?? []).map((d, i) => [d.id, `/dev/vd${'bcdefgh'[i]}`]));
const refused = (where: RegExp) => (e: unknown) => e instanceof UserError && where.test(e.message);

test('mounts: a mount point with ".." never leads outside --target', () => {
  const m = example('laptop-luks-lvm.yaml');
  const fstab = (file: string) => ({ spec: 'UUID=x', device: 'laptop/home', file, vfstype: 'ext4', options: 'defaults', freq: 0, passno: 2 });
  const ctx = buildPlanContext(m, disksOf(m), new Set());
  const mkfsOf = (d: string) => (d === 'laptop/home' ? 'mkfs:laptop/home' : undefined);
  const good = mountSteps({ ...m, mounts: { fstab: [fstab('/home')], crypttab: [] } }, ctx, '/mnt/t', mkfsOf);
  assert.deepEqual(good.map((s) => s.argv.at(-1)), ['/mnt/t/home', '/mnt/t/home']);
  for (const bad of ['/srv/../../../x', '/home/..', '//x', '/x/', '/./x', '/x\n/y']) {
    assert.throws(() => mountSteps({ ...m, mounts: { fstab: [fstab('/boot'), fstab(bad)], crypttab: [] } }, ctx, '/mnt/t', mkfsOf), refused(/^mounts\.fstab\[1\]\.file: /), bad);
  }
});

test('btrfs: a subvolume path with ".." (or a hostile uuid) is refused before any step', () => {
  const m = example('btrfs-desktop.yaml');
  const ctx = (mm: Manifest) => buildPlanContext(mm, disksOf(mm), new Set());
  const steps = planBtrfs(ctx(m));
  assert.ok(steps.some((s) => s.argv.join(' ').startsWith('btrfs subvolume create /run/sysmanifest/mnt-')), 'the example plans');
  const withFs = (edit: (b: Record<string, unknown>, fs: Record<string, unknown>) => void): Manifest => {
    const mm = structuredClone(m);
    const fs = mm.storage!.filesystems!.find((f) => f.type === 'btrfs')! as unknown as Record<string, unknown>;
    edit(fs.btrfs as Record<string, unknown>, fs);
    return mm;
  };
  const sub = (b: Record<string, unknown>) => (b.subvolumes as Array<Record<string, unknown>>)[0]!;
  for (const bad of ['../x', '../../../../etc/x', '@/../../x', '/abs', '@//x']) {
    assert.throws(() => planBtrfs(ctx(withFs((b) => (sub(b).path = bad)))), refused(/btrfs\.subvolumes\[0\]\.path: /), bad);
  }
  assert.throws(() => planBtrfs(ctx(withFs((b) => (sub(b).snapshotOf = '../../x')))), refused(/subvolumes\[0\]\.snapshotOf/));
  assert.throws(() => planBtrfs(ctx(withFs((b) => (b.defaultSubvolume = '../x')))), refused(/defaultSubvolume/));
  assert.throws(() => planBtrfs(ctx(withFs((_b, fs) => (fs.uuid = '../../../tmp/x')))), refused(/\.uuid: /));
});

test('md: a name "../vda" never becomes /dev/md/../vda', () => {
  const m = example('server-md-raid1.yaml');
  const md = m.storage!.mdraid![0]!;
  assert.equal(buildPlanContext(m, disksOf(m), new Set()).devicePath(md.id), `/dev/md/${md.name}`);
  const bad = structuredClone(m);
  bad.storage!.mdraid![0]!.name = '../vda';
  assert.throws(() => buildPlanContext(bad, disksOf(bad), new Set()), refused(/^storage\.mdraid\[0\]\.name: "\.\.\/vda"/));
  assert.throws(() => mdadmCreateArgv('storage.mdraid[0]', bad.storage!.mdraid![0]!, () => '/dev/vdb1', false), refused(/storage\.mdraid\[0\]\.name/));
  const host = structuredClone(m);
  host.storage!.mdraid![0]!.homehost = 'x --run';
  assert.throws(() => mdadmCreateArgv('storage.mdraid[0]', host.storage!.mdraid![0]!, () => '/dev/vdb1', false), refused(/homehost/));
});

test('LUKS: a mapping "../vda" never becomes /dev/mapper/../vda', () => {
  const m = example('laptop-luks-lvm.yaml');
  assert.equal(buildPlanContext(m, disksOf(m), new Set()).devicePath(m.storage!.luks![0]!.id), '/dev/mapper/cryptroot');
  for (const bad of ['../vda', 'a/b', '..', 'control', 'x\ny']) {
    const mm = structuredClone(m);
    mm.storage!.luks![0]!.mapping = bad;
    assert.throws(() => buildPlanContext(mm, disksOf(mm), new Set()), refused(/^storage\.luks\[0\]\.mapping: /), bad);
    // The planner itself too, whatever context it is handed.
    const good = buildPlanContext(m, disksOf(m), new Set());
    assert.throws(() => planLuks({ ...good, manifest: mm }), refused(/storage\.luks\[0\].*mapping/), bad);
  }
  const vg = structuredClone(m);
  vg.storage!.lvm!.vgs![0]!.name = 'a/../../vda';
  assert.throws(() => buildPlanContext(vg, disksOf(vg), new Set()), refused(/storage\.lvm\.vgs\[0\]\.lvs\[0\]\.name/));
});

test('datasets: a path escaping --root is refused, a symlinked one stays inside, the cache is never written into the root', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-ds-'));
  try {
    const R = join(tmp, 'root');
    const outside = join(tmp, 'outside');
    mkdirSync(join(R, 'srv'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(outside, 'host-file'), 'HOST');
    symlinkSync(outside, join(R, 'srv/data')); // absolute, to a host directory: R + that path, absent
    const d = (path: string, name = 'photos'): Dataset => ({ name, path, role: 'copy', kind: 'rsync', sources: ['x:/y'] }) as unknown as Dataset;
    await assert.rejects(captureDatasets([d('/srv/../../outside')], { root: R, cachePath: () => join(tmp, 'c.json') }), refused(/^datasets\[0\]\.path: /));
    const r = await captureDatasets([d('/srv/data')], { root: R, cachePath: () => join(tmp, 'c.json') });
    assert.deepEqual(r.absent, ['photos'], 'the symlink to a host directory is not followed out of the root');
    assert.equal(r.datasets[0]!.expect, undefined);
    assert.match(defaultCachePath(R, d('/srv/data')), /^\/var\/cache\/sysmanifest\/datasets\/photos-[0-9a-f]{12}\.json$/);
    assert.notEqual(defaultCachePath(R, d('/srv/data')), defaultCachePath('/', d('/srv/data')), 'two roots never share a cache');
    assert.throws(() => defaultCachePath(R, d('/srv/data', '../../../etc/x'), 'datasets[0].name'), refused(/^datasets\[0\]\.name: /));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
