// Pure: parsed fstab / crypttab entries (+ the device facts) → the manifest's `mounts`.
import type { CrypttabEntry, FstabEntry, Mounts } from '../../../core/manifest/types.gen.ts';
import type { RawCrypttabEntry, RawFstabEntry } from './parse.ts';
import { posix } from 'node:path';
import { resolveSpec, type ResolveFacts } from './resolve.ts';

/**
 * A mount point in its canonical form: mount(8) takes "/mnt/data/" and "/mnt//data" for
 * /mnt/data, and the manifest only accepts canonical paths (core/confine), so a harmless
 * spelling in a real fstab does not make the capture fail.
 */
const mountPoint = (file: string): string => (file.startsWith('/') ? posix.normalize(file).replace(/(.)\/+$/, '$1') : file);

export function captureMounts(fstab: readonly RawFstabEntry[], crypttab: readonly RawCrypttabEntry[], facts: ResolveFacts): Mounts {
  // File order is kept: mounts and unlocks happen in that order (a /home mounted below /).
  return {
    fstab: fstab.map((e): FstabEntry => {
      const device = resolveSpec(e.spec, facts);
      return {
        spec: e.spec,
        ...(device !== undefined ? { device } : {}),
        file: mountPoint(e.file),
        vfstype: e.vfstype,
        options: e.options,
        freq: e.freq,
        passno: e.passno,
      };
    }),
    crypttab: crypttab.map((e): CrypttabEntry => {
      const device = resolveSpec(e.spec, facts);
      return {
        name: e.name,
        spec: e.spec,
        ...(device !== undefined ? { device } : {}),
        ...(e.keyfile !== undefined ? { keyfile: e.keyfile } : {}),
        ...(e.options !== undefined ? { options: e.options } : {}),
      };
    }),
  };
}
