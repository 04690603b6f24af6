#!/bin/bash
# test/vm/setup.sh - prepare this machine for the end-to-end tier (the qemu test guest).
#
#   bash test/vm/setup.sh            (as root, on Debian 12)
#
# 1. Installs the host packages the guest needs, but only those that are missing
#    (`dpkg-query` status, not `command -v`: a binary on PATH does not say which package
#    or version is there). `apt-get update` runs only when something must be installed.
#    The guest runs the HOST's userspace (read-only 9p root), so the tools under test
#    (cryptsetup, lvm2, mdadm, mkfs.*) must be installed on the host.
# 2. Fetches the guest kernel with bootstrap/rescue-kernel.sh (the product's rescue guest
#    uses the same cache) into $SMVM_HOME (default /var/tmp/sysmanifest-vm): the
#    package that `linux-image-amd64` depends on (e.g. linux-image-6.1.0-56-amd64) and
#    busybox-static (for the initramfs), both with `apt-get download` (nothing gets
#    installed on the host: busybox-static conflicts with busybox). They are unpacked with
#    `dpkg -x`, `depmod` writes the module index (the .deb does not ship it: its postinst
#    would), and an uncompressed `vmlinux` ELF is extracted so that QEMU can boot it
#    through the PVH entry point (skips real mode and in-guest decompression).
#    The cache survives between runs; a rerun only checks it.
#
# Idempotent: a second run installs and downloads nothing and takes about a second.
# Env: SMVM_HOME (cache dir), SMVM_KPKG (force a kernel package name).
set -euo pipefail

export SMVM_HOME=${SMVM_HOME:-/var/tmp/sysmanifest-vm}
export DEBIAN_FRONTEND=noninteractive

say() { echo "setup: $*"; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get install, and the guest harness itself needs root)"
command -v apt-get >/dev/null && command -v dpkg-query >/dev/null || die "needs a Debian-like system (apt-get, dpkg)"
[ "$(uname -m)" = x86_64 ] || die "only x86_64 hosts are supported (qemu-system-x86_64 guest)"

# ------------------------------------------------------------------ host packages
PKGS=(
  # the harness: emulator (+ seabios via Depends), initramfs build, module index, firmware
  qemu-system-x86 cpio gzip xz-utils kmod udev ovmf
  # the tools under test (run in the guest from the host's read-only root)
  fdisk util-linux e2fsprogs xfsprogs btrfs-progs dosfstools cryptsetup-bin lvm2 mdadm
  # lvm thin pools: activation runs thin_check (lvm.conf thin_check_executable)
  thin-provisioning-tools
  # test/e2e/boot.test.ts builds a FAT ESP image from plain files (mformat/mcopy)
  mtools
)
missing=()
for p in "${PKGS[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = installed ] || missing+=("$p")
done
apt_updated=0
if [ ${#missing[@]} -gt 0 ]; then
  say "installing: ${missing[*]}"
  apt-get -q update
  apt_updated=1
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  say "host packages: all ${#PKGS[@]} present"
fi

# ------------------------------------------------------------------ guest kernel
[ $apt_updated = 1 ] && export SMVM_APT_UPDATED=1
exec bash "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../../bootstrap/rescue-kernel.sh"
