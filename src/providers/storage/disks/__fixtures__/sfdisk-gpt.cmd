# where: host (Debian 12 container, kernel 6.18.44-fc-v669), loop device over a sparse file
# tool: sfdisk from util-linux 2.38.1
truncate -s 64M gpt.img
losetup --find --show --partscan --sector-size 512 gpt.img   # -> /dev/loop0
sfdisk --no-reread --no-tell-kernel /dev/loop0 <<'SCRIPT'
label: gpt
label-id: 6B0A9C1E-2D3F-4A5B-8C7D-9E0F1A2B3C4D
first-lba: 2048

start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, uuid=11111111-2222-4333-8444-555555555501, name="bios boot", attrs="RequiredPartition LegacyBIOSBootable"
start=4096, size=20480, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=11111111-2222-4333-8444-555555555502, name="EFI System", attrs="GUID:60,63"
start=24576, size=40960, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=11111111-2222-4333-8444-555555555503, name="root fs", attrs="RequiredPartition NoBlockIOProtocol GUID:48,60,62,63"
start=69632, size=20480, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, uuid=11111111-2222-4333-8444-555555555504
SCRIPT
sfdisk --json /dev/loop0 > sfdisk-gpt.json   # exit status 0
