// Test helper for the storage planners: the manifest the luks, lvm and mdraid providers
// capture from the guest of their __fixtures__ (one boot, same README), obtained by running
// the providers themselves over those fixtures with the fake runner. Only the disks section
// is written here (the partition numbers of guest-layout.sh): the planners need it for paths.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Manifest, Storage } from '../../core/manifest/types.gen.ts';
import { buildPlanContext, type PlanContext } from '../../core/plan/context.ts';
import { FakeRunner } from '../../core/runner/fake.ts';
import { assignIds } from './ids.ts';
import { stackAbove } from './inventory/gather.ts';
import { provider as luks } from './luks/index.ts';
import { provider as lvm } from './lvm/index.ts';
import { provider as mdraid } from './mdraid/index.ts';
import type { Inventory } from './types.ts';

const dir = (p: string): string => fileURLToPath(new URL(`${p}/__fixtures__/`, import.meta.url));
const read = (p: string, name: string): string => readFileSync(join(dir(p), name), 'utf8');

function sysFiles(): Record<string, string> {
  const root = dir('mdraid');
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

const part = (disk: string, number: number) => ({ id: `${disk}p${number}`, number, start: 2048, size: 2048, type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4' });
const disk = (i: number, parts: number) => ({
  id: `disk${i}`,
  match: { sizeBytes: (i < 2 ? 2 : 1) * 1024 ** 3, serial: `SER${'ABCDE'[i]}` },
  logicalSectorSize: 512,
  physicalSectorSize: 512,
  ...(parts > 0 ? { table: { type: 'gpt' as const, id: `0000000${i}-0000-4000-8000-000000000000` }, partitions: Array.from({ length: parts }, (_, k) => part(`disk${i}`, k + 1)) } : {}),
});

export async function guestStorage(): Promise<Storage> {
  const guest = JSON.parse(read('lvm', 'inventory.json')) as Inventory;
  const DISKS = ['vda', 'vdb', 'vdc', 'vdd', 'vde'];
  const ids = assignIds(guest, DISKS);
  const scope = new Set(DISKS.flatMap((k) => stackAbove(guest, k)));
  const runner = new FakeRunner({
    commands: {
      'cryptsetup luksDump --dump-json-metadata /dev/vda1': read('luks', 'luksDump-json-vda1.json'),
      'cryptsetup luksDump --dump-json-metadata /dev/vda2': read('luks', 'luksDump-json-vda2.json'),
      'cryptsetup luksDump --dump-json-metadata /dev/vdb': read('luks', 'luksDump-json-vdb.json'),
      'cryptsetup luksDump /dev/md127': read('luks', 'luksDump-md127.txt'),
      'mdadm --detail --export /dev/md126': read('mdraid', 'mdadm-detail-export-md126.txt'),
      'mdadm --detail /dev/md126': read('mdraid', 'mdadm-detail-md126.txt'),
      'mdadm --detail --export /dev/md127': read('mdraid', 'mdadm-detail-export-md127.txt'),
      'mdadm --detail /dev/md127': read('mdraid', 'mdadm-detail-md127.txt'),
      [(await import('./lvm/gather.ts')).VGS_ARGV.join(' ')]: read('lvm', 'vgs.json'),
      [(await import('./lvm/gather.ts')).PVS_ARGV.join(' ')]: read('lvm', 'pvs.json'),
      [(await import('./lvm/gather.ts')).LVS_ARGV.join(' ')]: read('lvm', 'lvs.json'),
    },
    files: sysFiles(),
  });
  const ctx = { runner, inventory: guest, ids, scope };
  const [l, v, m] = await Promise.all([luks.contribute(ctx), lvm.contribute(ctx), mdraid.contribute(ctx)]);
  return { disks: [disk(0, 2), disk(1, 0), disk(2, 2), disk(3, 2), disk(4, 2)], mdraid: m.storage!.mdraid!, luks: l.storage!.luks!, lvm: v.storage!.lvm! };
}

export function guestManifest(storage: Storage): Manifest {
  return { apiVersion: 'sysmanifest/v1', host: { hostname: 'fileserver' }, storage };
}

/** The guest's disks rebuilt onto sdb … sdf. */
export const TARGETS = { disk0: '/dev/sdb', disk1: '/dev/sdc', disk2: '/dev/sdd', disk3: '/dev/sde', disk4: '/dev/sdf' };

export async function guestPlanContext(): Promise<PlanContext> {
  return buildPlanContext(guestManifest(await guestStorage()), TARGETS, new Set());
}
