#!/bin/bash
# `npm test`: installs what the tests need on a fresh machine, then runs every tier this
# machine supports in ONE node:test run, and says loudly which tier it skipped and why.
#   unit         src/**/*.test.ts          always
#   fuzz         test/fuzz/*.test.ts       always (10,000 mutated manifests; SYSMANIFEST_FUZZ_SEED replays)
#   integration  test/integration/*.test.ts root + loop devices (partitions, ext/xfs/btrfs/vfat/swap)
#   e2e          test/e2e/*.test.ts         root + qemu guest (LVM, LUKS, md RAID, rebuilds)
set -euo pipefail
cd "$(dirname "$0")/.."
MACHINES=test/e2e/rebuild-machines.test.ts
. bootstrap/deps.sh

TEST_TOOLS="$SYSMANIFEST_CAPTURE_TOOLS $SYSMANIFEST_REBUILD_TOOLS age-keygen:age ssh-keygen:openssh-client losetup:mount partx:util-linux wipefs:util-linux mkfs.xfs:xfsprogs mkfs.btrfs:btrfs-progs mkfs.vfat:dosfstools mke2fs:e2fsprogs chattr:e2fsprogs debugfs:e2fsprogs strace:strace debootstrap:debootstrap thin_check:thin-provisioning-tools systemd-analyze:systemd pacman:pacman-package-manager makepkg:makepkg repo-add:pacman-package-manager bsdtar:libarchive-tools zstd:zstd dnf:dnf rpmbuild:rpm createrepo_c:createrepo-c flatpak:flatpak mmdebstrap:mmdebstrap gpgv:gpgv dash:dash shellcheck:shellcheck unshare:util-linux rsync:rsync restic:restic borg:borgbackup btrfs:btrfs-progs git-annex:git-annex sshd:openssh-server"
if [ "$(id -u)" = 0 ]; then
  # openssh-server is for the tests' own sshd on 127.0.0.1 (ssh:// dataset targets): its package
  # must not start the system's sshd, so a policy-rc.d says "no" for the install when none is there.
  policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy=/usr/sbin/policy-rc.d
  fi
  # shellcheck disable=SC2046
  apt_install $(missing_packages "$TEST_TOOLS") || { [ -z "$policy" ] || rm -f "$policy"; exit 1; }
  [ -z "$policy" ] || rm -f "$policy"
  # The qemu guest: qemu, ovmf, and the Debian kernel it boots (cached in /var/tmp).
  if [ "${SYSMANIFEST_SKIP_E2E:-0}" != 1 ] && [ -x test/vm/setup.sh ]; then
    test/vm/setup.sh || echo "test/run.sh: test/vm/setup.sh failed; the e2e tier will say why it skips" >&2
  fi
fi
ensure_node_modules "$PWD"
export PATH="$PWD/node_modules/.bin:$PATH:/usr/sbin:/sbin"
echo "test/run.sh: node $(node --version)"

echo "== typecheck (tsc --noEmit)"
tsc --noEmit -p .
echo "== build the bundle the CLI tests and the guest run (npm run build)"
npm run --silent build

shopt -s globstar nullglob
files=(src/**/*.test.ts test/fuzz/*.test.ts)
tiers="unit (${#files[@]} files, the manifest fuzzer included)"
if [ "$(id -u)" != 0 ]; then
  echo "!! SKIPPING integration and e2e tiers: not running as root (they need loop devices / a qemu guest)" >&2
else
  files+=(test/integration/*.test.ts)
  tiers+=", integration"
  if [ "${SYSMANIFEST_SKIP_E2E:-0}" = 1 ]; then
    echo "!! SKIPPING e2e tier: SYSMANIFEST_SKIP_E2E=1" >&2
  else
    for f in test/e2e/*.test.ts; do [ "$f" = "$MACHINES" ] || files+=("$f"); done
    tiers+=", e2e"
  fi
fi
echo "== tests: $tiers"
# The whole-machine proof (rebuild-machines: two machines built, captured, blanked, rebuilt
# and booted in a qemu guest of its own, about half an hour under TCG) runs beside the rest:
# it uses no loop device and no disk of this host, only its guest's virtual disks.
machines_pid=
if [ "$(id -u)" = 0 ] && [ "${SYSMANIFEST_SKIP_E2E:-0}" != 1 ] && [ -f "$MACHINES" ]; then
  machines_log=$(mktemp /tmp/sysmanifest-machines-XXXXXX.log)
  echo "== $MACHINES in the background (its report follows the others'; live: $machines_log)"
  node --test --test-reporter=spec "$MACHINES" >"$machines_log" 2>&1 &
  machines_pid=$!
  trap 'kill $machines_pid 2>/dev/null' INT TERM
fi
# One file at a time: integration tests read the host's whole block inventory, and a loop
# device another file is creating or detaching at that moment would make them flaky.
rc=0
node --test --test-concurrency=1 --test-reporter=spec "${files[@]}" || rc=$?
if [ -n "$machines_pid" ]; then
  mrc=0
  wait "$machines_pid" || mrc=$?
  echo "== $MACHINES (ran in the background), exit $mrc"
  cat "$machines_log"
  rm -f "$machines_log"
  [ "$mrc" = 0 ] || rc=$mrc
fi
exit $rc
