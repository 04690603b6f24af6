#!/bin/bash
# Regenerates the FAT fixtures listed below on the host, on loop devices over sparse files
# in a private temp dir (needs root). For each: NAME.bin (the first 512 bytes: the BPB, also
# on 4096-byte-sector devices), NAME.blkid (blkid -p -o export) and NAME.cmd (the exact
# commands, where they ran, tool versions, mkfs.fat's stderr). Never touches any other device.
# The older fixtures vfat12/vfat16/vfat32 (see README.md) were made by hand the same way.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
loop=
cleanup() { if [ -n "$loop" ]; then losetup -d "$loop" || true; fi; rm -rf "$tmp"; }
trap cleanup EXIT

# make NAME SIZE SECTORSIZE MKFS-OPTIONS...: loop disk, mkfs.vfat OPTIONS onto it, record.
make() {
  local name=$1 size=$2 ssz=$3; shift 3
  truncate -s "$size" "$tmp/$name.img"
  local l; l=$(losetup --find --show --sector-size "$ssz" "$tmp/$name.img"); loop=$l
  mkfs.vfat "$@" "$l" >"$tmp/out" 2>"$tmp/err"
  dd if="$l" of="$here/$name.bin" bs=512 count=1 status=none
  blkid -p -o export "$l" >"$here/$name.blkid"
  {
    echo "# where: host (Debian 12 container, kernel $(uname -r)), loop device over a sparse file"
    echo "# tools: $(mkfs.fat --help 2>&1 | head -1) -- dosfstools $(dpkg-query -W -f '${Version}' dosfstools) (mkfs.fat has no --version); $(blkid --version)"
    echo "truncate -s $size $name.img"
    echo "losetup --find --show --sector-size $ssz $name.img   # -> $l"
    echo "mkfs.vfat $* $l"
    sed 's/^/#   stdout: /' "$tmp/out"
    sed 's/^/#   stderr: /' "$tmp/err"
    echo "dd if=$l of=$name.bin bs=512 count=1"
    echo "blkid -p -o export $l > $name.blkid"
  } >"$here/$name.cmd"
  losetup -d "$l"; loop=
  rm "$tmp/$name.img"
}

# FAT32 with fewer than 65,525 clusters (mkfs.fat warns, the kernel and blkid say FAT32):
# an ESP on a 4096-byte-sector disk, and small partitions with large clusters.
make fat32-4k-100m 100M 4096 -F 32 -n ESP4K
make fat32-4k-200m 200M 4096 -F 32 -i 0BADCAFE
make fat32-s2-64m 64M 512 -F 32 -s 2 -n ESP -i 1A2B3C4D
make fat32-s4-64m 64M 512 -F 32 -s 4
make fat32-s2-100m 100M 512 -F 32 -s 2 -n "EFI SYSTEM"
make fat32-s4-100m 100M 512 -F 32 -s 4 -i C0FFEE00
# mkfs.vfat's own choices (FAT16 below 512 MiB here, FAT32 at 512 MiB), and a small FAT12.
make default-33m 33M 512
make default-100m 100M 512
make default-512m 512M 512 -n BIGESP
make default-4m 4M 512 -n TINY
make fat12-4k-16m 16M 4096 -F 12 -n F12ON4K
make fat16-4k-200m 200M 4096 -F 16 -i 00C0FFEE
