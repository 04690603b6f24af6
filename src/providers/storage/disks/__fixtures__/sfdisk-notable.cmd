# where: host (Debian 12 container, kernel 6.18.44-fc-v669), loop device over a sparse file
# tool: sfdisk from util-linux 2.38.1
truncate -s 16M notable.img
losetup --find --show --partscan --sector-size 512 notable.img   # -> /dev/loop3
sfdisk --json /dev/loop3 > sfdisk-notable.json   # exit status 1
