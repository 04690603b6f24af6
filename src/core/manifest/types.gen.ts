// Generated from schemas/ by `npm run gen:types`. Do not edit by hand.

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
  repos?: Repos;
  datasets?: Dataset[];
}
export interface Host {
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
 * A whole disk: how to recognise it again (match), and its partition table.
 */
export interface Disk {}
/**
 * An md RAID array.
 */
export interface MdArray {}
/**
 * A LUKS1/LUKS2 container (header parameters only; never key material).
 */
export interface LuksVolume {}
export interface Lvm {
  vgs?: LvmVolumeGroup[];
}
/**
 * An LVM volume group with its PVs and LVs.
 */
export interface LvmVolumeGroup {}
/**
 * A filesystem with the parameters mkfs decided.
 */
export interface Filesystem {}
/**
 * A swap area.
 */
export interface Swap {}
/**
 * fstab and crypttab entries, tied to manifest ids.
 */
export interface Mounts {}
/**
 * Firmware mode, boot loader, EFI entries, kernel command line, initramfs tool.
 */
export interface Boot {}
/**
 * Installed package set and its sources (apt, pacman, dnf; flatpak, snap).
 */
export interface Packages {}
export interface Repos {
  etc?: EtcRepo;
  dotfiles?: DotfilesRepo[];
}
/**
 * The /etc git repository: where it is, its pinned state, excluded secrets.
 */
export interface EtcRepo {}
/**
 * One user's dotfiles git repository.
 */
export interface DotfilesRepo {}
/**
 * A declaration of a big dataset kept elsewhere.
 */
export interface Dataset {}
