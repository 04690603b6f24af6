# where: host (Debian 12 container, kernel 6.18.44-fc-v1098), loop device over a sparse file
# tools: Usage: mkfs.fat [OPTIONS] TARGET [BLOCKS] -- dosfstools 4.2-1 (mkfs.fat has no --version); blkid from util-linux 2.38.1  (libblkid 2.38.1, 04-Aug-2022)
truncate -s 4M default-4m.img
losetup --find --show --sector-size 512 default-4m.img   # -> /dev/loop0
mkfs.vfat -n TINY /dev/loop0
#   stdout: mkfs.fat 4.2 (2021-01-31)
dd if=/dev/loop0 of=default-4m.bin bs=512 count=1
blkid -p -o export /dev/loop0 > default-4m.blkid
