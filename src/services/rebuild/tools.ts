// The programs a live system needs to rebuild one manifest, with the package that brings each
// on Debian/Ubuntu, Arch and Fedora (`sysmanifest tools MANIFEST`; bootstrap/live.sh installs
// the missing ones with the live system's package manager). What runs inside the target
// (grub-install, update-initramfs, apt) comes with the target's own packages: not listed.
import type { Manifest } from '../../core/manifest/types.gen.ts';

export interface LiveTool {
  readonly program: string;
  readonly debian: string;
  readonly arch: string;
  readonly fedora: string;
  /** Why this manifest needs it. */
  readonly why: string;
}

const T = (program: string, debian: string, why: string, arch = debian, fedora = arch): LiveTool => ({ program, debian, arch, fedora, why });

export function liveTools(m: Manifest): LiveTool[] {
  const s = m.storage ?? {};
  const out: LiveTool[] = [
    T('blkid', 'util-linux', 'probing every device'),
    T('sfdisk', 'fdisk', 'partition tables', 'util-linux'),
    T('wipefs', 'util-linux', 'signatures of handed-over disks'),
    T('partx', 'util-linux', 'telling the kernel about new partitions'),
    T('git', 'git', 'the /etc repository and the dotfiles'),
  ];
  if ((s.mdraid ?? []).length) out.push(T('mdadm', 'mdadm', 'md RAID arrays'));
  if ((s.luks ?? []).length) out.push(T('cryptsetup', 'cryptsetup', 'LUKS containers'));
  const vgs = s.lvm?.vgs ?? [];
  if (vgs.length) out.push(T('lvm', 'lvm2', 'LVM volume groups'));
  if (vgs.some((vg) => (vg.lvs ?? []).some((lv) => lv.pool !== undefined))) out.push(T('thin_restore', 'thin-provisioning-tools', 'LVM thin pools', 'thin-provisioning-tools', 'device-mapper-persistent-data'));
  const types = new Set<string>((s.filesystems ?? []).map((f) => f.type));
  if (['ext2', 'ext3', 'ext4'].some((t) => types.has(t))) out.push(T('mke2fs', 'e2fsprogs', 'ext filesystems'));
  if (types.has('xfs')) out.push(T('mkfs.xfs', 'xfsprogs', 'XFS filesystems'));
  if (types.has('btrfs')) out.push(T('mkfs.btrfs', 'btrfs-progs', 'btrfs filesystems'));
  if (types.has('vfat')) out.push(T('mkfs.fat', 'dosfstools', 'FAT filesystems (the ESP)'));
  if ((s.swap ?? []).length) out.push(T('mkswap', 'util-linux', 'swap'));
  if (m.packages?.manager === 'apt') out.push(T('mmdebstrap', 'mmdebstrap', 'the base system (Debian)'));
  if (m.boot?.firmware === 'uefi') out.push(T('efibootmgr', 'efibootmgr', 'EFI boot entries'));
  if (m.users) out.push(T('age', 'age', 'the secrets archive (password hashes, keys)'));
  return out;
}
