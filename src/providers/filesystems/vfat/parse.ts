// The FAT boot sector's BIOS parameter block (Microsoft "FAT: General Overview of On-Disk
// Format"; dosfstools mkfs.fat.c struct msdos_boot_sector). Little-endian throughout.
import { ParseError } from '../../../core/errors.ts';
import type { VfatParams } from '../../../core/manifest/types.gen.ts';

export interface BootSector {
  readonly params: VfatParams;
  /** Boot-sector volume label, trimmed; undefined for "NO NAME" or blank. */
  readonly label?: string;
}

const ascii = (b: Uint8Array, off: number, len: number): string => String.fromCharCode(...b.subarray(off, off + len));

/**
 * The FAT type as the kernel decides it (fs/fat/inode.c fat_fill_super; libblkid's vfat
 * probe agrees): a zero 16-bit FAT size (BPB_FATSz16, offset 22) with a 32-bit one means
 * FAT32, whatever the cluster count — `mkfs.fat -F 32` makes FAT32 volumes with fewer than
 * 65,525 clusters whenever clusters are large for the volume (4096-byte sectors, `-s 2` on
 * 64 MiB), and the spec's count-only rule (section 3.5) would call them FAT16. Otherwise
 * the count of data clusters tells FAT12 from FAT16 (more than 4,084: FAT16, MAX_FAT12).
 */
function fatTypeOf(b: { fatSz16: number; sectorSize: number; sectorsPerCluster: number; reserved: number; fats: number; rootEntries: number; total: number; sectorsPerFat: number }): 12 | 16 | 32 {
  if (b.fatSz16 === 0) return 32;
  const rootDirSectors = Math.ceil((b.rootEntries * 32) / b.sectorSize);
  const dataSectors = b.total - (b.reserved + b.fats * b.sectorsPerFat + rootDirSectors);
  const clusters = Math.floor(dataSectors / b.sectorsPerCluster);
  return clusters > 4084 ? 16 : 12;
}

export function parseBootSector(bytes: Uint8Array): BootSector {
  const what = 'FAT boot sector';
  if (bytes.length < 512) throw new ParseError(what, `only ${bytes.length} bytes`);
  if (bytes[510] !== 0x55 || bytes[511] !== 0xaa) throw new ParseError(what, 'no 0x55AA signature');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u8 = (o: number): number => v.getUint8(o);
  const u16 = (o: number): number => v.getUint16(o, true);
  const u32 = (o: number): number => v.getUint32(o, true);

  const sectorSize = u16(11);
  const sectorsPerCluster = u8(13);
  const reserved = u16(14);
  const fats = u8(16);
  const rootEntries = u16(17);
  const total = u16(19) || u32(32);
  const fatSz16 = u16(22);
  const sectorsPerFat = fatSz16 || u32(36);
  if (![512, 1024, 2048, 4096].includes(sectorSize) || sectorsPerCluster === 0 || fats === 0 || sectorsPerFat === 0) {
    throw new ParseError(what, `implausible BPB (bytes/sector ${sectorSize}, sectors/cluster ${sectorsPerCluster}, FATs ${fats})`);
  }
  const fatSize = fatTypeOf({ fatSz16, sectorSize, sectorsPerCluster, reserved, fats, rootEntries, total, sectorsPerFat });
  // FAT32 moves the extended BPB from offset 36 to 64.
  const ext = fatSize === 32 ? 64 : 36;
  const hasExtended = u8(ext + 2) === 0x29;
  const label = hasExtended ? ascii(bytes, ext + 7, 11).replace(/[ \0]+$/, '') : '';

  const params: VfatParams = {
    fatSize,
    logicalSectorSize: sectorSize,
    sectorsPerCluster,
    clusterSize: sectorsPerCluster * sectorSize,
    numberOfFats: fats,
    reservedSectors: reserved,
    rootDirEntries: rootEntries,
    media: `0x${u8(21).toString(16).padStart(2, '0')}`,
    hiddenSectors: u32(28),
    sectorsPerTrack: u16(24),
    heads: u16(26),
    ...(hasExtended ? { driveNumber: u8(ext) } : {}),
    totalSectors: total,
    sectorsPerFat,
    ...(fatSize === 32 ? { rootCluster: u32(44), fsInfoSector: u16(48), backupBootSector: u16(50) } : {}),
    volumeId: hasExtended ? u32(ext + 3).toString(16).toUpperCase().padStart(8, '0') : '00000000',
  };
  return { params, ...(label === '' || label === 'NO NAME' ? {} : { label }) };
}
