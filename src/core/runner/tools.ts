// Which Debian package provides each program we call, so that a missing tool is reported
// as "install X" rather than as ENOENT.

export const DEBIAN_PACKAGE: Readonly<Record<string, string>> = {
  blkid: 'util-linux',
  lsblk: 'util-linux',
  findmnt: 'util-linux',
  losetup: 'util-linux',
  partx: 'util-linux',
  wipefs: 'util-linux',
  mkswap: 'util-linux',
  swaplabel: 'util-linux',
  blockdev: 'util-linux',
  sfdisk: 'fdisk',
  sgdisk: 'gdisk',
  tune2fs: 'e2fsprogs',
  dumpe2fs: 'e2fsprogs',
  mke2fs: 'e2fsprogs',
  'mkfs.ext4': 'e2fsprogs',
  e2label: 'e2fsprogs',
  xfs_info: 'xfsprogs',
  xfs_db: 'xfsprogs',
  'mkfs.xfs': 'xfsprogs',
  xfs_admin: 'xfsprogs',
  btrfs: 'btrfs-progs',
  'mkfs.btrfs': 'btrfs-progs',
  btrfstune: 'btrfs-progs',
  'mkfs.vfat': 'dosfstools',
  'mkfs.fat': 'dosfstools',
  fatlabel: 'dosfstools',
  'fsck.fat': 'dosfstools',
  cryptsetup: 'cryptsetup-bin',
  lvm: 'lvm2',
  pvs: 'lvm2',
  vgs: 'lvm2',
  lvs: 'lvm2',
  mdadm: 'mdadm',
  dmsetup: 'dmsetup',
  udevadm: 'udev',
  git: 'git',
  find: 'findutils',
  'dpkg-query': 'dpkg',
  'apt-mark': 'apt',
  debootstrap: 'debootstrap',
  efibootmgr: 'efibootmgr',
  mount: 'mount',
  umount: 'mount',
};

export function debianPackageFor(program: string): string | undefined {
  const base = program.split('/').pop() ?? program;
  return DEBIAN_PACKAGE[base];
}
