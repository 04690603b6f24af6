import type { Filesystem } from '../../../core/manifest/types.gen.ts';
import type { BootSector } from './parse.ts';

/**
 * Label: the root-directory volume label wins (blkid, mount, Windows show that one); the
 * boot-sector copy is kept only when it differs. UUID: blkid's XXXX-XXXX form of the volume id.
 */
export function captureVfat(on: string, probe: Readonly<Record<string, string>>, bs: BootSector): Filesystem {
  const label = probe.LABEL ?? bs.label;
  const id = bs.params.volumeId;
  return {
    on,
    type: 'vfat',
    uuid: `${id.slice(0, 4)}-${id.slice(4)}`,
    ...(label === undefined ? {} : { label }),
    vfat: { ...bs.params, ...(bs.label !== undefined && bs.label !== label ? { bootSectorLabel: bs.label } : {}) },
  };
}
