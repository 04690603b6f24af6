// Recreate ext2/3/4 filesystems with every captured superblock parameter. mke2fs takes most
// of them; what it cannot set (reserved block count and owner, default mount options, check
// interval and count, directory hash algorithm) is set with tune2fs right after, and the
// directory-hash signedness flag (decided by the CPU's char type at mkfs) with debugfs.
// Nothing is left to /etc/mke2fs.conf, whose defaults differ between distributions and
// releases: the feature list starts from "none" (mke2fs(8) -O: "none" clears all features).
import type { ExtParams, Filesystem } from '../../../core/manifest/types.gen.ts';
import type { PlanContext } from '../../../core/plan/context.ts';
import type { Step } from '../../../core/plan/types.ts';
import { cannotRecreate, filesystemsOf, mkfsStep, mkfsStepId, probeOf } from '../plan.ts';

/** Features the kernel sets and clears at runtime; mke2fs refuses or ignores them. */
export const RUNTIME_FEATURES: ReadonlySet<string> = new Set(['needs_recovery', 'orphan_present']);

/** e2p's default mount option names (lib/e2p/mntopts.c); the journal modes share one 2-bit field. */
const MOUNT_OPTIONS = ['debug', 'bsdgroups', 'user_xattr', 'acl', 'uid16', 'nobarrier', 'block_validity', 'discard', 'nodelalloc'];
const JOURNAL_MODES = ['journal_data', 'journal_data_ordered', 'journal_data_writeback'];

/** s_flags bits (ext2_fs.h): EXT2_FLAGS_SIGNED_HASH, EXT2_FLAGS_UNSIGNED_HASH, EXT2_FLAGS_TEST_FILESYS. */
const FLAG_BITS: Readonly<Record<string, number>> = { signed_directory_hash: 1, unsigned_directory_hash: 2, test_fs: 4 };

const MiB = 1024 * 1024;

/**
 * The -E resize= value that makes mke2fs reserve exactly `reservedGdtBlocks` GDT blocks
 * (misc/mke2fs.c parse_extended_opts: rsv_gdb = ceil(ceil(resize / bpg) / gdpb) − desc_blocks).
 */
export function resizeFor(e: ExtParams): number {
  const descSize = e.features.includes('64bit') ? (e.groupDescriptorSize ?? 64) : 32;
  const gdpb = e.blockSize / descSize;
  const groups = Math.ceil(e.blockCount / e.blocksPerGroup);
  const descBlocks = Math.ceil(groups / gdpb);
  return (e.reservedGdtBlocks + descBlocks) * gdpb * e.blocksPerGroup;
}

/** tune2fs -o: clear every known option that is not wanted, then set the wanted ones. */
export function mountOptionsArg(where: string, wanted: readonly string[]): string {
  for (const o of wanted) if (!MOUNT_OPTIONS.includes(o) && !JOURNAL_MODES.includes(o)) throw cannotRecreate(where, `default mount option ${o} is not known to tune2fs`);
  const clear = MOUNT_OPTIONS.filter((o) => !wanted.includes(o)).map((o) => `^${o}`);
  // ^journal_data_writeback clears both bits of the journal mode field.
  if (!wanted.some((o) => JOURNAL_MODES.includes(o))) clear.push('^journal_data_writeback');
  return [...clear, ...wanted].join(',');
}

function extendedOptions(where: string, e: ExtParams): string {
  const opts: string[] = [];
  // mke2fs: "'desc_size' must be before 'resize=…'" (resize is computed from the descriptor size).
  if (e.groupDescriptorSize !== undefined && e.features.includes('64bit')) opts.push(`desc_size=${e.groupDescriptorSize}`);
  if (e.features.includes('resize_inode')) opts.push(`resize=${resizeFor(e)}`);
  if (e.raidStride !== undefined) opts.push(`stride=${e.raidStride}`);
  if (e.raidStripeWidth !== undefined) opts.push(`stripe_width=${e.raidStripeWidth}`);
  // An all-zero seed is captured as absent; pass it so mke2fs does not make a random one.
  opts.push(`hash_seed=${e.hashSeed ?? '00000000-0000-0000-0000-000000000000'}`);
  if (e.encoding !== undefined) opts.push(`encoding=${e.encoding}`);
  if (e.encodingFlags !== undefined) opts.push(`encoding_flags=${e.encodingFlags}`);
  if (e.mmpUpdateInterval !== undefined && e.features.includes('mmp')) opts.push(`mmp_update_interval=${e.mmpUpdateInterval}`);
  if (e.flags.includes('test_fs')) opts.push('test_fs');
  for (const o of opts) if (o.includes(',')) throw cannotRecreate(where, `extended option value contains a comma: ${o}`);
  return opts.join(',');
}

function journalOptions(where: string, e: ExtParams): string[] {
  if (!e.features.includes('has_journal')) return [];
  if (e.journalUuid !== undefined) throw cannotRecreate(where, `external journal device ${e.journalUuid} (mke2fs -J device=) is not captured`);
  if (e.journalBlocks === undefined) throw cannotRecreate(where, 'has_journal without a captured journal size');
  const fc = e.journalFastCommitBlocks ?? 0;
  const bytes = (e.journalBlocks - fc) * e.blockSize;
  // mke2fs -J size= takes MiB; its default sizes are whole MiB (1024-block multiples).
  if (bytes % MiB !== 0) throw cannotRecreate(where, `journal of ${e.journalBlocks - fc} blocks is not a whole number of MiB (mke2fs -J size= takes MiB)`);
  const parts = [`size=${bytes / MiB}`];
  if (fc > 0) parts.push(`fast_commit_size=${(fc * e.blockSize) / 1024}`);
  return ['-J', parts.join(',')];
}

function checkRecreatable(where: string, e: ExtParams): void {
  if (e.features.includes('bigalloc')) throw cannotRecreate(where, 'bigalloc: the cluster size (mke2fs -C) is not captured');
  if (e.checksumSeed !== undefined) throw cannotRecreate(where, 'metadata_csum_seed: the checksum seed derives from a UUID the filesystem no longer shows');
  for (const f of e.flags) if (FLAG_BITS[f] === undefined) throw cannotRecreate(where, `unknown superblock flag ${f}`);
}

export function mke2fsArgv(where: string, fs: Filesystem, device: string): string[] {
  const e = fs.ext;
  if (!e) throw cannotRecreate(where, 'no ext parameters were captured');
  checkRecreatable(where, e);
  const features = ['none', ...e.features.filter((f) => !RUNTIME_FEATURES.has(f))].join(',');
  return [
    'mke2fs', '-F', '-t', fs.type,
    '-r', String(e.revision),
    '-b', String(e.blockSize),
    '-I', String(e.inodeSize),
    '-N', String(e.inodeCount),
    '-g', String(e.blocksPerGroup),
    ...(e.flexBgSize !== undefined && e.features.includes('flex_bg') ? ['-G', String(e.flexBgSize)] : []),
    '-O', features,
    '-E', extendedOptions(where, e),
    ...journalOptions(where, e),
    '-e', e.errorBehavior,
    ...(fs.label !== undefined ? ['-L', fs.label] : []),
    '-U', fs.uuid ?? 'clear',
    device,
    String(e.blockCount),
  ];
}

export function tune2fsArgv(where: string, e: ExtParams, device: string): string[] {
  return [
    'tune2fs',
    '-c', String(e.maxMountCount),
    '-i', `${e.checkInterval}s`,
    '-r', String(e.reservedBlockCount),
    '-u', String(e.reservedBlocksUid),
    '-g', String(e.reservedBlocksGid),
    '-o', mountOptionsArg(where, e.defaultMountOptions),
    ...(e.hashAlgorithm !== undefined ? ['-E', `hash_alg=${e.hashAlgorithm}`] : []),
    ...(e.mountOptions !== undefined ? ['-E', `mount_opts=${e.mountOptions}`] : []),
    device,
  ];
}

export function plan(ctx: PlanContext): Step[] {
  const steps: Step[] = [];
  for (const { entry: fs, where } of filesystemsOf(ctx, ['ext2', 'ext3', 'ext4'])) {
    const dev = ctx.devicePath(fs.on);
    const e = fs.ext!;
    const mkfs = mkfsStep(ctx, {
      on: fs.on,
      title: `${fs.type} on ${dev} (${fs.on})${fs.label ? ` "${fs.label}"` : ''}`,
      argv: mke2fsArgv(where, fs, dev),
      probe: probeOf(fs.type, fs.uuid),
    });
    const tune: Step = {
      id: `tune2fs:${fs.on}`,
      title: `${fs.type} on ${dev}: reserved blocks, check interval, mount options, hash algorithm`,
      argv: tune2fsArgv(where, e, dev),
      risk: 'create',
      after: [mkfsStepId(fs.on)],
    };
    // s_flags: the hash signedness mke2fs picks from the CPU it runs on, so set it as captured.
    const flagsValue = e.flags.reduce((acc, f) => acc | FLAG_BITS[f]!, 0);
    const flags: Step = {
      id: `ext-flags:${fs.on}`,
      title: `${fs.type} on ${dev}: superblock flags ${e.flags.join(' ') || '(none)'}`,
      argv: ['debugfs', '-w', '-R', `ssv flags ${flagsValue}`, dev],
      risk: 'create',
      after: [tune.id],
    };
    steps.push(mkfs, tune, flags);
    // --grow: made exactly as captured, then grown with its own tool to fill the larger
    // partition (resize2fs works offline and is harmless to rerun).
    if (ctx.grow.has(fs.on)) steps.push({ id: `grow:${fs.on}`, title: `${fs.type} on ${dev}: grow to fill the enlarged ${fs.on}`, argv: ['resize2fs', dev], risk: 'create', after: [flags.id] });
  }
  return steps;
}
