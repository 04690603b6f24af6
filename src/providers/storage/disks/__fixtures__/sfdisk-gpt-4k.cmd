# where: host (Debian 12 container, kernel 6.18.44-fc-v669), loop device over a sparse file
# tool: sfdisk from util-linux 2.38.1
truncate -s 64M gpt-4k.img
losetup --find --show --partscan --sector-size 4096 gpt-4k.img   # -> /dev/loop2
sfdisk --no-reread --no-tell-kernel /dev/loop2 <<'SCRIPT'
label: gpt
label-id: 0D1E2F30-4152-4637-8899-AABBCCDDEEFF

start=256, size=2560, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=22222222-3333-4444-8555-666666666601, name="esp4k"
size=4096, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=22222222-3333-4444-8555-666666666602, name="data4k"
SCRIPT
sfdisk --json /dev/loop2 > sfdisk-gpt-4k.json   # exit status 0
