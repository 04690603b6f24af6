import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import { HEADER_READ } from './parse.ts';

/** The first 64 KiB: enough for the header page at any page size Linux supports. */
export async function gatherSwap(runner: ReadOnlyRunner, node: string): Promise<Uint8Array> {
  return runner.readBytes(node, 0, HEADER_READ);
}
