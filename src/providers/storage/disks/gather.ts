// Read-only facts about whole disks: identity from sysfs (no udev database, no
// /dev/disk/by-id: a live system or a test guest may run without udev) and the partition
// table from `sfdisk --json` (read-only invocation).
import { commandFailed } from '../../../core/runner/exec.ts';
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import type { BlockDevice } from '../types.ts';
import { isNoTableError, normalizeIdString, parseVpdPg80 } from './parse.ts';

export interface DiskIdentity {
  readonly kname: string;
  /** Kernel device node at capture (/dev/sda). */
  readonly path: string;
  readonly serial?: string;
  readonly wwn?: string;
  readonly model?: string;
  readonly vendor?: string;
  readonly sizeBytes: number;
  readonly logicalSectorSize: number;
  readonly physicalSectorSize: number;
}

// Some identity attributes exist but refuse to be read when the device has no such value:
// virtio-scsi's device/wwid fails with EINVAL when the disk reports no usable VPD 0x83
// designator (seen in the test guest, see __fixtures__/README.md). That is "no value".
const NO_VALUE_ERRNO = new Set(['EINVAL', 'ENODATA', 'EOPNOTSUPP']);

function isNoValue(e: unknown): boolean {
  return NO_VALUE_ERRNO.has((e as NodeJS.ErrnoException | undefined)?.code ?? '');
}

async function attr(r: ReadOnlyRunner, path: string): Promise<string | undefined> {
  try {
    return normalizeIdString(await r.readFileOptional(path));
  } catch (e) {
    if (isNoValue(e)) return undefined;
    throw e;
  }
}

async function vpdSerial(r: ReadOnlyRunner, path: string): Promise<string | undefined> {
  if (!(await r.exists(path))) return undefined;
  try {
    return parseVpdPg80(await r.readBytes(path, 0, 4096));
  } catch (e) {
    if (isNoValue(e)) return undefined;
    throw e;
  }
}

async function firstOf(...reads: Array<() => Promise<string | undefined>>): Promise<string | undefined> {
  for (const read of reads) {
    const v = await read();
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Identity of one whole disk from /sys/block/KNAME (see /work/shared/vm/README.md "Disk serials"). */
export async function gatherIdentity(r: ReadOnlyRunner, dev: BlockDevice): Promise<DiskIdentity> {
  const sys = `/sys/block/${dev.kname}`;
  const serial = await firstOf(
    () => attr(r, `${sys}/serial`), // virtio-blk
    () => attr(r, `${sys}/device/serial`), // nvme controller (space padded), some scsi/mmc
    () => vpdSerial(r, `${sys}/device/vpd_pg80`), // scsi, sata (SAT translation)
  );
  const wwn = await firstOf(
    () => attr(r, `${sys}/wwid`), // nvme namespace: the kernel's best of uuid / nguid / eui / nvme.VID-SN-MN-NSID
    () => attr(r, `${sys}/device/wwid`), // scsi: naa. / eui. / t10.
    () => attr(r, `${sys}/eui`),
    () => attr(r, `${sys}/nguid`),
  );
  const model = await attr(r, `${sys}/device/model`);
  // virtio-blk's device is the virtio device, whose `vendor` is the virtio subsystem
  // vendor id (0x1af4), not a drive vendor: only SCSI-like devices have a real one.
  let vendor: string | undefined;
  if (await r.exists(`${sys}/device`)) {
    const target = (await r.readLink(`${sys}/device`)).split('/').pop() ?? '';
    if (!/^virtio\d+$/.test(target)) vendor = await attr(r, `${sys}/device/vendor`);
  }
  return {
    kname: dev.kname,
    path: `/dev/${dev.kname}`,
    ...(serial !== undefined ? { serial } : {}),
    ...(wwn !== undefined ? { wwn } : {}),
    ...(model !== undefined ? { model } : {}),
    ...(vendor !== undefined ? { vendor } : {}),
    sizeBytes: dev.sizeBytes,
    logicalSectorSize: dev.logicalSectorSize,
    physicalSectorSize: dev.physicalSectorSize,
  };
}

/** Raw partition-table facts: sfdisk's JSON, or that sfdisk found no table. */
export type TableFacts = { readonly kind: 'table'; readonly sfdiskJson: string } | { readonly kind: 'none'; readonly sfdiskStderr: string };

export async function gatherTable(r: ReadOnlyRunner, dev: BlockDevice): Promise<TableFacts> {
  // sfdisk exits 1 both for "no partition table" (a fact) and for real failures: only the
  // known no-table message counts as "none", anything else is an error (fail closed).
  const res = await r.run(['sfdisk', '--json', `/dev/${dev.kname}`], { okExitCodes: [1] });
  if (res.exitCode === 0) return { kind: 'table', sfdiskJson: res.stdout };
  if (isNoTableError(res.stderr)) return { kind: 'none', sfdiskStderr: res.stderr.trim() };
  throw commandFailed(res);
}
