#!/bin/bash
# Builds a small Arch-style root with the real pacman tools (Debian 12: pacman-package-manager,
# makepkg): four tiny packages made by makepkg, two local repositories made by repo-add
# (one gzip, one zstd compressed), a pacman.conf with an Include, then
#   pacman -Sy; pacman -S smf-app        (pulls smf-lib and smf-base in as dependencies)
#   pacman -U smf-tool-*.pkg.tar.gz      (in no repository: a foreign package)
#   pacman -D --asexplicit smf-base      (a dependency the user then marked explicit)
# Usage: make-root.sh WORKDIR   (WORKDIR/root is the root; must run as root: makepkg runs as nobody)
# Query it with: pacman --root WORKDIR/root --dbpath WORKDIR/root/var/lib/pacman --config WORKDIR/pacman.conf -Qq…
set -euo pipefail
W=$(realpath -m "$1")
mkdir -p "$W/build" "$W/repos/smf-local" "$W/repos/smf-mirrored" "$W/root/etc/pacman.d" "$W/root/var/lib/pacman" "$W/root/var/cache/pacman/pkg" "$W/root/var/log"

pkgbuild() { # name version release description depends
  mkdir -p "$W/build/$1"
  cat >"$W/build/$1/PKGBUILD" <<EOF
pkgname=$1
pkgver=$2
pkgrel=$3
pkgdesc="sysmanifest test package: $4"
arch=(any)
license=(MIT)
depends=($5)
package() { install -Dm644 /dev/null "\$pkgdir/usr/share/$1/marker"; }
EOF
}
pkgbuild smf-base 1.0 1 "a dependency" ""
pkgbuild smf-lib 2.1 3 "another dependency" "smf-base"
pkgbuild smf-app 0.3 1 "explicitly installed, needs smf-lib" "smf-lib"
pkgbuild smf-tool 5 2 "explicitly installed, in no repository" ""
chown -R nobody:nogroup "$W/build"
chmod 755 "$W" # makepkg runs as nobody: it must reach build/ (mktemp -d makes 0700)
# makepkg refuses to run as root; SOURCE_DATE_EPOCH keeps the builds reproducible.
for p in smf-base smf-lib smf-app smf-tool; do
  (cd "$W/build/$p" && SOURCE_DATE_EPOCH=1700000000 runuser -u nobody -- makepkg --nodeps --noconfirm >/dev/null 2>&1)
done

cp "$W"/build/smf-base/*.pkg.tar.gz "$W"/build/smf-app/*.pkg.tar.gz "$W/repos/smf-local/"
cp "$W"/build/smf-lib/*.pkg.tar.gz "$W/repos/smf-mirrored/"
repo-add -q "$W/repos/smf-local/smf-local.db.tar.gz" "$W"/repos/smf-local/*.pkg.tar.gz
repo-add -q "$W/repos/smf-mirrored/smf-mirrored.db.tar.zst" "$W"/repos/smf-mirrored/*.pkg.tar.gz

cat >"$W/root/etc/pacman.d/mirrorlist" <<EOF
## sysmanifest test mirrorlist
Server = file://$W/repos/\$repo
EOF
cat >"$W/root/etc/pacman.conf" <<EOF
#
# /etc/pacman.conf of a sysmanifest test root
#
[options]
Architecture = auto
HoldPkg = pacman glibc
IgnorePkg = smf-tool
SigLevel = Never
LocalFileSigLevel = Never

#[testing]
#Include = /etc/pacman.d/mirrorlist

[smf-local]
Server = file://$W/repos/\$repo

[smf-mirrored]
SigLevel = Optional TrustAll
Include = /etc/pacman.d/mirrorlist
EOF
# pacman reads Include paths as written, not under --root: the tools here get a copy of the
# root's pacman.conf whose Include names the root's mirrorlist (WORKDIR/pacman.conf).
# (A "#" after a value is part of the value for pacman: no trailing comments.)
sed "s|^Include = /etc/|Include = $W/root/etc/|" "$W/root/etc/pacman.conf" >"$W/pacman.conf"

P=(pacman --root "$W/root" --dbpath "$W/root/var/lib/pacman" --config "$W/pacman.conf"
   --cachedir "$W/root/var/cache/pacman/pkg" --logfile "$W/root/var/log/pacman.log" --noconfirm)
"${P[@]}" -Sy >/dev/null
"${P[@]}" -S smf-app >/dev/null
"${P[@]}" -U "$W"/build/smf-tool/smf-tool-5-2-any.pkg.tar.gz >/dev/null
"${P[@]}" -D --asexplicit smf-base >/dev/null
