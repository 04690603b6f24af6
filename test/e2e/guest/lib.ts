// Guest-side helpers for the end-to-end tier. These tests run INSIDE the qemu test guest
// (test/e2e/vm.test.ts boots it), share one guest and its scratch disks, and therefore
// find their disks by serial, never by kernel name, and leave nothing behind.
//
// Safety: on the host, /dev/vda is the host's own disk. Everything here refuses to run
// unless the kernel command line carries the harness's marker (smvm.guest=1, set by
// test/vm/run-in-vm.sh) AND SYSMANIFEST_GUEST=1 is set, and disks are only ever resolved
// from a serial the harness assigned (E2E*).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Why these tests cannot run here (i.e. we are not in the test guest), or undefined. */
export function guestUnavailable(): string | undefined {
  if (process.env.SYSMANIFEST_GUEST !== '1') {
    return 'not in the qemu test guest (SYSMANIFEST_GUEST unset): run test/e2e/vm.test.ts on the host';
  }
  let cmdline = '';
  try {
    cmdline = readFileSync('/proc/cmdline', 'utf8');
  } catch {
    /* handled below */
  }
  if (!cmdline.split(/\s+/).includes('smvm.guest=1')) {
    return 'SYSMANIFEST_GUEST=1 but the kernel was not booted by test/vm/run-in-vm.sh (no smvm.guest=1)';
  }
  if (process.getuid?.() !== 0) return 'not root in the guest';
  return undefined;
}

function assertGuest(): void {
  const why = guestUnavailable();
  if (why) throw new Error(`refusing to touch block devices: ${why}`);
}

export class CommandError extends Error {
  readonly argv: readonly string[];
  readonly status: number | null;
  readonly stderr: string;
  constructor(argv: readonly string[], status: number | null, stderr: string) {
    super(`${argv.join(' ')} exited ${status}: ${stderr.trim().split('\n').slice(-5).join('\n')}`);
    this.argv = argv;
    this.status = status;
    this.stderr = stderr;
  }
}

/** Run argv (no shell), return stdout; throw CommandError with the stderr tail on failure. */
export function run(argv: readonly string[], input?: string): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), {
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
      ...(input === undefined ? {} : { input }),
    });
  } catch (e) {
    const err = e as { status?: number | null; stderr?: string };
    throw new CommandError(argv, err.status ?? null, String(err.stderr ?? (e as Error).message));
  }
}

/** Parse `KEY=VALUE` lines (blkid -o export, mdadm --export, udevadm). */
export function parseExport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** The serial QEMU gave a whole disk, from sysfs (works with and without udev). */
function sysfsSerial(kname: string): string | undefined {
  const base = `/sys/block/${kname}`;
  const read = (p: string): Buffer | undefined => (existsSync(p) ? readFileSync(p) : undefined);
  // virtio-blk: /sys/block/vdX/serial
  const virtio = read(`${base}/serial`);
  if (virtio) return virtio.toString('latin1').trim();
  // nvme: the controller's serial, space-padded to 20
  const nvme = read(`${base}/device/serial`);
  if (nvme) return nvme.toString('latin1').trim();
  // scsi/sata: VPD page 0x80 = 4-byte header, then the (space-padded) serial
  const vpd = read(`${base}/device/vpd_pg80`);
  if (vpd && vpd.length > 4) return vpd.subarray(4).toString('latin1').replace(/\0/g, '').trim();
  return undefined;
}

/** /dev/NAME of the whole disk whose serial is `serial`; throws when absent or ambiguous. */
export function diskBySerial(serial: string): string {
  assertGuest();
  if (!/^E2E/.test(serial)) throw new Error(`only harness-assigned E2E* serials may be used, got ${serial}`);
  const hits = readdirSync('/sys/block').filter((k) => sysfsSerial(k) === serial);
  if (hits.length !== 1) throw new Error(`serial ${serial}: expected one disk, found [${hits.join(', ')}]`);
  return `/dev/${hits[0]}`;
}

interface LsblkNode {
  name: string;
  path: string;
  type: string;
  mountpoints?: (string | null)[];
  children?: LsblkNode[];
}

function settle(): void {
  run(['udevadm', 'settle', '--timeout=30']);
}

/**
 * Tear down whatever is stacked on `disks` (mounts, dm: LVM/LUKS, md), children first.
 * A safety net for after-hooks: tests do their own explicit teardown and assert it.
 */
export function releaseDisks(disks: readonly string[]): void {
  assertGuest();
  settle();
  const tree = JSON.parse(run(['lsblk', '--json', '-o', 'NAME,PATH,TYPE,MOUNTPOINTS', ...disks])) as {
    blockdevices: LsblkNode[];
  };
  const done = new Set<string>();
  const visit = (n: LsblkNode, depth: number): void => {
    for (const c of n.children ?? []) visit(c, depth + 1);
    if (done.has(n.path)) return; // lsblk repeats shared children (thin pools, md members)
    done.add(n.path);
    for (const mp of n.mountpoints ?? []) if (mp) run(['umount', '-l', mp]);
    if (depth === 0) return;
    if (n.type.startsWith('raid') || n.type === 'md') run(['mdadm', '--stop', n.path]);
    else if (n.path.startsWith('/dev/mapper/')) run(['dmsetup', 'remove', '--retry', n.name]);
  };
  for (const d of tree.blockdevices) visit(d, 0);
  settle();
}

/**
 * Make `disks` blank: release them, wipe every signature (partitions first), discard the
 * content, and check that udev did not re-assemble anything from them meanwhile (the
 * host's md rules run `mdadm --incremental` on change events).
 */
export function wipeDisks(disks: readonly string[]): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    releaseDisks(disks);
    for (const d of disks) {
      const kname = d.replace('/dev/', '');
      const parts = readdirSync(`/sys/block/${kname}`).filter((p) => p.startsWith(kname));
      for (const p of parts) run(['wipefs', '--all', '--force', `/dev/${p}`]);
      run(['wipefs', '--all', '--force', d]);
      // discard=unmap on the qemu drive: punches holes, so old data reads back as zeros
      run(['blkdiscard', '--force', d]);
      run(['blockdev', '--rereadpt', d]); // drop the kernel's stale partitions
    }
    settle();
    if (disks.every((d) => holders(d).length === 0)) return;
  }
  throw new Error(`disks still in use after wiping: ${disks.map((d) => `${d}: ${holders(d).join(',')}`).join('; ')}`);
}

/** Kernel names of the devices holding `disk` (dm, md), from sysfs. */
export function holders(disk: string): string[] {
  const kname = disk.replace('/dev/', '');
  return readdirSync(`/sys/block/${kname}/holders`).sort();
}

/** Undo steps registered as a test goes, run in reverse; keeps going past errors. */
export class Teardown {
  private readonly steps: { what: string; fn: () => void }[] = [];
  add(what: string, fn: () => void): void {
    this.steps.push({ what, fn });
  }
  run(): void {
    const errors: string[] = [];
    for (const s of this.steps.reverse()) {
      try {
        s.fn();
      } catch (e) {
        errors.push(`${s.what}: ${(e as Error).message}`);
      }
    }
    this.steps.length = 0;
    if (errors.length) throw new Error(`teardown failed:\n${errors.join('\n')}`);
  }
}

/** Per-step wall times, reported as one diagnostic line (under TCG they are worth seeing). */
export class Steps {
  private last = performance.now();
  private readonly times: string[] = [];
  mark(label: string): void {
    const now = performance.now();
    this.times.push(`${label} ${((now - this.last) / 1000).toFixed(2)}s`);
    this.last = now;
  }
  toString(): string {
    return this.times.join(', ');
  }
}
