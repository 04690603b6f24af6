import type { ReadOnlyRunner } from '../../../core/runner/types.ts';

/** The superblock and journal superblock, as text. Works mounted or not; reads nothing else. */
export async function gatherExt(runner: ReadOnlyRunner, node: string): Promise<string> {
  return (await runner.run(['dumpe2fs', '-h', node])).stdout;
}
