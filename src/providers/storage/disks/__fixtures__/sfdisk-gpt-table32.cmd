# where: host (Debian 12 container, kernel 6.18.44-fc-v669), loop device over a sparse file
# tool: sfdisk from util-linux 2.38.1
truncate -s 64M gpt-table32.img
losetup --find --show --partscan --sector-size 512 gpt-table32.img   # -> /dev/loop3
sfdisk --no-reread --no-tell-kernel /dev/loop3 <<'SCRIPT'
label: gpt
label-id: 3A4B5C6D-7E8F-4091-A2B3-C4D5E6F70812
table-length: 32

start=2048, size=32768, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=33333333-4444-4555-8666-777777777701, name="short table"
start=34816, size=94208, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, uuid=33333333-4444-4555-8666-777777777702
SCRIPT
sfdisk --json /dev/loop3 > sfdisk-gpt-table32.json   # exit status 0
