import type { ReadOnlyRunner } from '../../../core/runner/types.ts';

/**
 * The boot sector, read directly: the BPB holds every value mkfs.fat decided, and reading
 * 512 bytes needs no tool (fsck.fat -n -v would print the same values in a text layout
 * that has changed between dosfstools releases, and walks the whole FAT to do it).
 */
export async function gatherVfat(runner: ReadOnlyRunner, node: string): Promise<Uint8Array> {
  return runner.readBytes(node, 0, 512);
}
