// Generated from schemas/ by `npm run gen:types`. Do not edit by hand.

/**
 * The chosen package set and where it comes from, read from the package manager state under the captured root. apt: dpkg/apt state files (ROOT/var/lib/dpkg/status, ROOT/var/lib/apt/extended_states, ROOT/etc/apt), not apt-mark. pacman: the local and sync databases (ROOT/var/lib/pacman/local/* /desc, ROOT/var/lib/pacman/sync/*.db) and ROOT/etc/pacman.conf, not pacman. dnf: `rpm -qa --root ROOT --dbpath …` and `dnf repoquery --userinstalled --installroot ROOT`, and ROOT/etc/yum.repos.d/*.repo. Versions are deliberately not recorded: they change daily and a rebuild installs the current ones; version pins are recorded where the user set them (apt preferences). dnf: when the user-installed set cannot be read, `manual` is absent and `unsupported` says why.
 */
export type Packages = {
  /**
   * The system package manager whose database was found under the captured root: apt (dpkg), pacman (Arch) or dnf (rpm: Fedora, RHEL and relatives).
   */
  manager: 'apt' | 'pacman' | 'dnf';
  /**
   * dpkg's native architecture: the Architecture of the installed dpkg package (what `dpkg --print-architecture` prints). apt only.
   */
  architecture?: string;
  /**
   * Architectures added with `dpkg --add-architecture` (ROOT/var/lib/dpkg/arch minus the native one), sorted. apt only.
   */
  foreignArchitectures?: string[];
  /**
   * The packages the user chose, sorted bytewise. apt: manually installed packages, exactly what `apt-mark showmanual` prints; a package carries `:arch` only when its architecture is neither the native one nor `all` (apt’s pretty full name). pacman: explicitly installed packages (no %REASON% 1 in their local desc), exactly what `pacman -Qqe` prints. dnf: user-installed packages, exactly the names `dnf repoquery --userinstalled` prints (each name once). dnf: absent when `unsupported` says why it could not be read.
   *
   * Items: A package name: Debian (with `:arch` when apt shows one), Arch or rpm.
   */
  manual?: string[];
  /**
   * apt only, and only when the captured system turns Recommends off: false when the last `APT::Install-Recommends` setting in ROOT/etc/apt/apt.conf and apt.conf.d/* is false/0/no. The packages stage of a rebuild then installs the manual set with --no-install-recommends, and `sysmanifest mirror` leaves the Recommends out. Absent: apt's default (Recommends installed).
   */
  installRecommends?: boolean;
  /**
   * How many installed packages are not in `manual`: apt — marked automatically installed (the length of `apt-mark showauto`); pacman — installed as dependencies (`pacman -Qqd`); dnf — the other installed package names of `rpm -qa` (gpg-pubkey entries excluded). A count only: the set follows from the manual set.
   */
  autoCount?: number;
  /**
   * apt: packages whose dpkg selection is `hold` (Status: hold …), sorted: exactly what `apt-mark showhold` prints. pacman: the IgnorePkg entries of pacman.conf (names or globs pacman never upgrades), sorted.
   */
  held?: string[];
  /**
   * apt sources in the order apt reads them: ROOT/etc/apt/sources.list, then ROOT/etc/apt/sources.list.d/*.list and *.sources in file-name order. Both formats are normalised to one shape. apt only.
   */
  sources?: AptSource[];
  /**
   * Public key files the sources rely on, sorted by path: every Signed-By file, ROOT/etc/apt/trusted.gpg and ROOT/etc/apt/trusted.gpg.d/*.gpg|*.asc. Their bytes are stored beside the manifest (public keys are not secrets). apt only.
   */
  keys?: AptKey[];
  /**
   * Version pins from ROOT/etc/apt/preferences and ROOT/etc/apt/preferences.d/* (apt_preferences(5)), files in name order, stanzas in file order. apt only.
   */
  pins?: AptPin[];
  /**
   * pacman: installed packages found in no configured repository’s sync database (ROOT/var/lib/pacman/sync/<repo>.db), sorted: exactly what `pacman -Qqm` prints (AUR and locally built packages). A repository whose sync database is missing counts as empty, as pacman does.
   *
   * Items: A package name: Debian (with `:arch` when apt shows one), Arch or rpm.
   */
  foreign?: string[];
  /**
   * pacman: the repositories of ROOT/etc/pacman.conf in the order pacman searches them (the order matters: the first repository that has a package wins).
   */
  pacmanRepos?: PacmanRepo[];
  /**
   * dnf: the repositories defined in ROOT/etc/yum.repos.d/*.repo, sorted by file then id.
   */
  dnfRepos?: DnfRepo[];
  unsupported?: Unsupported;
  extra?: PackagesExtra;
};

/**
 * A sysmanifest v1 manifest: what a machine is.
 */
export interface Manifest {
  apiVersion: 'sysmanifest/v1';
  host: Host;
  storage?: Storage;
  mounts?: Mounts;
  boot?: Boot;
  packages?: Packages;
  users?: Accounts;
  repos?: Repos;
  datasets?: Dataset[];
  merge?: MergeSettings;
}
export interface Host {
  /**
   * A host name (hostname(7)): letters, digits, . _ -, at most 64 characters, starting with a letter or digit.
   */
  hostname: string;
  os?: OsRelease;
  /**
   * Kernel machine name (uname -m), e.g. x86_64.
   */
  arch?: string;
  /**
   * uefi when /sys/firmware/efi exists.
   */
  firmware?: 'uefi' | 'bios';
}
/**
 * From /etc/os-release.
 */
export interface OsRelease {
  id?: string;
  versionId?: string;
  codename?: string;
  prettyName?: string;
}
export interface Storage {
  disks?: Disk[];
  mdraid?: MdArray[];
  luks?: LuksVolume[];
  lvm?: Lvm;
  filesystems?: Filesystem[];
  swap?: Swap[];
}
/**
 * A whole disk: how to recognise it again (match), its sector sizes and its partition table. Identity comes from sysfs (never the udev database); the table from `sfdisk --json`. A disk that could not be read is kept with `unsupported` and without a table.
 */
export interface Disk {
  /**
   * Stable manifest id: disk0, disk1 … in identity order (WWN, else serial, else kernel name).
   */
  id: string;
  /**
   * The kernel device node the disk had at capture (/dev/sda). A fact of one boot, informational only: shown to help write `--map disk0=/dev/…`, never used to find the disk.
   */
  path?: string;
  match: DiskMatch;
  /**
   * Logical sector size in bytes (queue/logical_block_size); partition start and size are counted in these sectors.
   */
  logicalSectorSize: number;
  /**
   * Physical sector size in bytes (queue/physical_block_size).
   */
  physicalSectorSize: number;
  table?: PartitionTable;
  /**
   * Partitions sorted by number. Present exactly when `table` is.
   */
  partitions?: Partition[];
  unsupported?: Unsupported;
}
/**
 * What identifies the physical disk on the target machine. Strings are trimmed and runs of blanks collapsed to one space.
 */
export interface DiskMatch {
  /**
   * Serial number from sysfs: /sys/block/X/serial (virtio-blk), /sys/block/X/device/serial (nvme, space padded), or the SCSI VPD page 0x80 /sys/block/X/device/vpd_pg80 (scsi, sata).
   */
  serial?: string;
  /**
   * World wide identifier from sysfs: /sys/block/X/wwid (nvme: eui.… / nvme.… / uuid), else /sys/block/X/device/wwid (scsi/sata: naa.… / t10.…), else nvme eui / nguid attributes.
   */
  wwn?: string;
  /**
   * /sys/block/X/device/model (scsi INQUIRY product, nvme model).
   */
  model?: string;
  /**
   * /sys/block/X/device/vendor (scsi INQUIRY vendor, e.g. ATA). Not recorded for virtio-blk, whose `vendor` attribute is the virtio subsystem id.
   */
  vendor?: string;
  /**
   * Size in bytes (sysfs size × 512).
   */
  sizeBytes: number;
}
/**
 * The partition table header as `sfdisk --json` prints it. Absent when the disk has no partition table (a filesystem or PV directly on the disk, or blank).
 */
export interface PartitionTable {
  /**
   * sfdisk `label`: gpt, or dos (MBR).
   */
  type: 'gpt' | 'dos';
  /**
   * sfdisk `id`: the GPT disk GUID (uppercase), or the MBR disk identifier as 0xXXXXXXXX.
   */
  id: string;
  /**
   * GPT only: first usable LBA (sfdisk `firstlba`).
   */
  firstLba?: number;
  /**
   * GPT only: last usable LBA (sfdisk `lastlba`).
   */
  lastLba?: number;
  /**
   * GPT only: the number of partition entries the table has room for, when it is not the default 128 (sfdisk `table-length`, which sfdisk reports only then). Absent: 128.
   */
  tableLength?: number;
}
export interface Partition {
  /**
   * Disk id + "p" + number: disk0p1.
   */
  id: string;
  /**
   * Partition number (the suffix of sfdisk's `node`). MBR: 1–4 primary or extended, 5 and up logical.
   */
  number: number;
  /**
   * First sector, in logical sectors (sfdisk `start`).
   */
  start: number;
  /**
   * Length in logical sectors (sfdisk `size`).
   */
  size: number;
  /**
   * sfdisk `type`: the GPT type GUID (uppercase), or the MBR type code in hex without 0x ("83", "5", "fd").
   */
  type: string;
  /**
   * GPT only: the unique partition GUID (PARTUUID, sfdisk `uuid`).
   */
  uuid?: string;
  /**
   * GPT only: partition name (PARTLABEL, sfdisk `name`); absent when empty.
   */
  name?: string;
  /**
   * GPT only: attribute flags exactly as sfdisk prints and accepts them, e.g. "RequiredPartition LegacyBIOSBootable GUID:60,63". sfdisk (libfdisk) shows bits 0, 1, 2 and 48–63 only; reserved bits 3–47 are not visible to it.
   */
  attrs?: string;
  /**
   * GPT only: the same attributes as sorted bit numbers (0 RequiredPartition, 1 NoBlockIOProtocol, 2 LegacyBIOSBootable, 48–63 type-specific GUID bits).
   */
  attrBits?: number[];
  /**
   * MBR only: the boot indicator (sfdisk `bootable`).
   */
  bootable?: boolean;
  /**
   * MBR only: logical when number ≥ 5; extended for type 5, f or 85; else primary.
   */
  kind?: 'primary' | 'extended' | 'logical';
}
/**
 * What sysmanifest could not read or cannot represent, and why. A rebuild refuses to touch what is marked so.
 */
export interface Unsupported {
  reason: string;
}
/**
 * An md RAID array: what `mdadm --create` needs to recreate it identically. From `mdadm --detail --export /dev/mdX` (uuid, name, level, metadata, raid devices, member roles), the `Layout :` line of `mdadm --detail /dev/mdX`, and sysfs /sys/block/mdX/md/ (chunk_size, component_size, bitmap/*, dev-* /offset). No sync state, event counts or update times.
 */
export interface MdArray {
  /**
   * `md-<name>` (see src/providers/storage/ids.ts).
   */
  id: string;
  /**
   * Array name without the homehost (mdadm --create --name).
   */
  name?: string;
  /**
   * A host name (hostname(7)): letters, digits, . _ -, at most 64 characters, starting with a letter or digit.
   */
  homehost?: string;
  /**
   * Array UUID in mdadm notation (mdadm --create --uuid).
   */
  uuid?: string;
  /**
   * RAID level as mdadm names it: raid0, raid1, raid4, raid5, raid6, raid10, linear (--level).
   */
  level?: string;
  /**
   * Superblock format: 0.90, 1.0, 1.1, 1.2 (--metadata).
   */
  metadata?: string;
  /**
   * Number of active slots (--raid-devices).
   */
  raidDevices?: number;
  /**
   * Chunk size in bytes (--chunk takes KiB); absent for levels without chunks (raid1).
   */
  chunkSize?: number;
  /**
   * Layout as mdadm names it (left-symmetric, n2, …; --layout); absent when mdadm shows none (raid1).
   */
  layout?: string;
  /**
   * Space used on each member, in bytes (sysfs component_size; mdadm --size takes KiB).
   */
  componentSize?: number;
  /**
   * Offset of the data on each member, in bytes (sysfs dev-* /offset; mdadm --data-offset). Absent when the members differ (then see members[].dataOffset).
   */
  dataOffset?: number;
  bitmap?: MdBitmap;
  /**
   * Active members, sorted by role (slot).
   */
  members?: MdMember[];
  /**
   * Manifest ids of spare devices (--spare-devices), sorted.
   *
   * Items: A manifest id: letters, digits and ._:/+- ; never a `.` or `..` component.
   */
  spares?: string[];
  unsupported?: Unsupported;
}
/**
 * Write-intent bitmap (mdadm --bitmap, --bitmap-chunk).
 */
export interface MdBitmap {
  /**
   * none, internal (in the superblock area), or an external file.
   */
  type: 'none' | 'internal' | 'external';
  /**
   * internal: bitmap position relative to the superblock, in 512-byte sectors (sysfs bitmap/location, e.g. +8).
   */
  offset?: number;
  /**
   * Bytes of data per bitmap bit (sysfs bitmap/chunksize; --bitmap-chunk takes KiB).
   */
  chunkSize?: number;
}
export interface MdMember {
  /**
   * Manifest id of the member device.
   */
  on: string;
  /**
   * Slot number (mdadm --detail --export MD_DEVICE_*_ROLE); --create takes members in this order.
   */
  role: number;
  /**
   * Only when members differ: this member's data offset in bytes.
   */
  dataOffset?: number;
}
/**
 * A LUKS1/LUKS2 container: the header parameters `cryptsetup luksFormat` needs to recreate it identically (header metadata only; never key material, salts or digests). LUKS2 values come from `cryptsetup luksDump --dump-json-metadata DEV` plus `blkid -p` (uuid, label, subsystem live in the binary header, not in the JSON); LUKS1 values from `cryptsetup luksDump DEV`.
 */
export interface LuksVolume {
  /**
   * A manifest id: letters, digits and ._:/+- ; never a `.` or `..` component.
   */
  id: string;
  /**
   * A manifest id: letters, digits and ._:/+- ; never a `.` or `..` component.
   */
  on: string;
  /**
   * LUKS header version (luksFormat --type luks1|luks2).
   */
  version?: 1 | 2;
  /**
   * Header UUID (luksFormat --uuid).
   */
  uuid?: string;
  /**
   * LUKS2 label (luksFormat --label); absent when none.
   */
  label?: string;
  /**
   * LUKS2 subsystem (luksFormat --subsystem); absent when none.
   */
  subsystem?: string;
  /**
   * Data cipher in cryptsetup notation, e.g. aes-xts-plain64 (luksFormat --cipher).
   */
  cipher?: string;
  /**
   * Volume key size in bits (luksFormat --key-size).
   */
  keySize?: number;
  /**
   * LUKS1 hash spec / LUKS2 volume-key digest hash (luksFormat --hash).
   */
  hash?: string;
  pbkdf?: LuksPbkdf;
  /**
   * Encryption sector size in bytes (luksFormat --sector-size; always 512 for LUKS1).
   */
  sectorSize?: number;
  /**
   * Offset of the encrypted data from the start of the device, in bytes (luksFormat --offset, which takes 512-byte sectors).
   */
  dataOffset?: number;
  /**
   * LUKS2: fixed data segment size in bytes (luksFormat --device-size); absent when the segment spans the whole device ("dynamic").
   */
  dataSize?: number;
  /**
   * LUKS2: size of one metadata area (binary header + JSON area) in bytes, luksFormat --luks2-metadata-size; config.json_size + 4096.
   */
  metadataSize?: number;
  /**
   * LUKS2: size of the binary keyslots area in bytes (luksFormat --luks2-keyslots-size; config.keyslots_size).
   */
  keyslotsSize?: number;
  /**
   * LUKS2 authenticated encryption (luksFormat --integrity), e.g. hmac-sha256; absent when none.
   */
  integrity?: string;
  /**
   * LUKS2 persistent activation flags (config.flags, e.g. allow-discards; set by open --persistent), sorted.
   *
   * Items: A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  flags?: string[];
  /**
   * Number of active keyslots.
   */
  keyslots?: number;
  /**
   * LUKS2 token types (e.g. systemd-tpm2, luks2-keyring), sorted; one entry per token. Token contents are not recorded.
   *
   * Items: A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  tokens?: string[];
  /**
   * device-mapper name of the open mapping at capture time (crypttab name); absent when closed.
   */
  mapping?: string;
  unsupported?: Unsupported;
}
/**
 * Key derivation of the lowest-numbered active keyslot (luksFormat --pbkdf, --pbkdf-force-iterations, --pbkdf-memory, --pbkdf-parallel). A rebuild asks for a new passphrase; these only reproduce the header cost.
 */
export interface LuksPbkdf {
  /**
   * PBKDF algorithm.
   */
  type: 'pbkdf2' | 'argon2i' | 'argon2id';
  /**
   * pbkdf2 only: the PRF hash.
   */
  hash?: string;
  /**
   * pbkdf2 only: iteration count.
   */
  iterations?: number;
  /**
   * argon2 only: time cost (iterations).
   */
  time?: number;
  /**
   * argon2 only: memory cost in KiB.
   */
  memory?: number;
  /**
   * argon2 only: parallel threads.
   */
  parallel?: number;
}
export interface Lvm {
  vgs?: LvmVolumeGroup[];
}
/**
 * One LVM volume group with its PVs and LVs: what pvcreate / vgcreate / lvcreate need to recreate it identically. From `lvm vgs|pvs|lvs --reportformat json --units b --nosuffix -o …` (exact argv in src/providers/storage/lvm/gather.ts). Nothing that changes by itself (free space, data%, activation, seqno). Internal LVs (thin pool data/metadata, pmspare) are listed with `hidden: true`: they have device-mapper devices and manifest ids (vg/pool_tdata), and a capture of the rebuilt VG must show the same ones; a rebuild creates only the visible ones and lets lvcreate make the rest. PVs that belong to no VG, and PVs that could not be read, are pseudo-VG entries marked unsupported (see `name`).
 */
export interface LvmVolumeGroup {
  /**
   * VG name (vg_name). Two pseudo-names, always with `unsupported`: `#orphans_lvm2` (lvm's own name) holds PVs in scope that belong to no VG; `#unreadable` stands for LVM PVs in scope that could not be read.
   */
  name: string;
  /**
   * VG UUID (vg_uuid; vgcreate cannot set it, vgcfgrestore keeps it).
   */
  uuid?: string;
  /**
   * Physical extent size in bytes (vg_extent_size; vgcreate --physicalextentsize).
   */
  extentSize?: number;
  /**
   * vg_allocation_policy (vgcreate --alloc): normal, contiguous, cling, anywhere.
   */
  allocationPolicy?: string;
  /**
   * max_lv (vgcreate --maxlogicalvolumes), 0 = unlimited.
   */
  maxLv?: number;
  /**
   * max_pv (vgcreate --maxphysicalvolumes), 0 = unlimited.
   */
  maxPv?: number;
  /**
   * vg_mda_copies (vgcreate --vgmetadatacopies): a number, `unmanaged` or `all`.
   */
  metadataCopies?: string;
  /**
   * A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  systemId?: string;
  /**
   * VG tags (vgcreate --addtag), sorted.
   *
   * Items: An LVM tag (lvm(8): A-Z a-z 0-9 _ + . - / = ! : & #).
   */
  tags?: string[];
  /**
   * Physical volumes, sorted by `on`.
   */
  pvs?: LvmPhysicalVolume[];
  /**
   * Logical volumes, sorted by name.
   */
  lvs?: LvmLogicalVolume[];
  unsupported?: Unsupported;
}
export interface LvmPhysicalVolume {
  /**
   * A manifest id: letters, digits and ._:/+- ; never a `.` or `..` component.
   */
  on: string;
  /**
   * PV UUID (pv_uuid; pvcreate --uuid with --restorefile).
   */
  uuid: string;
  /**
   * Offset of the first extent in bytes (pe_start; pvcreate --dataalignment / --dataalignmentoffset).
   */
  peStart?: number;
  /**
   * Metadata areas on this PV (pv_mda_count; pvcreate --pvmetadatacopies).
   */
  metadataCopies?: number;
  /**
   * Size of the smallest metadata area in bytes (pv_mda_size; pvcreate --metadatasize).
   */
  metadataSize?: number;
  /**
   * pv_ba_size (pvcreate --bootloaderareasize); absent when 0.
   */
  bootloaderAreaSize?: number;
  /**
   * PV tags, sorted; absent when none.
   *
   * Items: An LVM tag (lvm(8): A-Z a-z 0-9 _ + . - / = ! : & #).
   */
  tags?: string[];
}
export interface LvmLogicalVolume {
  /**
   * LV name without lvm's brackets (lv_name).
   */
  name: string;
  /**
   * A manifest id: letters, digits and ._:/+- ; never a `.` or `..` component.
   */
  id: string;
  /**
   * LV UUID (lv_uuid).
   */
  uuid: string;
  /**
   * Internal LV (lvm shows it in [brackets]: thin pool _tdata/_tmeta, lvol0_pmspare); created by lvcreate as a side effect.
   */
  hidden?: true;
  /**
   * LV size in bytes (lv_size). For a thin LV this is its virtual size (lvcreate -V).
   */
  size: number;
  /**
   * LV tags (lvcreate --addtag), sorted; absent when none.
   *
   * Items: An LVM tag (lvm(8): A-Z a-z 0-9 _ + . - / = ! : & #).
   */
  tags?: string[];
  /**
   * lv_allocation_policy (lvcreate --alloc); `inherit` = the VG's.
   */
  allocationPolicy?: string;
  /**
   * lv_read_ahead (lvcreate --readahead): `auto` or a byte count.
   */
  readAhead?: string;
  /**
   * Thin LV: name of its thin pool (pool_lv; lvcreate --thinpool).
   */
  pool?: string;
  /**
   * Thin pool: chunk size in bytes (chunk_size; lvcreate --chunksize).
   */
  chunkSize?: number;
  /**
   * Thin pool: size of its metadata LV in bytes (lv_metadata_size; lvcreate --poolmetadatasize).
   */
  metadataSize?: number;
  /**
   * Thin pool: its hidden data LV (data_lv).
   */
  dataLv?: string;
  /**
   * Thin pool: its hidden metadata LV (metadata_lv).
   */
  metadataLv?: string;
  /**
   * Thin pool: whether new blocks are zeroed (zero; lvcreate --zero).
   */
  zero?: boolean;
  /**
   * Thin pool: discard handling (discards; lvcreate --discards): ignore, nopassdown, passdown.
   */
  discards?: string;
  /**
   * Segments in LV order (lvs --segments).
   */
  segments: LvmSegment[];
  unsupported?: Unsupported1;
}
export interface LvmSegment {
  /**
   * Offset of the segment within the LV in bytes (seg_start).
   */
  start: number;
  /**
   * Segment size in bytes (seg_size).
   */
  size: number;
  /**
   * A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  type: string;
  /**
   * Number of stripes / legs (stripes; lvcreate -i); absent for thin.
   */
  stripes?: number;
  /**
   * Stripe size in bytes (stripe_size; lvcreate -I); absent when not striped.
   */
  stripeSize?: number;
  /**
   * Mirror/RAID region size in bytes (region_size; lvcreate -R); absent when 0.
   */
  regionSize?: number;
  /**
   * Where the segment's extents live, in lvm's order (seg_le_ranges): extent ranges on PVs, or on another LV (a thin pool's _tdata).
   */
  areas?: LvmArea[];
}
export interface LvmArea {
  /**
   * A manifest id: letters, digits and ._:/+- ; never a `.` or `..` component.
   */
  pv?: string;
  /**
   * Name of the LV this area lies on (without brackets).
   */
  lv?: string;
  /**
   * First extent (inclusive).
   */
  start: number;
  /**
   * Last extent (inclusive).
   */
  end: number;
}
/**
 * What sysmanifest could not read or cannot represent, and why. A rebuild refuses to touch what is marked so.
 */
export interface Unsupported1 {
  reason: string;
}
/**
 * A filesystem with the parameters mkfs decided (and tune2fs/btrfs changed later), so that a rebuild can recreate it identically. Never free space, mount counts or timestamps.
 */
export interface Filesystem {
  /**
   * A manifest id: letters, digits and ._:/+- ; never a `.` or `..` component.
   */
  on: string;
  /**
   * btrfs only: manifest ids of all devices of the filesystem, in devid order.
   *
   * Items: A manifest id: letters, digits and ._:/+- ; never a `.` or `..` component.
   */
  devices?: string[];
  /**
   * Filesystem type as blkid -p reports it (TYPE).
   */
  type: 'ext2' | 'ext3' | 'ext4' | 'xfs' | 'btrfs' | 'vfat';
  /**
   * Filesystem UUID as fstab's UUID= uses it (vfat: the volume id as XXXX-XXXX).
   */
  uuid?: string;
  /**
   * Filesystem label; absent when none is set.
   */
  label?: string;
  ext?: ExtParams;
  xfs?: XfsParams;
  btrfs?: BtrfsParams;
  vfat?: VfatParams;
  unsupported?: Unsupported;
}
/**
 * ext2/3/4 superblock parameters from `dumpe2fs -h` (e2fsprogs).
 */
export interface ExtParams {
  /**
   * "Filesystem revision #" (mke2fs -r).
   */
  revision: number;
  /**
   * "Block size" in bytes (mke2fs -b).
   */
  blockSize: number;
  /**
   * "Block count" (mke2fs fs-size, in blocks).
   */
  blockCount: number;
  /**
   * "Inode size" in bytes (mke2fs -I).
   */
  inodeSize: number;
  /**
   * "Inode count" (mke2fs -N asks for at least this many).
   */
  inodeCount: number;
  /**
   * "Blocks per group" (mke2fs -g).
   */
  blocksPerGroup: number;
  /**
   * "Inodes per group": mke2fs rounds -N to whole inode-table blocks per group; this reproduces inodeCount exactly.
   */
  inodesPerGroup: number;
  /**
   * "Filesystem features", sorted (mke2fs -O); without the state the kernel sets and clears (needs_recovery while mounted or after a crash, orphan_present).
   *
   * Items: A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  features: string[];
  /**
   * "Filesystem flags", sorted (signed_/unsigned_directory_hash, test_fs).
   *
   * Items: A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  flags: string[];
  /**
   * "Default mount options", sorted; empty for (none) (tune2fs -o).
   *
   * Items: A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  defaultMountOptions: string[];
  /**
   * "Mount options": the extended mount options string (tune2fs -E mount_opts=).
   */
  mountOptions?: string;
  /**
   * "Errors behavior" (tune2fs -e / mke2fs -e).
   */
  errorBehavior: 'continue' | 'remount-ro' | 'panic';
  /**
   * "Maximum mount count"; -1 disables (tune2fs -c).
   */
  maxMountCount: number;
  /**
   * "Check interval" in seconds; 0 disables (tune2fs -i).
   */
  checkInterval: number;
  /**
   * "Reserved block count" (tune2fs -r; mke2fs -m gives a percentage).
   */
  reservedBlockCount: number;
  /**
   * "Reserved blocks uid" (tune2fs -u).
   */
  reservedBlocksUid: number;
  /**
   * "Reserved blocks gid" (tune2fs -g).
   */
  reservedBlocksGid: number;
  /**
   * "Reserved GDT blocks" (mke2fs -E resize=); 0 without resize_inode.
   */
  reservedGdtBlocks: number;
  /**
   * "Group descriptor size" (64bit filesystems; mke2fs -E desc_size=).
   */
  groupDescriptorSize?: number;
  /**
   * "Flex block group size" (mke2fs -G).
   */
  flexBgSize?: number;
  /**
   * "First meta block group" (meta_bg filesystems).
   */
  firstMetaBg?: number;
  /**
   * "RAID stride" in blocks (mke2fs -E stride=).
   */
  raidStride?: number;
  /**
   * "RAID stripe width" in blocks (mke2fs -E stripe_width=).
   */
  raidStripeWidth?: number;
  /**
   * A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  hashAlgorithm?: string;
  /**
   * "Directory Hash Seed" (mke2fs -E hash_seed=).
   */
  hashSeed?: string;
  /**
   * "Checksum seed" (metadata_csum_seed filesystems).
   */
  checksumSeed?: string;
  /**
   * A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  encoding?: string;
  /**
   * A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  encodingFlags?: string;
  /**
   * "MMP update interval" in seconds (mmp feature; mke2fs -E mmp_update_interval=).
   */
  mmpUpdateInterval?: number;
  /**
   * "Total journal blocks" of the internal journal, fast-commit area included (mke2fs -J size=).
   */
  journalBlocks?: number;
  /**
   * "Fast commit length" in blocks (mke2fs -J fast_commit_size=).
   */
  journalFastCommitBlocks?: number;
  /**
   * "Journal features", sorted.
   *
   * Items: A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  journalFeatures?: string[];
  /**
   * "Journal UUID": UUID of an external journal device (mke2fs -J device=).
   */
  journalUuid?: string;
}
/**
 * Geometry from `xfs_info DEV`, grouped the way xfs_info prints it; names are mkfs.xfs's suboption names.
 */
export interface XfsParams {
  metadata: XfsMetadata;
  data: XfsData;
  naming: XfsNaming;
  log: XfsLog;
  realtime: XfsRealtime;
}
/**
 * The meta-data= lines (mkfs.xfs -i, -d agcount=/agsize=, -s, -m).
 */
export interface XfsMetadata {
  /**
   * Inode size in bytes (-i size=).
   */
  isize: number;
  /**
   * Allocation groups (-d agcount=).
   */
  agcount: number;
  /**
   * Allocation group size in blocks (-d agsize= takes bytes: agsize × bsize).
   */
  agsize: number;
  /**
   * Sector size in bytes (-s size=).
   */
  sectsz: number;
  /**
   * Attribute format version (-i attr=).
   */
  attr?: number;
  /**
   * -i projid32bit=
   */
  projid32bit?: number;
  /**
   * -m crc= (V5 filesystem).
   */
  crc?: number;
  /**
   * -m finobt=
   */
  finobt?: number;
  /**
   * -i sparse=
   */
  sparse?: number;
  /**
   * -m rmapbt=
   */
  rmapbt?: number;
  /**
   * -m reflink=
   */
  reflink?: number;
  /**
   * -m bigtime=
   */
  bigtime?: number;
  /**
   * -m inobtcount=
   */
  inobtcount?: number;
  /**
   * -i nrext64=
   */
  nrext64?: number;
}
/**
 * The data= lines (mkfs.xfs -b, -d).
 */
export interface XfsData {
  /**
   * Block size in bytes (-b size=).
   */
  bsize: number;
  /**
   * Data section size in blocks (-d size=).
   */
  blocks: number;
  /**
   * -i maxpct=
   */
  imaxpct: number;
  /**
   * Stripe unit in filesystem blocks (-d sunit= takes 512-byte units).
   */
  sunit: number;
  /**
   * Stripe width in filesystem blocks (-d swidth= takes 512-byte units).
   */
  swidth: number;
}
/**
 * The naming= line (mkfs.xfs -n).
 */
export interface XfsNaming {
  /**
   * A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  version: string;
  /**
   * Directory block size in bytes (-n size=).
   */
  bsize: number;
  /**
   * ascii-ci= (-n version=ci).
   */
  asciiCi: number;
  /**
   * -n ftype=
   */
  ftype: number;
}
/**
 * The log= lines (mkfs.xfs -l).
 */
export interface XfsLog {
  /**
   * Internal log (-l internal) rather than an external log device (-l logdev=).
   */
  internal: boolean;
  /**
   * Log block size in bytes.
   */
  bsize: number;
  /**
   * Log size in log blocks (-l size= takes bytes: blocks × bsize).
   */
  blocks: number;
  /**
   * -l version=
   */
  version: number;
  /**
   * Log sector size (-l sectsize=).
   */
  sectsz: number;
  /**
   * Log stripe unit in log blocks (-l sunit= takes 512-byte units).
   */
  sunit: number;
  /**
   * -l lazy-count=
   */
  lazyCount: number;
}
/**
 * The realtime= line (mkfs.xfs -r).
 */
export interface XfsRealtime {
  /**
   * A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  device: string;
  /**
   * Realtime extent size in bytes (-r extsize=).
   */
  extsz: number;
  /**
   * Realtime section size in blocks.
   */
  blocks: number;
  /**
   * Realtime extents.
   */
  rtextents: number;
}
/**
 * From `btrfs inspect-internal dump-super -f`, the chunk tree and the root tree (dump-tree), read on the unmounted or mounted device.
 */
export interface BtrfsParams {
  /**
   * mkfs.btrfs -n
   */
  nodesize: number;
  /**
   * mkfs.btrfs -s
   */
  sectorsize: number;
  /**
   * A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  csumType: string;
  /**
   * metadata_uuid when it differs from the fsid (METADATA_UUID feature, btrfstune -m).
   */
  metadataUuid?: string;
  features: BtrfsFeatures;
  profiles: BtrfsProfiles;
  /**
   * Member devices, by devid.
   */
  devices: BtrfsDevice[];
  /**
   * Subvolumes and snapshots, sorted by path; the top level (id 5) is implied.
   */
  subvolumes: BtrfsSubvolume[];
  /**
   * Path of the default subvolume (btrfs subvolume set-default); "" is the top level.
   */
  defaultSubvolume: '' | string;
}
/**
 * Superblock feature flags by name, sorted (mkfs.btrfs -O / -R).
 */
export interface BtrfsFeatures {
  /**
   * Items: A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  compat: string[];
  /**
   * Items: A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  compatRo: string[];
  /**
   * Items: A value handed to a tool as one argument or option value (a cipher, a hash, a profile, a feature): letters, digits and _.:,()+@=/- , never starting with - .
   */
  incompat: string[];
}
/**
 * Block group profiles as mkfs.btrfs -d/-m take them (single, dup, raid0, raid1, raid1c3, raid1c4, raid10, raid5, raid6), from the chunk tree.
 */
export interface BtrfsProfiles {
  data?: string;
  metadata?: string;
  system?: string;
}
export interface BtrfsDevice {
  /**
   * A manifest id: letters, digits and ._:/+- ; never a `.` or `..` component.
   */
  on: string;
  /**
   * dev_item.devid
   */
  devid: number;
  /**
   * dev_item.uuid (blkid UUID_SUB).
   */
  uuid: string;
}
export interface BtrfsSubvolume {
  /**
   * Path from the top level, as `btrfs subvolume list` prints it ("@home/nested").
   */
  path: string;
  /**
   * Subvolume (tree) id.
   */
  id: number;
  /**
   * Id of the subvolume that contains it (5 = top level).
   */
  parentId: number;
  /**
   * ROOT_ITEM flag RDONLY (btrfs property set ro / snapshot -r).
   */
  readOnly: boolean;
  /**
   * NODATACOW on the subvolume's root directory (chattr +C), inherited by new files.
   */
  nodatacow: boolean;
  /**
   * Path of the subvolume this one is a snapshot of (its parent_uuid), when that subvolume still exists.
   */
  snapshotOf?: string;
}
/**
 * The BIOS parameter block of the boot sector (first 512 bytes), in mkfs.fat's terms.
 */
export interface VfatParams {
  /**
   * FAT type by cluster count (Microsoft FAT spec) (mkfs.fat -F).
   */
  fatSize: 12 | 16 | 32;
  /**
   * Bytes per sector (mkfs.fat -S).
   */
  logicalSectorSize: number;
  /**
   * mkfs.fat -s
   */
  sectorsPerCluster: number;
  /**
   * Bytes per cluster (sectorsPerCluster × logicalSectorSize).
   */
  clusterSize: number;
  /**
   * mkfs.fat -f
   */
  numberOfFats: number;
  /**
   * mkfs.fat -R
   */
  reservedSectors: number;
  /**
   * mkfs.fat -r (0 on FAT32).
   */
  rootDirEntries: number;
  /**
   * Media descriptor byte, hex (mkfs.fat -M), e.g. 0xf8.
   */
  media: string;
  /**
   * mkfs.fat -h
   */
  hiddenSectors: number;
  /**
   * mkfs.fat -g HEADS/SECTORS
   */
  sectorsPerTrack: number;
  /**
   * mkfs.fat -g HEADS/SECTORS
   */
  heads: number;
  /**
   * BIOS drive number (mkfs.fat -D).
   */
  driveNumber?: number;
  /**
   * Filesystem size in logical sectors.
   */
  totalSectors: number;
  /**
   * Size of each FAT in sectors.
   */
  sectorsPerFat: number;
  /**
   * FAT32: first cluster of the root directory.
   */
  rootCluster?: number;
  /**
   * FAT32: FSInfo sector.
   */
  fsInfoSector?: number;
  /**
   * FAT32: backup boot sector (mkfs.fat -b).
   */
  backupBootSector?: number;
  /**
   * Volume id as mkfs.fat -i takes it (8 hex digits).
   */
  volumeId: string;
  /**
   * Label in the boot sector when it differs from the root-directory label (fatlabel sets both).
   */
  bootSectorLabel?: string;
}
/**
 * A swap area, from its on-disk header (the SWAPSPACE2 page that mkswap writes).
 */
export interface Swap {
  /**
   * A manifest id: letters, digits and ._:/+- ; never a `.` or `..` component.
   */
  on: string;
  /**
   * Swap UUID (mkswap -U).
   */
  uuid?: string;
  /**
   * Swap label (mkswap -L); absent when none is set.
   */
  label?: string;
  /**
   * Swap header version (mkswap writes 1).
   */
  version?: number;
  /**
   * Page size the area was made for: offset of the SWAPSPACE2 magic + 10 (mkswap -p).
   */
  pageSize?: number;
  /**
   * Size in pages: header last_page + 1 (mkswap's size argument is pages × pageSize / 1024 KiB).
   */
  pages?: number;
  /**
   * Number of pages marked bad (mkswap -c).
   */
  badPages?: number;
  unsupported?: Unsupported;
}
/**
 * fstab and crypttab entries, in file order (the order matters for mounting and unlocking), tied to manifest ids where the device spec resolves to a captured device. Comments and blank lines are not kept. Field values are stored with the fstab octal escapes (\040 …) undone.
 */
export interface Mounts {
  /**
   * Entries of /etc/fstab (fstab(5)), in file order.
   */
  fstab: FstabEntry[];
  /**
   * Entries of /etc/crypttab (crypttab(5)), in file order; empty when the file does not exist.
   */
  crypttab: CrypttabEntry[];
}
export interface FstabEntry {
  /**
   * fs_spec as written: UUID=…, LABEL=…, PARTUUID=…, PARTLABEL=…, /dev/…, tmpfs, server:/export …
   */
  spec: string;
  /**
   * A manifest id: letters, digits and ._:/+- ; never a `.` or `..` component.
   */
  device?: string;
  /**
   * fs_file: the mount point (or "none"/"swap" for swap).
   */
  file: string;
  /**
   * fs_vfstype: ext4, xfs, swap, tmpfs, nfs, none (bind) …
   */
  vfstype: string;
  /**
   * fs_mntops exactly as written ("defaults" when the field is missing).
   */
  options: string;
  /**
   * fs_freq (dump); 0 when the field is missing.
   */
  freq: number;
  /**
   * fs_passno (fsck order); 0 when the field is missing.
   */
  passno: number;
}
export interface CrypttabEntry {
  /**
   * The mapping name (/dev/mapper/NAME).
   */
  name: string;
  /**
   * The encrypted device as written: UUID=…, PARTUUID=…, /dev/… .
   */
  spec: string;
  /**
   * A manifest id: letters, digits and ._:/+- ; never a `.` or `..` component.
   */
  device?: string;
  /**
   * The third field as written: a key file PATH, "none" or "-". Only the path: key content is never read or stored. Absent when the field is missing.
   */
  keyfile?: string;
  /**
   * The fourth field as written (luks,discard …). Absent when the field is missing.
   */
  options?: string;
}
/**
 * Firmware mode, boot loader, EFI boot entries, kernel command line, initramfs tool. Read from files under the captured root; only the firmware mode, the EFI variables and /proc/cmdline come from the running machine, and only when the captured root is /.
 */
export interface Boot {
  /**
   * uefi or bios; unknown when it cannot be told (another root with no boot loader package).
   */
  firmware: 'uefi' | 'bios' | 'unknown';
  /**
   * How `firmware` was found: `sysfs` (live root: /sys/firmware/efi exists or not), `packages` (another root: grub-efi-* /systemd-boot vs grub-pc installed), `none`.
   */
  firmwareFrom: 'sysfs' | 'packages' | 'none';
  /**
   * The boot loader installed in the captured root: grub (a grub loader package, or ROOT/boot/grub/grub.cfg), systemd-boot (loader/loader.conf on the ESP or /boot), none.
   */
  loader: 'grub' | 'systemd-boot' | 'none';
  grub?: BootGrub;
  systemdBoot?: BootSystemdBoot;
  efi?: BootEfi;
  cmdline: BootCmdline;
  initramfs: BootInitramfs;
}
export interface BootGrub {
  /**
   * grub-install targets present in ROOT/boot/grub (i386-pc, x86_64-efi, …), sorted.
   */
  platforms: string[];
  /**
   * Installed grub loader packages (grub-pc, grub-efi-amd64, grub-efi-amd64-signed, …; not the *-bin ones), sorted.
   */
  packages: string[];
  /**
   * Whether ROOT/boot/grub/grub.cfg exists (generated by update-grub; not recorded, it is derived).
   */
  config: boolean;
}
export interface BootSystemdBoot {
  /**
   * Path of loader.conf on the captured system (/efi, /boot/efi or /boot).
   */
  loaderConf: string;
}
/**
 * EFI boot manager variables from `efibootmgr -v` (live root, UEFI only). Otherwise only `unsupported` says why they were not read.
 */
export interface BootEfi {
  /**
   * Timeout: N seconds.
   */
  timeout?: number;
  /**
   * BootOrder: entry numbers (4 hex digits), in order.
   */
  bootOrder?: string[];
  /**
   * Boot#### entries, by number. BootCurrent and BootNext are facts of one boot and are not recorded.
   */
  entries?: EfiBootEntry[];
  unsupported?: Unsupported;
}
export interface EfiBootEntry {
  number: string;
  label: string;
  /**
   * The `*` after Boot####: LOAD_OPTION_ACTIVE.
   */
  active: boolean;
  /**
   * The device path as efibootmgr -v prints it, e.g. HD(1,GPT,<partuuid>,0x800,0x100000)/File(\EFI\debian\shimx64.efi).
   */
  devicePath?: string;
  /**
   * The GPT partition UUID in HD(…,GPT,…), lower case, to match a storage partition.
   */
  partUuid?: string;
  /**
   * The loader path in File(…).
   */
  file?: string;
}
/**
 * The configured kernel command line (what a rebuild writes back). The running one (/proc/cmdline) is not recorded: it is a fact of one boot and may carry credentials.
 */
export interface BootCmdline {
  /**
   * GRUB_CMDLINE_LINUX from ROOT/etc/default/grub and ROOT/etc/default/grub.d/*.cfg (last assignment wins).
   */
  grubLinux?: string;
  /**
   * GRUB_CMDLINE_LINUX_DEFAULT, same sources.
   */
  grubLinuxDefault?: string;
  /**
   * ROOT/etc/kernel/cmdline (kernel-install, systemd-boot, UKIs), whitespace-normalised.
   */
  kernelCmdline?: string;
  unsupported?: Unsupported;
}
export interface BootInitramfs {
  /**
   * initramfs-tools (ROOT/usr/sbin/update-initramfs), dracut (ROOT/usr/bin/dracut), mkinitcpio (ROOT/etc/mkinitcpio.conf), or none.
   */
  tool: 'initramfs-tools' | 'dracut' | 'mkinitcpio' | 'none';
  /**
   * Simple assignments of the tool's configuration: initramfs-tools initramfs.conf then conf.d/* (MODULES, COMPRESS, …; last wins); mkinitcpio.conf (MODULES, HOOKS, … arrays as space-separated words). The files themselves are in the /etc repository.
   */
  settings?: {
    [k: string]: string;
  };
  /**
   * Configuration snippets: initramfs-tools conf.d/*, dracut.conf.d/*.conf; sorted file names.
   */
  confFiles?: string[];
  /**
   * initramfs-tools: ROOT/etc/initramfs-tools/hooks/* (local hook scripts), sorted names.
   */
  hooks?: string[];
  /**
   * initramfs-tools: local boot scripts, ROOT/etc/initramfs-tools/scripts/<phase>/<name>, sorted.
   */
  scripts?: string[];
  /**
   * initramfs-tools: modules listed in ROOT/etc/initramfs-tools/modules, in file order.
   */
  modules?: string[];
  unsupported?: Unsupported;
}
export interface AptSource {
  /**
   * The file it was read from, as a path on the captured system.
   */
  file: string;
  /**
   * `one-line` (*.list, sources.list) or `deb822` (*.sources), sources.list(5).
   */
  format: 'one-line' | 'deb822';
  /**
   * false for a deb822 stanza with `Enabled: no` (one-line sources are commented out instead, and then not listed).
   */
  enabled: boolean;
  /**
   * deb and/or deb-src.
   */
  types: ('deb' | 'deb-src')[];
  uris: string[];
  suites: string[];
  components: string[];
  /**
   * Every other field, by its deb822 name in lower case (one-line `arch=` becomes `architectures`, `lang=` `languages`, `target=` `targets`; `arch+=` `architectures-add` …; `signed-by` keeps its name). Values split on whitespace (and on commas in one-line options).
   */
  options?: {
    [k: string]: string[];
  };
  embeddedKey?: AptEmbeddedKey;
}
/**
 * A public key given inline in a deb822 Signed-By field (the key itself stays in the sources file, which the /etc repository holds).
 */
export interface AptEmbeddedKey {
  sha256: string;
}
export interface AptKey {
  /**
   * Path of the key file on the captured system.
   */
  path: string;
  /**
   * `signed-by`: trusted only for the sources that name it; `global`: trusted.gpg or trusted.gpg.d, trusted for every source without Signed-By.
   */
  scope: 'signed-by' | 'global';
  sha256?: string;
  /**
   * Where its bytes are stored, relative to the host's folder in the manifest repository (apt-keys/ + path).
   */
  file?: string;
  unsupported?: Unsupported;
}
export interface AptPin {
  file: string;
  /**
   * Package field (names, globs or /regex/).
   */
  package: string;
  /**
   * Pin field, e.g. `version 1.2*`, `release a=stable`, `origin example.org`.
   */
  pin: string;
  /**
   * Pin-Priority.
   */
  priority: number;
}
export interface PacmanRepo {
  /**
   * The [section] name.
   */
  name: string;
  /**
   * Server URLs in the order pacman tries them: the section’s Server lines and those of its Include files, where they appear; kept raw ($repo and $arch not expanded).
   */
  servers: string[];
  /**
   * Include paths of the section, as written (their files are part of /etc).
   */
  includes: string[];
  /**
   * SigLevel words of the section, in order, when it sets one.
   */
  sigLevel?: string[];
  /**
   * Usage words of the section, when it sets them.
   */
  usage?: string[];
}
export interface DnfRepo {
  /**
   * The .repo file, as a path on the captured system.
   */
  file: string;
  /**
   * The [section] id.
   */
  id: string;
  /**
   * `enabled=` of the section (dnf’s default: enabled).
   */
  enabled: boolean;
  /**
   * Every other key of the section, verbatim (name, baseurl, metalink, mirrorlist, gpgcheck, gpgkey …; $releasever and $basearch not expanded).
   */
  settings: {
    [k: string]: string;
  };
}
/**
 * Package systems beside the main manager.
 */
export interface PackagesExtra {
  /**
   * Installed (deployed) flatpak applications and runtimes, sorted by installation then ref: what `flatpak list --columns=installation,ref,origin` shows, read from ROOT/var/lib/flatpak (system) and each passwd home’s .local/share/flatpak (user:<name>).
   */
  flatpak?: FlatpakRef[];
  /**
   * Flatpak remotes of the installations listed in `flatpak`, sorted by installation then name.
   */
  flatpakRemotes?: FlatpakRemote[];
}
export interface FlatpakRef {
  /**
   * `system` or `user:<name>`.
   */
  installation: string;
  /**
   * app/<id>/<arch>/<branch> or runtime/<id>/<arch>/<branch>.
   */
  ref: string;
  /**
   * The remote it was installed from.
   */
  origin?: string;
}
export interface FlatpakRemote {
  /**
   * `system` or `user:<name>`.
   */
  installation: string;
  name: string;
  /**
   * url= of the remote in the installation’s repo/config.
   */
  url: string;
  /**
   * gpg-verify= of the remote (absent: flatpak’s default, true).
   */
  gpgVerify?: boolean;
}
/**
 * Local users and groups, read from the captured system's /etc/passwd (passwd(5)) and /etc/group (group(5)); never from shadow(5) or gshadow(5): password hashes, locks and ageing are secrets and travel in the encrypted secrets archive. Both lists are sorted by name (names are the identity and are unique; ids may be shared, and an id change is then a one-line diff). `system` follows the captured /etc/login.defs: an account is a human one when its id lies in UID_MIN..UID_MAX (groups: GID_MIN..GID_MAX), Debian's defaults 1000..60000 when login.defs does not set them; every other account (root, 1..999, nobody 65534) is a system account. When a name appears twice in a file, the first entry is recorded (the one getpwnam(3) and the shadow tools find) and the later one is listed in `unsupported`. Two accounts with one id are legal and recorded as they are (useradd -o).
 */
export interface Accounts {
  /**
   * @maxItems 100000
   */
  groups: Group[];
  /**
   * @maxItems 100000
   */
  users: User[];
  /**
   * Lines of passwd/group that are not recreated, and why (a name useradd does not take, a duplicate name, a NIS +/- line, a malformed line, a group member without an account). Never the line itself: a passwd line may hold a password hash.
   *
   * @maxItems 100000
   */
  unsupported?: AccountUnsupported[];
}
export interface Group {
  /**
   * A user or group name as upstream shadow's useradd/groupadd take it (chkname.c): [A-Za-z0-9_.][A-Za-z0-9_.-]*, optionally ending in $ (Samba machine accounts), not only digits (chown and find would read it as an id), not . or .., at most 32 characters. Debian's stricter NAME_REGEX (adduser.conf, ^[a-z][-a-z0-9_]*\$?$) is a subset; Debian's shadow accepts still more, which is listed in `unsupported`.
   */
  name: string;
  /**
   * A uid or gid: 0 .. 2^32-2 (2^32-1 is (uid_t)-1, "no id", and refused by useradd).
   */
  gid: number;
  /**
   * A system group (gid outside GID_MIN..GID_MAX of the captured login.defs).
   */
  system: boolean;
}
export interface User {
  /**
   * A user or group name as upstream shadow's useradd/groupadd take it (chkname.c): [A-Za-z0-9_.][A-Za-z0-9_.-]*, optionally ending in $ (Samba machine accounts), not only digits (chown and find would read it as an id), not . or .., at most 32 characters. Debian's stricter NAME_REGEX (adduser.conf, ^[a-z][-a-z0-9_]*\$?$) is a subset; Debian's shadow accepts still more, which is listed in `unsupported`.
   */
  name: string;
  /**
   * A uid or gid: 0 .. 2^32-2 (2^32-1 is (uid_t)-1, "no id", and refused by useradd).
   */
  uid: number;
  /**
   * A uid or gid: 0 .. 2^32-2 (2^32-1 is (uid_t)-1, "no id", and refused by useradd).
   */
  gid: number;
  /**
   * A user or group name as upstream shadow's useradd/groupadd take it (chkname.c): [A-Za-z0-9_.][A-Za-z0-9_.-]*, optionally ending in $ (Samba machine accounts), not only digits (chown and find would read it as an id), not . or .., at most 32 characters. Debian's stricter NAME_REGEX (adduser.conf, ^[a-z][-a-z0-9_]*\$?$) is a subset; Debian's shadow accepts still more, which is listed in `unsupported`.
   */
  group?: string;
  /**
   * Supplementary groups: the groups whose member list (group(5) field 4) names this user, sorted.
   *
   * @maxItems 10000
   *
   * Items: A user or group name as upstream shadow's useradd/groupadd take it (chkname.c): [A-Za-z0-9_.][A-Za-z0-9_.-]*, optionally ending in $ (Samba machine accounts), not only digits (chown and find would read it as an id), not . or .., at most 32 characters. Debian's stricter NAME_REGEX (adduser.conf, ^[a-z][-a-z0-9_]*\$?$) is a subset; Debian's shadow accepts still more, which is listed in `unsupported`.
   */
  groups: string[];
  /**
   * Home directory as passwd has it (a path of the captured system). No `:` or newline (useradd(8) refuses them).
   */
  home: string;
  /**
   * Login shell as passwd has it; empty means /bin/sh (passwd(5)). No `:` or newline.
   */
  shell: string;
  /**
   * The GECOS field as passwd has it, commas included (full name, room, phones, other: chfn(1)); passed whole to useradd -c, which refuses `:` and newline.
   */
  gecos: string;
  /**
   * A system account (uid outside UID_MIN..UID_MAX of the captured login.defs).
   */
  system: boolean;
}
export interface AccountUnsupported {
  file: '/etc/passwd' | '/etc/group';
  line?: number;
  reason: string;
}
export interface Repos {
  etc?: EtcRepo;
  dotfiles?: DotfilesRepo[];
}
/**
 * The /etc git repository: where it is, its pinned state, excluded secrets. The repository itself is kept apart from the manifest (referenced the way svn:externals would). kind etckeeper: /etc/.git maintained by etckeeper, only read. kind git: a /etc/.git that is not etckeeper's, only read. kind sysmanifest: sysmanifest's own repository (git dir /var/lib/sysmanifest/etc.git, work tree /etc) holding the files changed from their package's shipped version, the files no package owns, and the metadata file .sysmanifest-metadata (owner, group, mode, symlinks).
 */
export interface EtcRepo {
  /**
   * Who maintains the repository (etckeeper when /etc/.git and /etc/.etckeeper or /etc/etckeeper/etckeeper.conf exist).
   */
  kind: 'etckeeper' | 'sysmanifest' | 'git';
  /**
   * The work tree, as a path of the captured system (always /etc).
   */
  path: string;
  /**
   * The git directory, as a path of the captured system (/etc/.git, or /var/lib/sysmanifest/etc.git).
   */
  gitDir: string;
  remote?: GitRemote;
  /**
   * Current branch (git symbolic-ref --short HEAD); absent when HEAD is detached.
   */
  branch?: string;
  /**
   * The pinned commit (git rev-parse HEAD); absent before the first commit.
   */
  commit?: string;
  /**
   * etckeeper/git: git status shows changes (untracked files included: etckeeper would commit them). sysmanifest: the files or metadata on disk differ from the pinned commit (not yet synced).
   */
  dirty?: boolean;
  /**
   * User-written: extra secret globs relative to /etc (gitignore-like: *, ?, [..], **, trailing / for a directory; a leading /etc/ is allowed), added to the built-in list. Kept from the existing manifest.
   */
  exclude?: string[];
  /**
   * Secrets that exist under /etc and are not in the repository (never their content), sorted by path: a rebuild asks for them.
   */
  restoreFromElsewhere?: ExcludedSecret[];
  /**
   * etckeeper/git kinds only: paths matching the secret list that this repository DOES hold in clear (etckeeper commits /etc/shadow by default). Keep its remote private or add them to etckeeper's .gitignore.
   */
  trackedSecrets?: string[];
  unsupported?: Unsupported;
}
/**
 * The remote the repository follows (the branch's upstream, else origin, else the first by name). Credentials are stripped from the URL: for http(s) the user-info and query are dropped, for other schemes the password.
 */
export interface GitRemote {
  name: string;
  url: string;
}
export interface ExcludedSecret {
  /**
   * Absolute path in the captured system.
   */
  path: string;
  /**
   * What it holds (the rule that excluded it).
   */
  why: string;
}
/**
 * One user's dotfiles git repository (users from the captured system's /etc/passwd: root and uid UID_MIN..UID_MAX of login.defs, default 1000..60000). Per-host branches convention: the repository checks out a branch named `host/<hostname>` or `<hostname>` and keeps the shared configuration on a trunk branch (main, master or trunk) that each host branch merges or rebases from; when both exist, `host` and `trunk` are recorded.
 */
export interface DotfilesRepo {
  /**
   * Login name (passwd).
   */
  user: string;
  /**
   * Home directory (passwd), a path of the captured system.
   */
  home: string;
  /**
   * bare: a bare repository whose work tree is the home directory (git --git-dir=~/.cfg --work-tree=~, or core.worktree). home: ~/.git. separate: a normal repository at ~/.dotfiles or ~/dotfiles whose files are linked into home (stow, a script).
   */
  layout: 'bare' | 'home' | 'separate';
  /**
   * The git directory, a path of the captured system.
   */
  gitDir: string;
  /**
   * The work tree, a path of the captured system.
   */
  workTree: string;
  remote?: GitRemote;
  /**
   * Checked-out branch; absent when HEAD is detached.
   */
  branch?: string;
  /**
   * The pinned commit (HEAD); absent before the first commit.
   */
  commit?: string;
  /**
   * Tracked files differ from HEAD (git status --untracked-files=no: a home directory is full of untracked files).
   */
  dirty?: boolean;
  /**
   * The host this branch belongs to, when the branch follows the per-host convention (host/<hostname> or <hostname>).
   */
  host?: string;
  /**
   * The common trunk branch the host branch is based on (main, master or trunk, first that exists).
   */
  trunk?: string;
}
/**
 * A declaration, written by the user, of a big dataset kept elsewhere (ddm's vocabulary). Capture keeps every field as written and only recomputes `expect` from the files under `path` (when `path` exists on the captured system).
 */
export interface Dataset {
  /**
   * Unique name of the dataset in this manifest.
   */
  name: string;
  /**
   * Where the dataset lives on this host (a path of the captured system).
   */
  path: string;
  /**
   * User (login name) that owns the files once restored.
   */
  owner?: string;
  /**
   * copy: a full replica of the source; selection: a chosen subset (include/exclude); buffer: a temporary local staging copy that is flushed to the source; direct: the source itself is used in place (a mount); extension: local data that extends the source and is not in it.
   */
  role: 'copy' | 'selection' | 'buffer' | 'direct' | 'extension';
  /**
   * How the data is fetched from its sources.
   */
  kind: 'git-annex' | 'rsync' | 'restic' | 'borg' | 'btrfs';
  /**
   * Where the data can be fetched from, in order of preference (a git-annex remote name, an rsync URL host:/path, a restic/borg repository, a btrfs send target).
   *
   * @minItems 1
   */
  sources: [string, ...string[]];
  /**
   * Globs relative to `path` (see etc/glob.ts: *, ?, [..], **, trailing /) selecting what belongs on this host; absent: everything.
   */
  include?: string[];
  /**
   * Globs relative to `path` left out (applied after include).
   */
  exclude?: string[];
  /**
   * Where `datasets sync` keeps this dataset's snapshots, one or more (written by the user, kept by capture): an absolute local path; `uuid:UUID/sub/path`, a path on the filesystem with that UUID wherever it is mounted (a disk that is not mounted is skipped and reported); `ssh://[user@]host[:port]/path`. Kinds rsync and btrfs keep TARGET/NAME/<snapshots>; restic and borg use the target as their repository.
   *
   * @minItems 1
   */
  targets?: [string, ...string[]];
  /**
   * kind btrfs: where the read-only snapshots of `path` are taken, on the same btrfs filesystem (default: .sysmanifest-snapshots/NAME beside `path`). The snapshots there are the parents of the incremental sends; the ledger of outstanding transfers is kept there too.
   */
  snapshotDir?: string;
  /**
   * How old the last good snapshot may get before `datasets sync` takes the next one: N followed by s, min, h, d or w (10min, 1h, 1d). Absent: every run.
   */
  interval?: string;
  retention?: DatasetRetention;
  /**
   * How many targets must hold a complete snapshot for `datasets status` to call the dataset safe (git-annex: its numcopies). Default 1.
   */
  minCopies?: number;
  /**
   * true: a restore is not complete without it; false (default): optional, queued when its source is unreachable.
   */
  required?: boolean;
  expect?: DatasetExpect;
}
/**
 * Which snapshots each target keeps (btrbk's notation, restic's calendar semantics: core/retention.ts). Absent: none is ever deleted.
 */
export interface DatasetRetention {
  /**
   * "24h 7d 4w 12m 5y": the newest snapshot of each of the last 24 hours, 7 days, 4 ISO weeks, 12 months and 5 years that have one (UTC); N or * (all) before h, d, w, m, y.
   */
  preserve: string;
  /**
   * Every snapshot taken within this long before the newest one is kept (2d).
   */
  preserveMin?: string;
}
/**
 * Computed at capture from the selected files under `path`, to verify a restore.
 */
export interface DatasetExpect {
  /**
   * Regular files plus git-annex annexed files (symlinks into .git/annex/objects).
   */
  files: number;
  /**
   * Sum of their sizes (an annexed file counts its key's size, present or not).
   */
  bytes: number;
  /**
   * sha256 of the listing: one line per selected file or symlink, sorted by path bytes: JSON-quoted relative path, a space, then the size (files) or `-> ` + JSON-quoted target (other symlinks), then a newline. Modification times are NOT part of it: git-annex checkouts and some restores do not keep them.
   */
  listingSha256: string;
}
/**
 * Written by the user, kept by capture as written: how `sysmanifest merge home|etc` treats this host's files after a clean reinstall. The defaults already skip caches, thumbnails, trash, browser caches, lock files, sockets and volatile state (XDG-aware); these lists add to them.
 */
export interface MergeSettings {
  /**
   * More paths never brought back by a merge, as globs (the /etc exclude syntax: *, ?, [abc], **, a trailing / for a directory and all below it).
   */
  clutter?: {
    /**
     * Globs relative to each user's home (.config/foo/, .local/share/bar/*.db).
     *
     * @maxItems 1000
     */
    home?: string[];
    /**
     * Globs relative to /etc (a leading /etc/ is accepted).
     *
     * @maxItems 1000
     */
    etc?: string[];
  };
}
