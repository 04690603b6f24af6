#!/bin/bash
# Makes laptop-luks-lvm.yaml and server-md-raid1.yaml from layouts built in the qemu test guest:
#   test/vm/run-in-vm.sh --disk l:3G:EXLAPTOP --disk s0:2G:EXSRV0 --disk s1:2G:EXSRV1 \
#       --rw "$PWD/manifests" -- 'bash manifests/make-guest-examples.sh'
set -euo pipefail
cd "$(dirname "$0")/.."
CLI="node_modules/.bin/node bin/sysmanifest.js"
dev() { for s in /sys/block/*; do if [ "$(cat "$s/serial" 2>/dev/null)" = "$1" ]; then echo "/dev/${s##*/}"; fi; done; }
L=$(dev EXLAPTOP); S0=$(dev EXSRV0); S1=$(dev EXSRV1)
key=$(mktemp); printf 'example' > "$key"

sfdisk -q "$L" <<SF
label: gpt
size=256M, type=U, name=esp
size=512M, type=L, name=boot
type=L, name=cryptroot
SF
udevadm settle
mkfs.vfat -F 32 -n ESP "${L}1" >/dev/null
mkfs.ext4 -q -F -L boot "${L}2"
cryptsetup luksFormat -q --type luks2 --label cryptroot --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$key" "${L}3"
cryptsetup open --key-file "$key" "${L}3" cryptroot
pvcreate -q /dev/mapper/cryptroot; vgcreate -q laptop /dev/mapper/cryptroot
lvcreate -q -y -L 1G -n root laptop; lvcreate -q -y -L 640M -n home laptop; lvcreate -q -y -L 256M -n swap laptop
mkfs.ext4 -q -F -L root /dev/laptop/root; mkfs.xfs -q -f -L home /dev/laptop/home; mkswap -L swap /dev/laptop/swap >/dev/null
udevadm settle
$CLI capture --stdout --only storage --host laptop --disk "$L" > manifests/laptop-luks-lvm.yaml
# The first line: the schema beside the examples (capture --stdout names the installed package's).
sed -i '1s|.*|# yaml-language-server: $schema=../schemas/manifest.schema.json|' manifests/laptop-luks-lvm.yaml

for d in "$S0" "$S1"; do
  sfdisk -q "$d" <<SF
label: gpt
size=512M, type=A19D880F-05FC-4D3B-A006-743F0F84911E, name=boot
type=A19D880F-05FC-4D3B-A006-743F0F84911E, name=system
SF
done
udevadm settle
mdadm --create /dev/md/boot --run --assume-clean --level=1 --raid-devices=2 --metadata=1.0 --homehost=server --name=boot "${S0}1" "${S1}1"
mdadm --create /dev/md/system --run --assume-clean --level=1 --raid-devices=2 --metadata=1.2 --bitmap=internal --homehost=server --name=system "${S0}2" "${S1}2"
udevadm settle
mkfs.ext4 -q -F -L boot /dev/md/boot
pvcreate -q /dev/md/system; vgcreate -q server /dev/md/system
lvcreate -q -y -L 768M -n root server; lvcreate -q -y -L 512M -n data server
mkfs.xfs -q -f -L root /dev/server/root; mkfs.xfs -q -f -L data /dev/server/data
udevadm settle
$CLI capture --stdout --only storage --host server --disk "$S0" --disk "$S1" > manifests/server-md-raid1.yaml
# The first line: the schema beside the examples (capture --stdout names the installed package's).
sed -i '1s|.*|# yaml-language-server: $schema=../schemas/manifest.schema.json|' manifests/server-md-raid1.yaml
for f in manifests/laptop-luks-lvm.yaml manifests/server-md-raid1.yaml; do $CLI validate "$f"; $CLI show "$f"; done
