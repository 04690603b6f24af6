// Read-only facts about LUKS containers in scope: the header dump, nothing else. Which
// devices: those blkid -p calls crypto_LUKS, and those with an open dm-crypt LUKS mapping
// on top (sysfs holders, dm uuid CRYPT-LUKS…) even when blkid could not read them.
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import type { BlockDevice, Inventory } from '../types.ts';
import { naturalCompare } from '../../../core/natural.ts';

export type LuksFacts =
  | { readonly kind: 'luks2'; readonly dev: BlockDevice; readonly json: string }
  | { readonly kind: 'luks1'; readonly dev: BlockDevice; readonly dump: string }
  | { readonly kind: 'unsupported'; readonly dev: BlockDevice; readonly reason: string };

const CRYPT_LUKS = /^CRYPT-LUKS([12])-/;

/** The open LUKS mapping on `dev` (a holder whose dm uuid is CRYPT-LUKS1-…/CRYPT-LUKS2-…). */
export function mappingOf(inv: Inventory, dev: BlockDevice): BlockDevice | undefined {
  return dev.holders.map((h) => inv.devices[h]).find((h) => h?.dm !== undefined && CRYPT_LUKS.test(h.dm.uuid));
}

/** LUKS devices among `scope`, in kernel-name order. */
export function luksDevices(inv: Inventory, scope: ReadonlySet<string>): BlockDevice[] {
  return Object.values(inv.devices)
    .filter((d) => scope.has(d.kname) && (d.probe.TYPE === 'crypto_LUKS' || mappingOf(inv, d) !== undefined))
    .sort((a, b) => naturalCompare(a.kname, b.kname));
}

/** The header version: blkid's VERSION, else the one in the open mapping's dm uuid. */
function versionOf(inv: Inventory, dev: BlockDevice): string | undefined {
  if (dev.probe.VERSION !== undefined) return dev.probe.VERSION;
  const dm = mappingOf(inv, dev)?.dm;
  return dm ? CRYPT_LUKS.exec(dm.uuid)?.[1] : undefined;
}

export const luks2DumpArgv = (dev: BlockDevice): string[] => ['cryptsetup', 'luksDump', '--dump-json-metadata', `/dev/${dev.kname}`];
export const luks1DumpArgv = (dev: BlockDevice): string[] => ['cryptsetup', 'luksDump', `/dev/${dev.kname}`];

export async function gatherLuks(r: ReadOnlyRunner, inv: Inventory, scope: ReadonlySet<string>): Promise<LuksFacts[]> {
  const out: LuksFacts[] = [];
  for (const dev of luksDevices(inv, scope)) {
    // Never open a device the inventory could not read: say so instead.
    if (dev.unreadable !== undefined) {
      out.push({ kind: 'unsupported', dev, reason: `LUKS header not readable: ${dev.unreadable}` });
      continue;
    }
    const version = versionOf(inv, dev);
    // By kernel node: /dev/KNAME always exists (devtmpfs), /dev/mapper links may not without udev.
    if (version === '2') out.push({ kind: 'luks2', dev, json: (await r.run(luks2DumpArgv(dev))).stdout });
    else if (version === '1') out.push({ kind: 'luks1', dev, dump: (await r.run(luks1DumpArgv(dev))).stdout });
    else out.push({ kind: 'unsupported', dev, reason: `LUKS header version ${JSON.stringify(version ?? '')} is not supported` });
  }
  return out;
}
