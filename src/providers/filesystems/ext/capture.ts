import type { Filesystem } from '../../../core/manifest/types.gen.ts';
import type { ExtSuperblock } from './parse.ts';
import { RUNTIME_FEATURES } from './plan.ts';

export type ExtType = 'ext2' | 'ext3' | 'ext4';

export function captureExt(on: string, type: ExtType, sb: ExtSuperblock): Filesystem {
  return {
    on,
    type,
    ...(sb.uuid === undefined ? {} : { uuid: sb.uuid }),
    ...(sb.label === undefined ? {} : { label: sb.label }),
    // needs_recovery is set while the filesystem is mounted (or after a crash), orphan_present
    // while orphan inodes wait: state, not how it was made. Kept, a manifest would change each
    // time a disk is mounted or not at capture.
    ext: { ...sb.params, features: sb.params.features.filter((f) => !RUNTIME_FEATURES.has(f)) },
  };
}
