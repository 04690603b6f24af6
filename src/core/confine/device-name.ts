// Device names from a manifest: a LUKS mapping becomes /dev/mapper/NAME, an md array
// /dev/md/NAME. A name is one path component by the rules of the tool that creates it, so
// that "../vda" can never turn /dev/mapper/../vda into another device.
import { UserError } from '../errors.ts';
import { hasControl } from './manifest-path.ts';

/**
 * device-mapper (drivers/md/dm-ioctl.c): DM_NAME_LEN is 128 bytes with the NUL, a name with
 * "/" is refused (dm_hash_insert → "invalid device name"), and "." / ".." / "control" would
 * be /dev/mapper itself, its parent, or the control node. Control characters are refused
 * too: the name is a crypttab field and appears in the plan the user confirms.
 */
export const DM_NAME_MAX = 127;

export function dmNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'is not a string';
  if (name === '') return 'is empty';
  if (Buffer.byteLength(name, 'utf8') > DM_NAME_MAX) return `is longer than ${DM_NAME_MAX} bytes (device-mapper's limit)`;
  if (hasControl(name)) return 'contains a control character';
  if (name.includes('/')) return 'contains "/" (a device-mapper name is a single name)';
  if (name === '.' || name === '..' || name === 'control') return `cannot be "${name}" (/dev/mapper/${name} is not a mapping)`;
  return undefined;
}

/**
 * md array names as mdadm 4.3 checks them (config.c ident_check_name, lib.c
 * is_name_posix_compatible): at most MD_NAME_MAX (32) bytes, POSIX portable filename
 * characters [A-Za-z0-9._-], no leading "." (hidden) or "-" (an option).
 */
export const MD_NAME_MAX = 32;
const MD_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

export function mdNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'is not a string';
  if (name === '') return 'is empty';
  if (name.length > MD_NAME_MAX) return `is longer than ${MD_NAME_MAX} characters (mdadm's limit)`;
  if (!MD_NAME.test(name)) return 'is not an md name mdadm accepts: letters, digits, ".", "_", "-", not starting with "." or "-"';
  return undefined;
}

/** The homehost half of an md superblock name ("homehost:name"): a host name, the same characters. */
export function mdHomehostProblem(host: unknown): string | undefined {
  if (typeof host !== 'string') return 'is not a string';
  if (host.length === 0 || host.length > 64) return 'must be 1 to 64 characters (a host name)';
  if (!MD_NAME.test(host)) return 'is not a host name: letters, digits, ".", "_", "-", not starting with "." or "-"';
  return undefined;
}

export type DeviceNameKind = 'dm' | 'md';

/**
 * `dir/name` for a device name from a manifest (deviceNameInside('/dev/mapper', 'cryptroot',
 * 'dm', 'storage.luks[0].mapping')); a UserError naming the manifest path otherwise.
 */
export function deviceNameInside(dir: '/dev/mapper' | '/dev/md', name: unknown, kind: DeviceNameKind, where = 'name'): string {
  const problem = kind === 'dm' ? dmNameProblem(name) : mdNameProblem(name);
  if (problem !== undefined) {
    throw new UserError('MANIFEST_RULE', `${where}: ${JSON.stringify(name)} ${problem}`, {
      hint: kind === 'dm' ? 'a LUKS mapping name is one name such as "cryptroot"' : 'an md name is one short name such as "root" or "md0"',
    });
  }
  return `${dir}/${name as string}`;
}
