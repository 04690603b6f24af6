#!/bin/bash
# Builds a small Fedora-style root with the real rpm and dnf tools (Debian 12: rpm 4.18, dnf 4.14,
# createrepo-c): four tiny noarch rpms made by rpmbuild, a local repository made by createrepo_c,
# ROOT/etc/yum.repos.d/smf.repo (that repository, enabled, and a disabled one), then
#   dnf install smf-app                   (pulls smf-lib and smf-base in as dependencies)
#   dnf install ./smf-tool-5-2.noarch.rpm (a local file: in no repository)
#   dnf mark install smf-base             (a dependency the user then marked user-installed)
# Debian's rpm keeps its database in ~/.rpmdb (%_dbpath in /usr/lib/rpm/macros); Fedora keeps it
# in /usr/lib/sysimage/rpm. The rpm and dnf calls here run with HOME=WORKDIR/home, whose
# .rpmmacros sets Fedora's path, so the root looks like a Fedora one.
# Usage: make-root.sh WORKDIR   (WORKDIR/root is the root)
set -euo pipefail
W=$(realpath -m "$1")
R=$W/root
mkdir -p "$W/specs" "$W/repo" "$W/home" "$R/etc/yum.repos.d"
echo '%_dbpath /usr/lib/sysimage/rpm' >"$W/home/.rpmmacros"
export SOURCE_DATE_EPOCH=1700000000
# SMF_RPMDB=host keeps this machine's own %_dbpath instead (Debian: ROOT/root/.rpmdb for root).
if [ "${SMF_RPMDB:-fedora}" = fedora ]; then export HOME=$W/home; fi

spec() { # name version release requires
  {
    printf 'Name: %s\nVersion: %s\nRelease: %s\nSummary: sysmanifest test package %s\n' "$1" "$2" "$3" "$1"
    printf 'License: MIT\nBuildArch: noarch\n'
    if [ -n "$4" ]; then printf 'Requires: %s\n' "$4"; fi
    printf '\n%%description\nA tiny package built for the sysmanifest dnf provider tests.\n'
    printf '\n%%install\nmkdir -p %%{buildroot}/usr/share/%s\ntouch %%{buildroot}/usr/share/%s/marker\n' "$1" "$1"
    printf '\n%%files\n/usr/share/%s/marker\n' "$1"
  } >"$W/specs/$1.spec"
  rpmbuild --quiet --define "_topdir $W/top" -bb "$W/specs/$1.spec" >/dev/null
}
spec smf-base 1.0 1 ""
spec smf-lib 2.1 3 smf-base
spec smf-app 0.3 1 smf-lib
spec smf-tool 5 2 ""
cp "$W"/top/RPMS/noarch/smf-{base,lib,app}-*.rpm "$W/repo/"
createrepo_c -q "$W/repo"

{
  printf '[smf-local]\nname=sysmanifest test repository\nbaseurl=file://%s/repo\nenabled=1\ngpgcheck=0\n\n' "$W"
  printf '[smf-disabled]\nname=A disabled repository\nbaseurl=https://example.invalid/$releasever/$basearch/\n'
  printf 'enabled=0\ngpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-example\n'
} >"$R/etc/yum.repos.d/smf.repo"

D=(dnf -y -q --installroot="$R" --releasever=39 --setopt=reposdir="$R/etc/yum.repos.d" --setopt=install_weak_deps=False --nogpgcheck)
"${D[@]}" install smf-app >/dev/null
"${D[@]}" install "$W/top/RPMS/noarch/smf-tool-5-2.noarch.rpm" >/dev/null
"${D[@]}" mark install smf-base >/dev/null
