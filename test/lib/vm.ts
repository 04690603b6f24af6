// Test helpers for the end-to-end tier: run commands in the project's qemu test guest
// (test/vm/run-in-vm.sh) and boot disk images. Tests may spawn processes directly; the
// product's single-runner rule applies to src/, not to test/.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RUN_IN_VM = fileURLToPath(new URL('../../bootstrap/rescue-vm.sh', import.meta.url));
export const SETUP_VM = fileURLToPath(new URL('../vm/setup.sh', import.meta.url));
/** Where setup.sh caches the guest kernel (same default and override as the scripts). */
export const VM_HOME = process.env.SMVM_HOME ?? '/var/tmp/sysmanifest-vm';

export type DiskBus = 'virtio' | 'nvme' | 'scsi' | 'sata';

export interface GuestDisk {
  /** A plain name is a scratch image deleted after the run; a path (with '/') is a persistent image. */
  readonly name: string;
  /** As for truncate(1): '1G', '512M'. */
  readonly size: string;
  /** Up to 20 characters; the guest finds the disk by it (/sys/block/X/serial for virtio). */
  readonly serial: string;
  readonly bus?: DiskBus;
}

export interface RunInGuestOptions {
  readonly disks?: readonly GuestDisk[];
  /** A bash command line, run as root in the guest with cwd = `cwd` (default: the repo). */
  readonly command: string;
  /** The guest is killed after this many seconds (exit code 124). Default 900. */
  readonly timeoutSec?: number;
  /** Exported in the guest (nothing else of this process's environment is passed). */
  readonly env?: Readonly<Record<string, string>>;
  /** Host directories mounted read-write at the same path in the guest. */
  readonly rw?: readonly string[];
  readonly cwd?: string;
  readonly udev?: boolean;
  readonly uefi?: boolean;
  readonly memMb?: number;
  /** Guest vCPUs (default: the harness's, the host's CPUs up to 4). One is enough for serial work:
   * under TCG on a host whose cores are all busy, a second vCPU thread mostly waits for or spins
   * on the first (node's start-up in the guest: 35 s against 56 s for 3 runs, side by side). */
  readonly smp?: number;
  /** Called with each chunk of the guest's output (stdout and stderr merged) as it arrives. */
  readonly onOutput?: (chunk: string) => void;
}

export interface GuestTimings {
  /** Guest uptime when the command started (kernel + initramfs + udev settle), seconds. */
  readonly bootSec: number;
  /** Guest time the command itself ran, seconds. */
  readonly commandSec: number;
  /** Host wall clock from qemu start to harness exit, seconds. */
  readonly wallSec: number;
}

export interface GuestResult {
  /** The command's exit status; 124 = timeout, 125 = harness or boot failure. */
  readonly exitCode: number;
  /** The guest command's output (stdout and stderr merged). */
  readonly output: string;
  /** The harness's own messages (on failure: qemu errors and the guest console tail). */
  readonly harness: string;
  /** Parsed from the harness's last line; undefined when the guest never reported back. */
  readonly timings?: GuestTimings;
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why the end-to-end tier cannot run on this machine, or undefined when it can. */
export function vmUnavailable(): string | undefined {
  if (process.platform !== 'linux' || arch() !== 'x64') return `needs linux/x64, this is ${process.platform}/${arch()}`;
  if (process.getuid?.() !== 0) return 'not running as root (the guest exports / over 9p)';
  for (const tool of ['qemu-system-x86_64', 'cpio', 'gzip']) {
    if (!which(tool)) return `${tool} not installed: run \`bash test/vm/setup.sh\``;
  }
  if (!existsSync(`${VM_HOME}/kernel/.ready`)) {
    return `no guest kernel in ${VM_HOME}/kernel: run \`bash test/vm/setup.sh\``;
  }
  return undefined;
}

function parseTimings(harness: string): GuestTimings | undefined {
  const m = /run-in-vm: boot ([\d.]+)s, command ([\d.]+)s, wall ([\d.]+)s/.exec(harness);
  if (!m) return undefined;
  return { bootSec: Number(m[1]), commandSec: Number(m[2]), wallSec: Number(m[3]) };
}

function diskArgs(disks: readonly GuestDisk[]): string[] {
  return disks.flatMap((d) => {
    for (const part of [d.name, d.size, d.serial]) {
      if (part.includes(':')) throw new Error(`disk spec field may not contain ':': ${part}`);
    }
    return ['--disk', `${d.name}:${d.size}:${d.serial}:${d.bus ?? 'virtio'}`];
  });
}

function runHarness(
  args: string[],
  cwd: string,
  onOutput?: (chunk: string) => void,
): Promise<{ exitCode: number; output: string; harness: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [RUN_IN_VM, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    const err: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out.push(c);
      onOutput?.(c);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({
        exitCode: code ?? (signal ? 128 : 125),
        output: out.join(''),
        harness: err.join('') + (signal ? `\nharness killed by ${signal}` : ''),
      });
    });
  });
}

/** Boot one guest, run `command` in it as root, and collect its output and exit status. */
export async function runInGuest(options: RunInGuestOptions): Promise<GuestResult> {
  const args = [...diskArgs(options.disks ?? [])];
  args.push('--timeout', String(options.timeoutSec ?? 900));
  for (const [k, v] of Object.entries(options.env ?? {})) args.push('--env', `${k}=${v}`);
  for (const dir of options.rw ?? []) args.push('--rw', dir);
  if (options.udev === false) args.push('--no-udev');
  if (options.uefi) args.push('--uefi');
  if (options.memMb !== undefined) args.push('--mem', String(options.memMb));
  if (options.smp !== undefined) args.push('--smp', String(options.smp));
  args.push('--', options.command);
  const r = await runHarness(args, options.cwd ?? REPO_ROOT, options.onOutput);
  const timings = parseTimings(r.harness);
  return timings ? { ...r, timings } : r;
}

export interface BootDiskOptions {
  /** Disk image to boot (first disk, boot index 0). Booting changes it: pass a copy. */
  readonly image: string;
  readonly uefi?: boolean;
  /** Extended regex awaited on the serial console (CRs removed). Default 'login:'. */
  readonly expect?: string;
  readonly timeoutSec?: number;
  readonly serial?: string;
  readonly bus?: DiskBus;
  /** Further disks (e.g. the other members of an md array). */
  readonly extraDisks?: readonly GuestDisk[];
  /** Guest vCPUs; default 1 (a firmware boot to a login prompt is serial work, see RunInGuestOptions.smp). */
  readonly smp?: number;
}

export interface BootDiskResult {
  /** 0 = the regex was seen, 1 = the guest stopped without it, 124 = timeout, 125 = harness failure. */
  readonly exitCode: number;
  readonly seen: boolean;
  /** The harness's messages; on failure they include the console tail. */
  readonly harness: string;
}

/** Boot a disk image with firmware (SeaBIOS, or OVMF when uefi) and wait for `expect`. */
export async function bootDisk(options: BootDiskOptions): Promise<BootDiskResult> {
  if (!options.image.includes('/')) throw new Error(`bootDisk: image must be a path: ${options.image}`);
  // SIZE is only used to create a missing image; an existing one is booted as it is.
  const disks: GuestDisk[] = [
    { name: options.image, size: '1G', serial: options.serial ?? 'BOOTDISK', bus: options.bus ?? 'virtio' },
    ...(options.extraDisks ?? []),
  ];
  if (!existsSync(options.image)) throw new Error(`bootDisk: no such image ${options.image}`);
  const args = ['--boot-disk', ...diskArgs(disks), '--timeout', String(options.timeoutSec ?? 300)];
  if (options.uefi) args.push('--uefi');
  args.push('--smp', String(options.smp ?? 1));
  args.push('--expect', options.expect ?? 'login:');
  const r = await runHarness(args, REPO_ROOT);
  return { exitCode: r.exitCode, seen: r.exitCode === 0, harness: r.harness };
}

/** The guest kernel release cached by setup.sh (e.g. 6.1.0-56-amd64), for reports. */
export function guestKernelRelease(): string | undefined {
  try {
    return readFileSync(`${VM_HOME}/kernel/release`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
