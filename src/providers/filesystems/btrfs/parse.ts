// btrfs superblock (dump-super -f), chunk tree (profiles) and root tree (subvolumes).
import { ParseError } from '../../../core/errors.ts';
import { objectidValue, type Item, treeItems } from './tree.ts';

export interface BtrfsSuper {
  readonly fsid: string;
  readonly metadataUuid: string;
  readonly label: string;
  readonly nodesize: number;
  readonly sectorsize: number;
  readonly csumType: string;
  readonly numDevices: number;
  readonly compat: string[];
  readonly compatRo: string[];
  readonly incompat: string[];
  readonly devid: number;
  readonly devUuid: string;
}

/** `btrfs inspect-internal dump-super -f DEV`: "name<TAB…>value" lines; flags as "0x… ( A |\n B )". */
export function parseDumpSuper(text: string): BtrfsSuper {
  const what = 'btrfs dump-super output';
  const field = (name: string): string => {
    const m = new RegExp(`^${name.replace('.', '\\.')}[ \\t]+(.*)$`, 'm').exec(text);
    if (!m) throw new ParseError(what, `no ${name} line`);
    return m[1]!.trim();
  };
  const int = (name: string): number => {
    const v = field(name);
    if (!/^\d+$/.test(v)) throw new ParseError(what, `${name} is not a number: ${v}`);
    return Number(v);
  };
  const flags = (name: string): string[] => {
    const m = new RegExp(`^${name}\\s+0x([0-9a-f]+)(?:\\s*\\(([^)]*)\\))?`, 'm').exec(text);
    if (!m) throw new ParseError(what, `no ${name} line`);
    return (m[2] ?? '').split('|').map((s) => s.trim()).filter(Boolean).sort();
  };
  // "label" may be empty: the line is then just "label" and tabs.
  const label = /^label[ \t]*(.*)$/m.exec(text);
  if (!label) throw new ParseError(what, 'no label line');
  const csum = /^csum_type\s+\d+\s+\((\S+)\)/m.exec(text);
  if (!csum) throw new ParseError(what, 'no csum_type line');
  return {
    fsid: field('fsid'),
    metadataUuid: field('metadata_uuid'),
    label: label[1]!.replace(/^\t+/, ''),
    nodesize: int('nodesize'),
    sectorsize: int('sectorsize'),
    csumType: csum[1]!,
    numDevices: int('num_devices'),
    compat: flags('compat_flags'),
    compatRo: flags('compat_ro_flags'),
    incompat: flags('incompat_flags'),
    devid: int('dev_item.devid'),
    devUuid: field('dev_item.uuid'),
  };
}

const PROFILES = new Set(['single', 'dup', 'raid0', 'raid1', 'raid1c3', 'raid1c4', 'raid10', 'raid5', 'raid6']);

/** Chunk tree CHUNK_ITEMs: "type DATA|single", "type METADATA|DUP", "type DATA|METADATA|RAID1" (mixed). */
export function parseChunkProfiles(text: string): { data: string[]; metadata: string[]; system: string[] } {
  const sets = { data: new Set<string>(), metadata: new Set<string>(), system: new Set<string>() };
  for (const item of treeItems(text)) {
    if (item.key.type !== 'CHUNK_ITEM') continue;
    const m = /\btype (\S+)/.exec(item.body[0] ?? '');
    if (!m) throw new ParseError('btrfs chunk tree', `CHUNK_ITEM without type: ${item.body[0]}`);
    const parts = m[1]!.split('|');
    const profile = parts.map((p) => p.toLowerCase()).find((p) => PROFILES.has(p));
    if (profile === undefined) throw new ParseError('btrfs chunk tree', `no profile in chunk type ${m[1]}`);
    if (parts.includes('DATA')) sets.data.add(profile);
    if (parts.includes('METADATA')) sets.metadata.add(profile);
    if (parts.includes('SYSTEM')) sets.system.add(profile);
  }
  return { data: [...sets.data].sort(), metadata: [...sets.metadata].sort(), system: [...sets.system].sort() };
}

export interface RootInfo {
  readonly id: number;
  readonly bytenr: number;
  readonly level: number;
  readonly readOnly: boolean;
  readonly uuid: string;
  readonly parentUuid?: string;
  /** From ROOT_BACKREF: the containing subvolume, the directory inode in it, and the name. */
  readonly parentId?: number;
  readonly dirid?: number;
  readonly name?: string;
}

export interface RootTree {
  /** FS_TREE (5) and every subvolume with a back reference (deleted ones have none). */
  readonly roots: ReadonlyMap<number, RootInfo>;
  readonly defaultId: number;
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

function rootItem(id: number, item: Item): RootInfo {
  const body = item.body.join('\n');
  const what = `btrfs ROOT_ITEM ${id}`;
  const bytenr = /\bbytenr (\d+)/.exec(body)?.[1];
  const level = /^level (\d+)/m.exec(body)?.[1];
  const flags = /\bflags 0x[0-9a-f]+\(([^)]*)\)/.exec(body)?.[1];
  const uuid = /^uuid (\S+)/m.exec(body)?.[1];
  const parentUuid = /^parent_uuid (\S+)/m.exec(body)?.[1];
  if (bytenr === undefined || level === undefined || flags === undefined || uuid === undefined) throw new ParseError(what, body.slice(0, 300));
  return {
    id,
    bytenr: Number(bytenr),
    level: Number(level),
    readOnly: flags.split('|').includes('RDONLY'),
    uuid,
    ...(parentUuid !== undefined && parentUuid !== ZERO_UUID ? { parentUuid } : {}),
  };
}

/** `dump-tree -t root`: ROOT_ITEMs of FS_TREE and subvolumes, their ROOT_BACKREFs, and the "default" dir item. */
export function parseRootTree(text: string): RootTree {
  const items = treeItems(text);
  const roots = new Map<number, RootInfo>();
  const isSubvolId = (o: string): boolean => o === 'FS_TREE' || (/^\d+$/.test(o) && Number(o) >= 256);
  for (const item of items) {
    if (item.key.type === 'ROOT_ITEM' && isSubvolId(item.key.objectid)) {
      const id = Number(objectidValue(item.key.objectid));
      roots.set(id, rootItem(id, item));
    }
  }
  let defaultId = 5;
  for (const item of items) {
    if (item.key.type === 'ROOT_BACKREF' && isSubvolId(item.key.objectid)) {
      const id = Number(objectidValue(item.key.objectid));
      const m = /^root backref key dirid (\d+) sequence \d+ name (.*)$/.exec(item.body[0] ?? '');
      const root = roots.get(id);
      if (!m || !root) throw new ParseError('btrfs root tree', `ROOT_BACKREF of ${id}: ${item.body[0]}`);
      roots.set(id, { ...root, parentId: Number(objectidValue(item.key.offset)), dirid: Number(m[1]), name: m[2]! });
    }
    if (item.key.objectid === 'ROOT_TREE_DIR' && item.key.type === 'DIR_ITEM' && item.body.includes('name: default')) {
      const loc = /^location key \((\S+) ROOT_ITEM/.exec(item.body[0] ?? '');
      if (!loc) throw new ParseError('btrfs root tree', `default dir item: ${item.body[0]}`);
      defaultId = Number(objectidValue(loc[1]!));
    }
  }
  // Subvolumes without a back reference are deleted and waiting for the cleaner: not part of the filesystem.
  for (const [id, r] of roots) if (id !== 5 && r.parentId === undefined) roots.delete(id);
  return { roots, defaultId };
}

/** Body of an INODE_REF item: "index 2 namelen 4 name: many". */
export function inodeRefName(item: Item): string {
  const m = /^index \d+ namelen \d+ name: (.*)$/.exec(item.body[0] ?? '');
  if (!m) throw new ParseError('btrfs INODE_REF', item.body[0] ?? '(empty)');
  return m[1]!;
}

/** Flag names of an INODE_ITEM: "sequence 2 flags 0x2(NODATACOW)". */
export function inodeFlags(item: Item): string[] {
  const m = /\bflags 0x[0-9a-f]+\(([^)]*)\)/.exec(item.body.join('\n'));
  if (!m) throw new ParseError('btrfs INODE_ITEM', item.body.join(' | '));
  return m[1]!.split('|').filter((f) => f !== 'none');
}
