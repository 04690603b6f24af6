# where: host (Debian 12 container, kernel 6.18.44-fc-v1098), loop device over a sparse file
# tools: Usage: mkfs.fat [OPTIONS] TARGET [BLOCKS] -- dosfstools 4.2-1 (mkfs.fat has no --version); blkid from util-linux 2.38.1  (libblkid 2.38.1, 04-Aug-2022)
truncate -s 64M fat32-s4-64m.img
losetup --find --show --sector-size 512 fat32-s4-64m.img   # -> /dev/loop0
mkfs.vfat -F 32 -s 4 /dev/loop0
#   stdout: mkfs.fat 4.2 (2021-01-31)
#   stderr: WARNING: Number of clusters for 32 bit FAT is less then suggested minimum.
dd if=/dev/loop0 of=fat32-s4-64m.bin bs=512 count=1
blkid -p -o export /dev/loop0 > fat32-s4-64m.blkid
