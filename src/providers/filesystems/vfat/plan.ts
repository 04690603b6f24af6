// Recreate FAT filesystems with the captured BIOS parameter block: every field mkfs.fat(8)
// lets us choose is passed explicitly, so its own guesses (cluster size from the device
// size, geometry from HDIO_GETGEO, hidden sectors from the partition start) never apply.
import type { Filesystem } from '../../../core/manifest/types.gen.ts';
import type { PlanContext } from '../../../core/plan/context.ts';
import type { Step } from '../../../core/plan/types.ts';
import { cannotRecreate, filesystemsOf, isWholeDisk, mkfsStep, probeOf } from '../plan.ts';

export function mkfsFatArgv(where: string, fs: Filesystem, device: string, wholeDisk: boolean): string[] {
  const v = fs.vfat;
  if (!v) throw cannotRecreate(where, 'no vfat parameters were captured');
  // mkfs.fat always puts the FAT32 root directory at cluster 2 and FSInfo at sector 1.
  if (v.rootCluster !== undefined && v.rootCluster !== 2) throw cannotRecreate(where, `root directory at cluster ${v.rootCluster} (mkfs.fat always uses 2)`);
  if (v.fsInfoSector !== undefined && v.fsInfoSector !== 1) throw cannotRecreate(where, `FSInfo at sector ${v.fsInfoSector} (mkfs.fat always uses 1)`);
  // mkfs.fat -n writes the same label to the boot sector and the root directory.
  if (v.bootSectorLabel !== undefined) throw cannotRecreate(where, `boot-sector label "${v.bootSectorLabel}" differs from the volume label`);
  // mkfs.fat rounds the size down to whole tracks (total = ⌊sectors / sectors-per-track⌋ ×
  // sectors-per-track, seen with dosfstools 4.2), so a count it made is a multiple of the
  // track, and the size argument (1 KiB blocks) rounded up lands on it again.
  if (v.sectorsPerTrack > 0 && v.totalSectors % v.sectorsPerTrack !== 0) {
    throw cannotRecreate(where, `${v.totalSectors} sectors is not a whole number of ${v.sectorsPerTrack}-sector tracks: mkfs.fat would round it down`);
  }
  const kib = Math.ceil((v.totalSectors * v.logicalSectorSize) / 1024);
  return [
    'mkfs.fat',
    ...(wholeDisk ? ['-I'] : []),
    '-F', String(v.fatSize),
    '-S', String(v.logicalSectorSize),
    '-s', String(v.sectorsPerCluster),
    '-f', String(v.numberOfFats),
    '-R', String(v.reservedSectors),
    ...(v.fatSize === 32 ? [] : ['-r', String(v.rootDirEntries)]),
    ...(v.backupBootSector !== undefined ? ['-b', String(v.backupBootSector)] : []),
    '-M', v.media,
    '-h', String(v.hiddenSectors),
    '-g', `${v.heads}/${v.sectorsPerTrack}`,
    ...(v.driveNumber !== undefined ? ['-D', `0x${v.driveNumber.toString(16)}`] : []),
    '-i', v.volumeId,
    ...(fs.label !== undefined ? ['-n', fs.label] : []),
    device,
    String(kib),
  ];
}

export function plan(ctx: PlanContext): Step[] {
  return filesystemsOf(ctx, ['vfat']).map(({ entry: fs, where }) => {
    const dev = ctx.devicePath(fs.on);
    if (ctx.grow.has(fs.on)) throw cannotRecreate(where, `--grow ${fs.on}: a FAT filesystem cannot be grown in place with the tools sysmanifest uses; grow another partition`);
    return mkfsStep(ctx, {
      on: fs.on,
      title: `FAT${fs.vfat?.fatSize ?? ''} on ${dev} (${fs.on})${fs.label ? ` "${fs.label}"` : ''}`,
      argv: mkfsFatArgv(where, fs, dev, isWholeDisk(ctx, fs.on)),
      probe: probeOf('vfat', fs.uuid),
    });
  });
}
