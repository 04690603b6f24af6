import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ParseError, UserError } from '../../../core/errors.ts';
import { validateSchema } from '../../../core/manifest/validate.ts';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import type { FakeCommand } from '../../../core/runner/fake.ts';
import { assignIds } from '../ids.ts';
import { stackAbove } from '../inventory/gather.ts';
import type { Inventory } from '../types.ts';
import { parseMdDetailExport, parseMdDetailLayout, provider } from './index.ts';

// The guest of __fixtures__/README.md: its own inventory (sysfs + blkid -p) dumped in the same boot.
const fx = (name: string): string => fixture(import.meta.url, `__fixtures__/${name}`);
const guest = JSON.parse(fx('inventory.json')) as Inventory;
const DISKS = ['vda', 'vdb', 'vdc', 'vdd', 'vde'];
const ids = assignIds(guest, DISKS);
const allScope = new Set(DISKS.flatMap((k) => stackAbove(guest, k)));

/** __fixtures__/sys/… → { '/sys/…': content } (copies of the guest's sysfs md attributes). */
function sysFiles(): Record<string, string> {
  const root = fileURLToPath(new URL('__fixtures__/', import.meta.url));
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(root, rel))) {
      const r = join(rel, e);
      if (statSync(join(root, r)).isDirectory()) walk(r);
      else out[`/${r}`] = readFileSync(join(root, r), 'utf8');
    }
  };
  walk('sys');
  return out;
}

const COMMANDS: Record<string, string> = {
  'mdadm --detail --export /dev/md126': fx('mdadm-detail-export-md126.txt'),
  'mdadm --detail /dev/md126': fx('mdadm-detail-md126.txt'),
  'mdadm --detail --export /dev/md127': fx('mdadm-detail-export-md127.txt'),
  'mdadm --detail /dev/md127': fx('mdadm-detail-md127.txt'),
};

function ctx(opts: { inventory?: Inventory; scope?: ReadonlySet<string>; commands?: Record<string, string | FakeCommand>; files?: Record<string, string> } = {}) {
  const runner = new FakeRunner({ commands: opts.commands ?? COMMANDS, files: opts.files ?? sysFiles() });
  return { runner, inventory: opts.inventory ?? guest, ids, scope: opts.scope ?? allScope };
}

const EXPECTED = [
  {
    id: 'md-data', name: 'data', homehost: 'fileserver', uuid: '8d8b9cee:1eb3f3dd:ecd984a7:8b489f58', level: 'raid1',
    metadata: '1.2', raidDevices: 2, componentSize: 628097024, dataOffset: 1048576,
    bitmap: { type: 'internal', offset: 8, chunkSize: 67108864 },
    members: [{ on: 'disk2p1', role: 0 }, { on: 'disk3p1', role: 1 }],
    spares: ['disk4p1'],
  },
  {
    id: 'md-scratch', name: 'scratch', homehost: 'fileserver', uuid: '64e32a3c:a2486b50:3130945e:c0d80d53', level: 'raid5',
    metadata: '1.0', raidDevices: 3, chunkSize: 65536, layout: 'left-symmetric', componentSize: 337575936, dataOffset: 0,
    bitmap: { type: 'none' },
    members: [{ on: 'disk2p2', role: 0 }, { on: 'disk3p2', role: 1 }, { on: 'disk4p2', role: 2 }],
  },
];

test('mdraid: RAID1 with spare and internal bitmap, RAID5 with metadata 1.0, exactly as mdadm and sysfs report them', async () => {
  const c = ctx();
  assert.deepEqual(await provider.contribute(c), { storage: { mdraid: EXPECTED } });
  assert.deepEqual(c.runner.calls.map((a) => a.join(' ')).sort(), Object.keys(COMMANDS).sort());
});

test('mdraid: values agree with mdadm\'s own text (--detail, --examine) and with the id map', async () => {
  const [data, scratch] = (await provider.contribute(ctx())).storage!.mdraid!;
  const usedDevKiB = (t: string): number => Number(/Used Dev Size : (\d+)/.exec(t)![1]);
  assert.equal(data!.componentSize, usedDevKiB(fx('mdadm-detail-md127.txt')) * 1024);
  assert.equal(scratch!.componentSize, usedDevKiB(fx('mdadm-detail-md126.txt')) * 1024);
  assert.equal(data!.dataOffset, Number(/Data Offset : (\d+) sectors/.exec(fx('mdadm-examine-vdc1.txt'))![1]) * 512);
  assert.equal(scratch!.chunkSize, Number(/Chunk Size : (\d+)K/.exec(fx('mdadm-examine-vde2.txt'))![1]) * 1024);
  assert.equal(data!.bitmap!.offset, Number(/Internal Bitmap : (\d+) sectors from superblock/.exec(fx('mdadm-examine-vdc1.txt'))![1]));
  // blkid's member LABEL (homehost:name) is what ids.ts names arrays by.
  assert.equal(fx('blkid-vdc1.txt').match(/^LABEL=(.*)$/m)![1], `${data!.homehost}:${data!.name}`);
  assert.deepEqual([ids.md127, ids.md126], [data!.id, scratch!.id]);
});

test('mdraid: only arrays in scope are read', async () => {
  const scope = new Set(['vdc', 'vdc1', 'md127']);
  const c = ctx({ scope });
  const out = await provider.contribute(c);
  assert.deepEqual(out.storage!.mdraid!.map((a) => a.id), ['md-data']);
  assert.deepEqual(c.runner.calls.map((a) => a.join(' ')), ['mdadm --detail --export /dev/md127', 'mdadm --detail /dev/md127']);
});

test('mdraid: an unreadable array is unsupported and mdadm is not asked', async () => {
  const md127 = { ...guest.devices.md127!, probe: {}, unreadable: 'blkid -p /dev/md127: Permission denied' };
  const c = ctx({ inventory: { ...guest, devices: { ...guest.devices, md127 } }, scope: new Set(['md127']) });
  assert.deepEqual(await provider.contribute(c), { storage: { mdraid: [{ id: 'md-data', unsupported: { reason: 'md array not readable: blkid -p /dev/md127: Permission denied' } }] } });
  assert.deepEqual(c.runner.calls, []);
});

test('mdraid: a faulty member is not dropped silently', async () => {
  const commands = { ...COMMANDS, 'mdadm --detail --export /dev/md127': fx('mdadm-detail-export-md127.txt').replace('MD_DEVICE_dev_vde1_ROLE=spare', 'MD_DEVICE_dev_vde1_ROLE=faulty') };
  const out = await provider.contribute(ctx({ commands }));
  assert.deepEqual(out.storage!.mdraid![0]!.unsupported, { reason: 'member /dev/vde1 is faulty' });
});

test('mdraid: members with different data offsets keep one each', async () => {
  const files = { ...sysFiles(), '/sys/block/md127/md/dev-vdd1/offset': '4096\n' };
  const data = (await provider.contribute(ctx({ files }))).storage!.mdraid![0]!;
  assert.equal(data.dataOffset, undefined);
  assert.deepEqual(data.members, [{ on: 'disk2p1', role: 0, dataOffset: 1048576 }, { on: 'disk3p1', role: 1, dataOffset: 2097152 }]);
});

test('mdraid: a failing mdadm makes contribute() reject', async () => {
  const commands = { ...COMMANDS, 'mdadm --detail /dev/md126': { exitCode: 1, stderr: 'mdadm: cannot open /dev/md126: No such file or directory\n' } };
  await assert.rejects(provider.contribute(ctx({ commands })), (e: unknown) => e instanceof UserError && e.code === 'COMMAND_FAILED' && /md126/.test(e.message));
});

test('mdraid: a missing sysfs attribute is an error, not a default', async () => {
  const files = sysFiles();
  delete files['/sys/block/md126/md/chunk_size'];
  await assert.rejects(provider.contribute(ctx({ files })), /chunk_size/);
});

test('mdraid: parsers reject what mdadm does not print', () => {
  assert.throws(() => parseMdDetailExport('MD_DEVICES=2\n'), ParseError);
  assert.throws(() => parseMdDetailExport('mdadm: md device /dev/md9 does not appear to be active.\n'), ParseError);
  assert.throws(() => parseMdDetailLayout(''), ParseError);
  assert.equal(parseMdDetailLayout(fx('mdadm-detail-md127.txt')), undefined);
});

test('mdraid: the captured section is valid against schemas/storage/mdraid.schema.json', async () => {
  const out = await provider.contribute(ctx());
  assert.deepEqual(validateSchema({ apiVersion: 'sysmanifest/v1', host: {}, storage: out.storage }).filter((i) => i.path[0] === 'storage'), []);
  const bad = { mdraid: [{ ...EXPECTED[0]!, uuid: '8d8b9cee-1eb3-f3dd' }] };
  assert.notDeepEqual(validateSchema({ apiVersion: 'sysmanifest/v1', host: {}, storage: bad }).filter((i) => i.path[0] === 'storage'), []);
});
