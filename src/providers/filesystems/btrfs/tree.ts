// Text of `btrfs inspect-internal dump-tree` (btrfs-progs kernel-shared/print-tree.c): tree
// blocks as "node BYTENR level L …" with "\tkey (O T OFF) block B gen G" child pointers, or
// "leaf BYTENR items N …" with "\titem I key (O T OFF) itemoff … itemsize …" followed by
// the item's body on lines indented by two tabs.
import { ParseError } from '../../../core/errors.ts';

/** A key as printed: objectid and type may be names (FS_TREE, ROOT_ITEM), offsets decimal. */
export interface Key {
  readonly objectid: string;
  readonly type: string;
  readonly offset: string;
}

export interface Item {
  readonly key: Key;
  readonly body: readonly string[];
}

export interface Block {
  readonly bytenr: number;
  /** 0 for a leaf. */
  readonly level: number;
  readonly items: readonly Item[];
  readonly ptrs: ReadonlyArray<{ readonly key: Key; readonly block: number }>;
}

const KEY = /key \((\S+) (\S+) (\S+)\)/;

function key(m: RegExpExecArray): Key {
  return { objectid: m[1]!, type: m[2]!, offset: m[3]! };
}

export function parseTreeDump(text: string): Block[] {
  const blocks: Array<{ bytenr: number; level: number; items: Item[]; ptrs: Array<{ key: Key; block: number }> }> = [];
  let body: string[] | undefined;
  for (const line of text.split('\n')) {
    const head = /^(node|leaf) (\d+) (?:level (\d+) )?items \d+/.exec(line);
    if (head) {
      blocks.push({ bytenr: Number(head[2]), level: head[1] === 'leaf' ? 0 : Number(head[3]), items: [], ptrs: [] });
      body = undefined;
      continue;
    }
    const cur = blocks.at(-1);
    if (!cur) continue;
    if (line.startsWith('\t\t')) {
      body?.push(line.trim());
      continue;
    }
    const item = /^\titem \d+ /.test(line) ? KEY.exec(line) : null;
    if (item) {
      body = [];
      cur.items.push({ key: key(item), body });
      continue;
    }
    const ptr = /^\tkey \(\S+ \S+ \S+\) block (\d+)/.exec(line);
    if (ptr) cur.ptrs.push({ key: key(KEY.exec(line)!), block: Number(ptr[1]) });
  }
  return blocks;
}

/** Leaf items of a whole-tree dump (dump-tree -t …), in key order. */
export function treeItems(text: string): Item[] {
  return parseTreeDump(text).flatMap((b) => b.items);
}

// Numeric values of the names print_objectid() and print_key_type() use (btrfs_tree.h).
const OBJECTIDS: Readonly<Record<string, bigint>> = {
  ROOT_TREE: 1n, EXTENT_TREE: 2n, CHUNK_TREE: 3n, DEV_TREE: 4n, FS_TREE: 5n, ROOT_TREE_DIR: 6n, CSUM_TREE: 7n,
  QUOTA_TREE: 8n, UUID_TREE: 9n, FREE_SPACE_TREE: 10n, BLOCK_GROUP_TREE: 11n, FIRST_CHUNK_TREE: 256n, DEV_ITEMS: 1n,
  BALANCE: 2n ** 64n - 4n, ORPHAN: 2n ** 64n - 5n, TREE_LOG: 2n ** 64n - 6n, TREE_LOG_FIXUP: 2n ** 64n - 7n,
  TREE_RELOC: 2n ** 64n - 8n, DATA_RELOC_TREE: 2n ** 64n - 9n, EXTENT_CSUM: 2n ** 64n - 10n, FREE_SPACE: 2n ** 64n - 11n,
  FREE_INO: 2n ** 64n - 12n, MULTIPLE: 2n ** 64n - 255n,
};
const TYPES: Readonly<Record<string, number>> = {
  INODE_ITEM: 1, INODE_REF: 12, INODE_EXTREF: 13, XATTR_ITEM: 24, VERITY_DESC_ITEM: 36, VERITY_MERKLE_ITEM: 37,
  ORPHAN_ITEM: 48, DIR_LOG_ITEM: 60, DIR_LOG_INDEX: 72, DIR_ITEM: 84, DIR_INDEX: 96, EXTENT_DATA: 108, CSUM_ITEM: 120,
  EXTENT_CSUM: 128, ROOT_ITEM: 132, ROOT_BACKREF: 144, ROOT_REF: 156, EXTENT_ITEM: 168, METADATA_ITEM: 169,
  TREE_BLOCK_REF: 176, EXTENT_DATA_REF: 178, EXTENT_REF_V0: 180, SHARED_BLOCK_REF: 182, SHARED_DATA_REF: 184,
  BLOCK_GROUP_ITEM: 192, FREE_SPACE_INFO: 198, FREE_SPACE_EXTENT: 199, FREE_SPACE_BITMAP: 200, DEV_EXTENT: 204,
  DEV_ITEM: 216, CHUNK_ITEM: 228, QGROUP_STATUS: 240, QGROUP_INFO: 242, QGROUP_LIMIT: 244, QGROUP_RELATION: 246,
  TEMPORARY_ITEM: 248, PERSISTENT_ITEM: 249, DEV_REPLACE: 250, UUID_KEY_SUBVOL: 251, UUID_KEY_RECEIVED_SUBVOL: 252,
  STRING_ITEM: 253,
};

export type NumKey = readonly [bigint, number, bigint];

export function objectidValue(s: string): bigint {
  if (/^\d+$/.test(s)) return BigInt(s);
  const v = OBJECTIDS[s];
  if (v === undefined) throw new ParseError('btrfs dump-tree key', `unknown objectid ${s}`);
  return v;
}

export function numKey(k: Key): NumKey {
  const t = TYPES[k.type] ?? (/^UNKNOWN\.(\d+)$/.exec(k.type) ? Number(k.type.slice(8)) : undefined);
  if (t === undefined) throw new ParseError('btrfs dump-tree key', `unknown key type ${k.type}`);
  let off: bigint;
  if (/^\d+$/.test(k.offset)) off = BigInt(k.offset);
  else if (k.offset === '-1') off = 2n ** 64n - 1n;
  else if (/^0x[0-9a-f]+$/i.test(k.offset)) off = BigInt(k.offset);
  else throw new ParseError('btrfs dump-tree key', `offset ${k.offset}`);
  return [objectidValue(k.objectid), t, off];
}

export function compareKeys(a: NumKey, b: NumKey): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] - b[1];
  return a[2] === b[2] ? 0 : a[2] < b[2] ? -1 : 1;
}

export const MAX_OFFSET = 2n ** 64n - 1n;

/**
 * Items with lo ≤ key ≤ hi, found by walking down from the tree root one block at a time
 * (the way btrfs_search_slot does), so a lookup reads a handful of blocks even in a tree
 * with millions of files. `read` returns one parsed block (dump-tree -b).
 */
export async function searchTree(read: (bytenr: number) => Promise<Block>, bytenr: number, lo: NumKey, hi: NumKey): Promise<Item[]> {
  const block = await read(bytenr);
  if (block.level === 0) {
    return block.items.filter((i) => {
      const k = numKey(i.key);
      return compareKeys(k, lo) >= 0 && compareKeys(k, hi) <= 0;
    });
  }
  const out: Item[] = [];
  const ptrs = block.ptrs;
  for (let i = 0; i < ptrs.length; i++) {
    // Child i holds the keys in [ptrs[i].key, ptrs[i+1].key).
    if (compareKeys(numKey(ptrs[i]!.key), hi) > 0) break;
    const next = ptrs[i + 1];
    if (next !== undefined && compareKeys(numKey(next.key), lo) <= 0) continue;
    out.push(...(await searchTree(read, ptrs[i]!.block, lo, hi)));
  }
  return out;
}
