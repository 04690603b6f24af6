// `dumpe2fs -h DEV` (e2fsprogs lib/e2p/ls.c list_super2, plus the journal superblock from
// e2p_list_journal_super): one "Name:   value" line per superblock field.
import { ParseError } from '../../../core/errors.ts';
import type { ExtParams } from '../../../core/manifest/types.gen.ts';

export interface ExtSuperblock {
  readonly uuid?: string;
  readonly label?: string;
  readonly params: ExtParams;
}

/** Field name → value, split at the first ':' (values such as UUIDs and times contain none / do not matter). */
export function parseDumpe2fsFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

const ERRORS: Readonly<Record<string, ExtParams['errorBehavior']>> = {
  Continue: 'continue',
  'Remount read-only': 'remount-ro',
  Panic: 'panic',
};

const words = (v: string): string[] => (v === '(none)' || v === '' ? [] : v.split(/\s+/).sort());

export function parseDumpe2fs(text: string): ExtSuperblock {
  const f = parseDumpe2fsFields(text);
  const what = 'dumpe2fs -h output';
  const str = (name: string): string => {
    const v = f.get(name);
    if (v === undefined) throw new ParseError(what, `no "${name}" line`);
    return v;
  };
  // Counts print as decimal, sometimes followed by a gloss: "0 (user root)", "1209600 (2 weeks)".
  const int = (name: string): number => {
    const m = /^(-?\d+)(?:\s|$)/.exec(str(name));
    if (!m) throw new ParseError(what, `"${name}" is not a number: ${JSON.stringify(f.get(name))}`);
    return Number(m[1]);
  };
  const optInt = (name: string): number | undefined => (f.has(name) ? int(name) : undefined);
  const optStr = (name: string): string | undefined => f.get(name);

  const errors = ERRORS[str('Errors behavior')];
  if (errors === undefined) throw new ParseError(what, `unknown "Errors behavior": ${str('Errors behavior')}`);
  const label = str('Filesystem volume name');
  const uuid = str('Filesystem UUID');

  const journalBlocks = optInt('Total journal blocks') ?? optInt('Journal length');
  const journalFeatures = optStr('Journal features');
  const hashSeed = optStr('Directory Hash Seed');
  const params: ExtParams = {
    revision: int('Filesystem revision #'),
    blockSize: int('Block size'),
    blockCount: int('Block count'),
    inodeSize: int('Inode size'),
    inodeCount: int('Inode count'),
    blocksPerGroup: int('Blocks per group'),
    inodesPerGroup: int('Inodes per group'),
    features: words(str('Filesystem features')),
    flags: words(optStr('Filesystem flags') ?? ''),
    defaultMountOptions: words(str('Default mount options')),
    ...opt('mountOptions', optStr('Mount options')),
    errorBehavior: errors,
    maxMountCount: int('Maximum mount count'),
    checkInterval: int('Check interval'),
    reservedBlockCount: int('Reserved block count'),
    reservedBlocksUid: int('Reserved blocks uid'),
    reservedBlocksGid: int('Reserved blocks gid'),
    reservedGdtBlocks: optInt('Reserved GDT blocks') ?? 0,
    ...opt('groupDescriptorSize', optInt('Group descriptor size')),
    ...opt('flexBgSize', optInt('Flex block group size')),
    ...opt('firstMetaBg', optInt('First meta block group')),
    ...opt('raidStride', optInt('RAID stride')),
    ...opt('raidStripeWidth', optInt('RAID stripe width')),
    ...opt('hashAlgorithm', optStr('Default directory hash')),
    // An all-zero seed means "none" (ext2 without dir_index prints it so).
    ...opt('hashSeed', hashSeed === '00000000-0000-0000-0000-000000000000' ? undefined : hashSeed),
    ...opt('checksumSeed', optStr('Checksum seed')),
    ...opt('encoding', optStr('Character encoding')),
    ...opt('encodingFlags', optStr('Character encoding flags')),
    ...opt('mmpUpdateInterval', optInt('MMP update interval')),
    ...opt('journalBlocks', journalBlocks),
    ...opt('journalFastCommitBlocks', optInt('Fast commit length')),
    ...opt('journalFeatures', journalFeatures === undefined ? undefined : words(journalFeatures)),
    ...opt('journalUuid', optStr('Journal UUID')),
  };
  return {
    ...(label === '<none>' ? {} : { label }),
    ...(uuid === '<none>' ? {} : { uuid }),
    params,
  };
}

function opt<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
