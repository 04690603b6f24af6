# where: host (Debian 12 container, kernel 6.18.44-fc-v669), loop device over a sparse file
# tool: sfdisk from util-linux 2.38.1
truncate -s 64M dos-logical.img
losetup --find --show --partscan --sector-size 512 dos-logical.img   # -> /dev/loop1
sfdisk --no-reread --no-tell-kernel /dev/loop1 <<'SCRIPT'
label: dos
label-id: 0x5eed1234

start=2048, size=20480, type=83, bootable
start=22528, size=81920, type=5
start=104448, size=8192, type=82
start=24576, size=16384, type=83
start=43008, size=16384, type=8e
start=61440, size=20480, type=fd
SCRIPT
sfdisk --json /dev/loop1 > sfdisk-dos-logical.json   # exit status 0
