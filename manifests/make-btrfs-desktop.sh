#!/bin/bash
# Makes manifests/btrfs-desktop.yaml: a real capture of a loop disk laid out like a btrfs
# desktop (ESP, btrfs with @ @home @snapshots, a read-only snapshot, nodatacow for VM
# images, swap). Run as root from the repository root; it uses only its own loop device.
set -euo pipefail
cd "$(dirname "$0")/.."
w=$(mktemp -d); img=$w/disk.img; truncate -s 4G "$img"
loop=$(losetup --find --show --partscan "$img")
cleanup() { umount -R "$w/m" 2>/dev/null || true; losetup -d "$loop"; rm -rf "$w"; }
trap cleanup EXIT
sfdisk -q "$loop" <<SF
label: gpt
size=256M, type=U, name=EFI
size=512M, type=S, name=swap
type=L, name=system
SF
partx --update --nr 1:3 "$loop"
mkfs.vfat -F 32 -n EFI "${loop}p1" >/dev/null
mkswap -L swap "${loop}p2" >/dev/null
mkfs.btrfs -q -f -L desktop -m dup "${loop}p3"
mkdir "$w/m"; mount "${loop}p3" "$w/m"
btrfs -q subvolume create "$w/m/@"; btrfs -q subvolume create "$w/m/@home"; btrfs -q subvolume create "$w/m/@snapshots"
btrfs -q subvolume create "$w/m/@/var-lib-libvirt"; chattr +C "$w/m/@/var-lib-libvirt"
btrfs -q subvolume snapshot -r "$w/m/@home" "$w/m/@snapshots/home-1"
btrfs -q subvolume set-default "$w/m/@"
umount "$w/m"
node_modules/.bin/node src/cli/main.ts capture --stdout --only storage --host desktop --disk "$loop" > manifests/btrfs-desktop.yaml
# The first line: the schema beside the examples (capture --stdout names the installed package's).
sed -i '1s|.*|# yaml-language-server: $schema=../schemas/manifest.schema.json|' manifests/btrfs-desktop.yaml
node_modules/.bin/node src/cli/main.ts validate manifests/btrfs-desktop.yaml
