import type { Host } from '../../../core/manifest/types.gen.ts';
import type { HostFacts } from './gather.ts';
import { osFromRelease, parseOsRelease } from './parse.ts';

export function captureHost(f: HostFacts, override?: string): Host {
  const host: Host = { hostname: override ?? f.hostname ?? 'localhost' };
  if (f.osRelease !== undefined) host.os = osFromRelease(parseOsRelease(f.osRelease));
  host.arch = f.machine;
  if (f.efi !== undefined) host.firmware = f.efi ? 'uefi' : 'bios';
  return host;
}
