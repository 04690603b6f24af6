# shellcheck shell=sh
# Shared by the launcher and the test runner: make sure the Debian packages and the
# project's npm dependencies (with its pinned Node LTS) are present. POSIX sh.

# Debian packages the capture reads with (program:package).
SYSMANIFEST_CAPTURE_TOOLS="blkid:util-linux sfdisk:fdisk tune2fs:e2fsprogs dumpe2fs:e2fsprogs xfs_info:xfsprogs xfs_db:xfsprogs btrfs:btrfs-progs fsck.fat:dosfstools cryptsetup:cryptsetup-bin lvm:lvm2 mdadm:mdadm git:git age:age"

# And what a rebuild runs on the live system besides those (the base install, the EFI boot entries).
SYSMANIFEST_REBUILD_TOOLS="mmdebstrap:mmdebstrap efibootmgr:efibootmgr wipefs:util-linux partx:util-linux mkfs.vfat:dosfstools mkfs.xfs:xfsprogs mkfs.btrfs:btrfs-progs thin_restore:thin-provisioning-tools"

# missing_packages "prog:pkg ..." → prints the packages whose program is not on PATH
missing_packages() {
  _missing=""
  for _pair in $1; do
    _prog=${_pair%%:*}; _pkg=${_pair#*:}
    if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$_prog" >/dev/null 2>&1; then
      case " $_missing " in *" $_pkg "*) ;; *) _missing="$_missing $_pkg" ;; esac
    fi
  done
  echo "$_missing"
}

# apt_install PKG... : install with apt-get (root only), updating the lists once if needed
apt_install() {
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "sysmanifest: missing Debian packages: $* (install them as root: apt-get install $*)" >&2
    return 1
  fi
  echo "sysmanifest: installing Debian packages: $*" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "$@" >&2; then
    apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "$@" >&2
  fi
}

# ensure_node_modules DIR : npm ci when node_modules is missing or older than the lock file
ensure_node_modules() {
  if [ ! -x "$1/node_modules/.bin/node" ] || [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
    command -v npm >/dev/null 2>&1 || { echo "sysmanifest: npm is needed once to install the project (apt-get install npm)" >&2; return 1; }
    echo "sysmanifest: installing npm dependencies (npm ci)" >&2
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}
