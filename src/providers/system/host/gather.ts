import { join } from 'node:path';
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';

export interface HostFacts {
  readonly hostname: string | undefined;
  readonly osRelease: string | undefined;
  readonly machine: string;
  readonly efi: boolean | undefined;
}

/** hostname(5) and os-release(5) are read under root; the kernel facts only for the live root. */
export async function gatherHost(r: ReadOnlyRunner, root: string): Promise<HostFacts> {
  const live = root === '/';
  const osRelease = (await r.readFileOptional(join(root, 'etc/os-release'))) ?? (await r.readFileOptional(join(root, 'usr/lib/os-release')));
  const hostnameFile = (await r.readFileOptional(join(root, 'etc/hostname')))?.trim();
  const hostname = hostnameFile || (live ? (await r.readFileOptional('/proc/sys/kernel/hostname'))?.trim() : undefined);
  const machine = (await r.run(['uname', '-m'])).stdout.trim();
  return { hostname, osRelease, machine, efi: live ? await r.exists('/sys/firmware/efi') : undefined };
}
