// Read-only facts about md arrays in scope: mdadm's view of the array (uuid, name, level,
// metadata, member roles) and the kernel's (sysfs: chunk, component size, bitmap, data
// offsets). Reading the array's sysfs and asking mdadm about an assembled array does not
// touch its members.
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import type { BlockDevice, Inventory } from '../types.ts';
import { naturalCompare } from '../../../core/natural.ts';

export interface MdMemberSys {
  readonly slot: string;
  /** Data offset in 512-byte sectors. */
  readonly offset: string;
  readonly state: string;
}

export interface MdSys {
  readonly chunkSize: string;
  readonly componentSize: string;
  readonly bitmapLocation?: string;
  readonly bitmapChunkSize?: string;
  /** By member kname (sysfs dev-KNAME). */
  readonly members: Readonly<Record<string, MdMemberSys>>;
}

export type MdFacts =
  | { readonly kind: 'md'; readonly dev: BlockDevice; readonly detailExport: string; readonly detail: string; readonly sys: MdSys }
  | { readonly kind: 'unsupported'; readonly dev: BlockDevice; readonly reason: string };

export function mdDevices(inv: Inventory, scope: ReadonlySet<string>): BlockDevice[] {
  return Object.values(inv.devices)
    .filter((d) => d.kind === 'md' && scope.has(d.kname))
    .sort((a, b) => naturalCompare(a.kname, b.kname));
}

export const detailExportArgv = (dev: BlockDevice): string[] => ['mdadm', '--detail', '--export', `/dev/${dev.kname}`];
export const detailArgv = (dev: BlockDevice): string[] => ['mdadm', '--detail', `/dev/${dev.kname}`];

async function read(r: ReadOnlyRunner, path: string): Promise<string> {
  return (await r.readFile(path)).trim();
}

async function readOptional(r: ReadOnlyRunner, path: string): Promise<string | undefined> {
  return (await r.readFileOptional(path))?.trim();
}

export async function gatherMdSys(r: ReadOnlyRunner, kname: string): Promise<MdSys> {
  const md = `/sys/block/${kname}/md`;
  const members: Record<string, MdMemberSys> = {};
  for (const entry of await r.readDir(md)) {
    if (!entry.startsWith('dev-')) continue;
    members[entry.slice(4)] = {
      slot: await read(r, `${md}/${entry}/slot`),
      offset: await read(r, `${md}/${entry}/offset`),
      state: await read(r, `${md}/${entry}/state`),
    };
  }
  const bitmapLocation = await readOptional(r, `${md}/bitmap/location`);
  const bitmapChunkSize = await readOptional(r, `${md}/bitmap/chunksize`);
  return {
    chunkSize: await read(r, `${md}/chunk_size`),
    componentSize: await read(r, `${md}/component_size`),
    ...(bitmapLocation !== undefined ? { bitmapLocation } : {}),
    ...(bitmapChunkSize !== undefined ? { bitmapChunkSize } : {}),
    members,
  };
}

export async function gatherMd(r: ReadOnlyRunner, inv: Inventory, scope: ReadonlySet<string>): Promise<MdFacts[]> {
  const out: MdFacts[] = [];
  for (const dev of mdDevices(inv, scope)) {
    if (dev.unreadable !== undefined) {
      out.push({ kind: 'unsupported', dev, reason: `md array not readable: ${dev.unreadable}` });
      continue;
    }
    const detailExport = (await r.run(detailExportArgv(dev))).stdout;
    const detail = (await r.run(detailArgv(dev))).stdout;
    out.push({ kind: 'md', dev, detailExport, detail, sys: await gatherMdSys(r, dev.kname) });
  }
  return out;
}
