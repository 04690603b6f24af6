// Integration-test helpers: loop devices backed by sparse files in a private temp dir.
// Every test device is created here and torn down here, even when the test fails; nothing
// else is ever written to. Requires root and the loop driver (the host has both).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LoopDisk {
  /** /dev/loopN */
  readonly path: string;
  /** loopN */
  readonly kname: string;
  readonly file: string;
}

export function sh(argv: readonly string[], input?: string): string {
  return execFileSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C', PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(input === undefined ? {} : { input }),
  });
}

/** Why integration tests cannot run here, or undefined when they can. */
export function integrationUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  try {
    sh(['losetup', '--find']);
  } catch (e) {
    return `no loop devices: ${(e as Error).message.split('\n')[0]}`;
  }
  return undefined;
}

export class LoopLab {
  readonly dir: string;
  private readonly loops: LoopDisk[] = [];
  private readonly mounts: string[] = [];

  constructor(prefix = 'sysmanifest-it-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  /** A new loop device over a sparse file of `size` bytes; partitions are scanned (-P). */
  disk(size: number, options: { sectorSize?: number; name?: string } = {}): LoopDisk {
    const file = join(this.dir, `${options.name ?? `disk${this.loops.length}`}.img`);
    writeFileSync(file, '');
    truncateSync(file, size);
    const argv = ['losetup', '--find', '--show', '--partscan'];
    if (options.sectorSize) argv.push('--sector-size', String(options.sectorSize));
    const path = sh([...argv, file]).trim();
    const disk = { path, kname: path.replace('/dev/', ''), file };
    this.loops.push(disk);
    return disk;
  }

  /**
   * Make the kernel's partitions of a loop device match its table (no udev here, and this
   * host's kernel adds no partitions on BLKRRPART). `partx --update` alone only looks at
   * numbers 1..count (util-linux 2.38.1), so it misses partitions after a numbering gap;
   * with `--nr 1:MAX` (MAX: the highest number sfdisk reports, or the highest the kernel
   * still has) it adds, moves or removes every number. Returns the partition numbers.
   */
  rescan(disk: LoopDisk): number[] {
    let numbers: number[] = [];
    try {
      const dump = JSON.parse(sh(['sfdisk', '--json', disk.path])) as { partitiontable: { partitions?: { node: string }[] } };
      numbers = (dump.partitiontable.partitions ?? []).map((p) => Number(/(\d+)$/.exec(p.node)![1]));
    } catch (e) {
      // A disk without a table: sfdisk exits 1; then only stale kernel partitions are removed.
      if (!/does not contain a recognized partition table/.test(String((e as { stderr?: string }).stderr))) throw e;
    }
    const inKernel = readdirSync(`/sys/block/${disk.kname}`)
      .filter((f) => f.startsWith(`${disk.kname}p`))
      .map((f) => Number(f.slice(disk.kname.length + 1)));
    const max = Math.max(0, ...numbers, ...inKernel);
    if (max > 0) sh(['partx', '--update', '--nr', `1:${max}`, disk.path]);
    for (const n of numbers) if (!existsSync(`/sys/block/${disk.kname}/${disk.kname}p${n}`)) throw new Error(`rescan: ${disk.path} partition ${n} is in the table but not in the kernel`);
    return numbers.sort((a, b) => a - b);
  }

  /** Detach one loop device now (a disk taken out of the machine); its file stays until cleanup. */
  detach(disk: LoopDisk): void {
    sh(['losetup', '--detach', disk.path]);
    this.loops.splice(this.loops.indexOf(disk), 1);
  }

  mount(dev: string, options: string[] = []): string {
    const dir = mkdtempSync(join(this.dir, 'mnt-'));
    sh(['mount', ...(options.length ? ['-o', options.join(',')] : []), dev, dir]);
    this.mounts.push(dir);
    return dir;
  }

  umount(dir: string): void {
    sh(['umount', dir]);
    this.mounts.splice(this.mounts.indexOf(dir), 1);
  }

  /** Undo everything, in reverse; keeps going past errors and reports them at the end. */
  cleanup(): void {
    const errors: string[] = [];
    // What the code under test mounted below the lab (a rebuild's target tree, left mounted
    // when the rebuild failed) first, deepest first: else the loop devices stay busy.
    const below = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(`${this.dir}/`) && !this.mounts.includes(p));
    for (const m of below.sort((x, y) => y.length - x.length)) {
      try {
        sh(['umount', m]);
      } catch (e) {
        errors.push(`umount ${m}: ${(e as Error).message}`);
      }
    }
    for (const m of this.mounts.reverse()) {
      try {
        sh(['umount', '-l', m]);
      } catch (e) {
        errors.push(`umount ${m}: ${(e as Error).message}`);
      }
    }
    for (const l of this.loops.reverse()) {
      try {
        sh(['losetup', '--detach', l.path]);
      } catch (e) {
        errors.push(`losetup -d ${l.path}: ${(e as Error).message}`);
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    if (errors.length) throw new Error(`cleanup: ${errors.join('; ')}`);
  }
}
