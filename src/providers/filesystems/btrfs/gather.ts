// Everything is read from the device with `btrfs inspect-internal`, which works on an
// unmounted filesystem (a rebuild target, a live USB) as well as on a mounted one; the
// mounted-only commands (subvolume list, property get) would leave unmounted ones blind.
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import { parseTreeDump, type Block } from './tree.ts';

export interface BtrfsReader {
  readonly superOf: (node: string) => Promise<string>;
  readonly rootTree: () => Promise<string>;
  readonly chunkTree: () => Promise<string>;
  /** One tree block (node or leaf), parsed; cached. */
  readonly block: (bytenr: number) => Promise<Block>;
}

export function btrfsReader(runner: ReadOnlyRunner, node: string): BtrfsReader {
  const dump = async (args: string[]): Promise<string> => (await runner.run(['btrfs', 'inspect-internal', ...args])).stdout;
  const cache = new Map<number, Promise<Block>>();
  return {
    superOf: (dev) => dump(['dump-super', '-f', dev]),
    rootTree: () => dump(['dump-tree', '-t', 'root', node]),
    chunkTree: () => dump(['dump-tree', '-t', 'chunk', node]),
    block: (bytenr) => {
      let b = cache.get(bytenr);
      if (!b) {
        b = dump(['dump-tree', '-b', String(bytenr), node]).then((text) => {
          const [blk] = parseTreeDump(text).filter((x) => x.bytenr === bytenr);
          if (!blk) throw new Error(`btrfs dump-tree -b ${bytenr} ${node}: no such block in the output`);
          return blk;
        });
        cache.set(bytenr, b);
      }
      return b;
    },
  };
}
