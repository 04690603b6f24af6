import type { ReadOnlyRunner } from '../../../core/runner/types.ts';

export interface XfsFacts {
  readonly info: string;
  readonly labelUuid: string;
}

/**
 * xfs_info accepts an unmounted device since xfsprogs 5.x (it runs `xfs_db -r -c info`; for a
 * mounted one it asks the kernel). Label and UUID come from the superblock via xfs_db -r, the
 * same read-only path xfs_admin -l -u uses.
 */
export async function gatherXfs(runner: ReadOnlyRunner, node: string): Promise<XfsFacts> {
  const [info, labelUuid] = await Promise.all([runner.run(['xfs_info', node]), runner.run(['xfs_db', '-r', '-c', 'label', '-c', 'uuid', node])]);
  return { info: info.stdout, labelUuid: labelUuid.stdout };
}
