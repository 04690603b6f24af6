import type { Filesystem } from '../../../core/manifest/types.gen.ts';
import type { ExtSuperblock } from './parse.ts';

export type ExtType = 'ext2' | 'ext3' | 'ext4';

export function captureExt(on: string, type: ExtType, sb: ExtSuperblock): Filesystem {
  return {
    on,
    type,
    ...(sb.uuid === undefined ? {} : { uuid: sb.uuid }),
    ...(sb.label === undefined ? {} : { label: sb.label }),
    ext: sb.params,
  };
}
