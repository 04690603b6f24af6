import { ParseError } from '../../../core/errors.ts';
import type { BtrfsSubvolume, Filesystem } from '../../../core/manifest/types.gen.ts';
import type { BtrfsReader } from './gather.ts';
import { inodeFlags, inodeRefName, parseChunkProfiles, parseDumpSuper, parseRootTree, type BtrfsSuper, type RootInfo } from './parse.ts';
import { MAX_OFFSET, searchTree, type NumKey } from './tree.ts';

/** The root directory of every subvolume is inode 256 (BTRFS_FIRST_FREE_OBJECTID). */
const ROOT_DIR = 256n;
const INODE_ITEM = 1;
const INODE_REF = 12;

export interface BtrfsMember {
  readonly id: string;
  readonly node: string;
}

/** Path of directory `dirid` inside the subvolume `tree`, by following INODE_REFs up to its root. */
async function dirPath(reader: BtrfsReader, tree: RootInfo, dirid: bigint): Promise<string[]> {
  const parts: string[] = [];
  for (let ino = dirid, guard = 0; ino !== ROOT_DIR; guard++) {
    if (guard > 4096) throw new ParseError('btrfs directory path', `loop resolving inode ${dirid} in subvolume ${tree.id}`);
    const lo: NumKey = [ino, INODE_REF, 0n];
    const hi: NumKey = [ino, INODE_REF, MAX_OFFSET];
    const [ref] = await searchTree(reader.block, tree.bytenr, lo, hi);
    if (!ref) throw new ParseError('btrfs directory path', `no INODE_REF for inode ${ino} in subvolume ${tree.id}`);
    parts.unshift(inodeRefName(ref));
    ino = BigInt(ref.key.offset);
  }
  return parts;
}

async function nodatacow(reader: BtrfsReader, tree: RootInfo): Promise<boolean> {
  const k: NumKey = [ROOT_DIR, INODE_ITEM, 0n];
  const [inode] = await searchTree(reader.block, tree.bytenr, k, k);
  if (!inode) throw new ParseError('btrfs subvolume root', `no inode 256 in subvolume ${tree.id}`);
  return inodeFlags(inode).includes('NODATACOW');
}

function single(kind: string, profiles: string[], problems: string[]): string | undefined {
  if (profiles.length > 1) problems.push(`${kind} chunks have several profiles (${profiles.join(', ')}): a balance/convert is unfinished`);
  return profiles.length === 1 ? profiles[0] : undefined;
}

/**
 * One filesystem from its member devices (any order). Reads the trees through the first
 * member with the lowest devid.
 */
export async function captureBtrfs(members: readonly BtrfsMember[], reader: (node: string) => BtrfsReader): Promise<Filesystem> {
  const supers: Array<BtrfsSuper & BtrfsMember> = [];
  const first = reader(members[0]!.node);
  for (const m of members) supers.push({ ...parseDumpSuper(await first.superOf(m.node)), ...m });
  supers.sort((a, b) => a.devid - b.devid);
  const sb = supers[0]!;
  const r = reader(sb.node);
  const problems: string[] = [];
  if (supers.length < sb.numDevices) problems.push(`only ${supers.length} of ${sb.numDevices} devices are being captured`);

  const chunk = parseChunkProfiles(await r.chunkTree());
  const { roots, defaultId } = parseRootTree(await r.rootTree());
  const paths = new Map<number, string>([[5, '']]);
  const pathOf = async (id: number): Promise<string> => {
    const known = paths.get(id);
    if (known !== undefined) return known;
    const root = roots.get(id)!;
    const parent = roots.get(root.parentId!);
    if (!parent) throw new ParseError('btrfs root tree', `subvolume ${id} is in unknown subvolume ${root.parentId}`);
    const parts = [await pathOf(parent.id), ...(await dirPath(r, parent, BigInt(root.dirid!))), root.name!].filter((p) => p !== '');
    const path = parts.join('/');
    paths.set(id, path);
    return path;
  };
  const byUuid = new Map([...roots.values()].map((x) => [x.uuid, x.id]));
  const subvolumes: BtrfsSubvolume[] = [];
  for (const root of roots.values()) {
    if (root.id === 5) continue;
    const source = root.parentUuid === undefined ? undefined : byUuid.get(root.parentUuid);
    subvolumes.push({
      path: await pathOf(root.id),
      id: root.id,
      parentId: root.parentId!,
      readOnly: root.readOnly,
      nodatacow: await nodatacow(r, root),
      ...(source === undefined ? {} : { snapshotOf: await pathOf(source) }),
    });
  }
  subvolumes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const profiles = {
    ...opt('data', single('data', chunk.data, problems)),
    ...opt('metadata', single('metadata', chunk.metadata, problems)),
    ...opt('system', single('system', chunk.system, problems)),
  };
  return {
    on: sb.id,
    devices: supers.map((s) => s.id),
    type: 'btrfs',
    uuid: sb.fsid,
    ...(sb.label === '' ? {} : { label: sb.label }),
    btrfs: {
      nodesize: sb.nodesize,
      sectorsize: sb.sectorsize,
      csumType: sb.csumType,
      ...(sb.metadataUuid === sb.fsid ? {} : { metadataUuid: sb.metadataUuid }),
      features: { compat: sb.compat, compatRo: sb.compatRo, incompat: sb.incompat },
      profiles,
      devices: supers.map((s) => ({ on: s.id, devid: s.devid, uuid: s.devUuid })),
      subvolumes,
      defaultSubvolume: roots.has(defaultId) ? await pathOf(defaultId) : '',
    },
    ...(problems.length ? { unsupported: { reason: problems.join('; ') } } : {}),
  };
}

function opt<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
