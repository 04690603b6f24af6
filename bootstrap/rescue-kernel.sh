#!/bin/bash
# bootstrap/rescue-kernel.sh - the kernel of sysmanifest's rescue guest (bootstrap/rescue-vm.sh):
# `sysmanifest rehearse` runs it when the cache is missing; test/vm/setup.sh runs it for the tests.
#
#   bash rescue-kernel.sh            (as root, on Debian or a Debian derivative with apt)
#
# Fetches into $SMVM_HOME (default /var/tmp/sysmanifest-vm) the package that
# `linux-image-amd64` depends on (e.g. linux-image-6.1.0-56-amd64) and busybox-static (for the
# initramfs), both with `apt-get download` (nothing gets installed: busybox-static conflicts
# with busybox). They are unpacked with `dpkg -x`, `depmod` writes the module index (the .deb
# does not ship it: its postinst would), and an uncompressed `vmlinux` ELF is extracted so
# that QEMU can boot it through the PVH entry point (skips real mode and in-guest
# decompression). The cache survives between runs; a rerun only checks it (about a second).
# Env: SMVM_HOME (cache dir), SMVM_KPKG (force a kernel package name), SMVM_APT_UPDATED=1
# (the caller has just run apt-get update).
set -euo pipefail

SMVM_HOME=${SMVM_HOME:-/var/tmp/sysmanifest-vm}
KDIR=$SMVM_HOME/kernel
APT_DL=(apt-get -q -o APT::Sandbox::User=root download)
apt_updated=${SMVM_APT_UPDATED:-0}

say() { echo "rescue-kernel: $*"; }
die() { echo "rescue-kernel: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get download into $SMVM_HOME; the rescue guest needs root too)"
command -v apt-get >/dev/null && command -v dpkg >/dev/null || die "needs apt-get and dpkg (a Debian-like system) to fetch Debian's kernel; elsewhere, fill $KDIR as this script does"
[ "$(uname -m)" = x86_64 ] || die "only x86_64 hosts are supported (qemu-system-x86_64 guest)"
command -v depmod >/dev/null || PATH=$PATH:/usr/sbin:/sbin
command -v depmod >/dev/null || die "depmod missing: apt-get install kmod"

# Which kernel package does linux-image-amd64 currently point at? (apt's lists are needed:
# on a fresh machine they may be empty, so update once and ask again.)
resolve_kpkg() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
KPKG=${SMVM_KPKG:-$(resolve_kpkg)}
if [ -z "$KPKG" ] && [ $apt_updated = 0 ]; then
  say "apt lists do not know linux-image-amd64; running apt-get update"
  apt-get -q update; apt_updated=1
  KPKG=$(resolve_kpkg)
fi
[ -n "$KPKG" ] || die "cannot resolve the package linux-image-amd64 depends on"

if [ -f "$KDIR/.ready" ] && [ "$(cat "$KDIR/package" 2>/dev/null)" = "$KPKG" ]; then
  say "guest kernel cache up to date: $KDIR ($KPKG, $(cat "$KDIR/release"))"
  exit 0
fi

say "fetching guest kernel $KPKG and busybox-static into $SMVM_HOME"
mkdir -p "$SMVM_HOME"
NEW=$(mktemp -d "$SMVM_HOME/kernel.new.XXXXXX")
trap 'rm -rf "$NEW"' EXIT
( cd "$NEW" && "${APT_DL[@]}" "$KPKG" busybox-static ) ||
  { [ $apt_updated = 0 ] && say "download failed; retrying after apt-get update" &&
    apt-get -q update && ( cd "$NEW" && "${APT_DL[@]}" "$KPKG" busybox-static ); } ||
  die "apt-get download $KPKG busybox-static failed"

dpkg -x "$NEW"/"$KPKG"_*.deb "$NEW/root"
mkdir -p "$NEW/bb" && dpkg -x "$NEW"/busybox-static_*.deb "$NEW/bb"
cp "$NEW/bb/bin/busybox" "$NEW/busybox"
rm -rf "$NEW/bb" "$NEW"/*.deb "$NEW/root/usr/share/doc"
KV=$(ls "$NEW/root/lib/modules")
[ "$(echo "$KV" | wc -l)" = 1 ] || die "expected one module tree in $KPKG, found: $KV"
depmod -b "$NEW/root" "$KV"
cp "$NEW/root/boot/vmlinuz-$KV" "$NEW/vmlinuz"

# The bzImage carries an xz-compressed vmlinux: find the xz magic and decompress it.
# (`tail | xz` under pipefail dies of SIGPIPE, and xz needs --single-stream to stop at the
# bzImage trailer, hence the subshell.) Without vmlinux the harness falls back to bzImage.
off=$(LC_ALL=C grep -obUa $'\xfd7zXZ' "$NEW/vmlinuz" | head -1 | cut -d: -f1 || true)
if [ -n "$off" ]; then
  (set +o pipefail; tail -c +$((off + 1)) "$NEW/vmlinuz" | xz -dc --single-stream >"$NEW/vmlinux" 2>/dev/null) || true
  [ "$(head -c4 "$NEW/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] || rm -f "$NEW/vmlinux"
fi
[ -f "$NEW/vmlinux" ] && say "extracted uncompressed vmlinux (PVH boot)" || say "no vmlinux extracted; bzImage boot (slower)"

chmod 755 "$NEW"   # mktemp -d made it 0700
echo "$KPKG" >"$NEW/package"
echo "$KV" >"$NEW/release"
touch "$NEW/.ready"
# Swap the new tree in (a concurrent harness run keeps the old one open until it ends).
rm -rf "$KDIR.old"
[ -d "$KDIR" ] && mv "$KDIR" "$KDIR.old"
mv "$NEW" "$KDIR"
trap - EXIT
rm -rf "$KDIR.old" "$SMVM_HOME"/initrd*.gz
say "guest kernel ready: $KDIR ($KV, $(du -sh "$KDIR" | cut -f1))"
