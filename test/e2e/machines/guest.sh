#!/bin/bash
# Runs INSIDE the qemu test guest (test/vm/run-in-vm.sh), driven by rebuild-machines.test.ts.
# Two phases, two guest boots, the same disks in the same order each time:
#   PHASE=1  put the original machines alpha (UEFI, LUKS2 → LVM → ext4) and beta (BIOS, md
#            RAID1 on two disks) onto their disks from the host-built trees, capture both
#            (--commit --secrets-out), blank their disks, start rebuilding beta and cut the
#            power in the middle of its packages stage (sysrq b: the guest dies at once).
#   PHASE=2  a fresh live system: `rebuild --resume` finishes beta; alpha is rebuilt in
#            parallel; alpha's boot stage is run a second time (EFI entries must not double);
#            verify both; write the facts the host test compares into $OUT.
# Disks are found by serial only (MA0 alpha original, NA0 alpha rebuilt, MB0/MB1 beta
# originals, NB0/NB1 beta rebuilt); the script refuses to run outside the harness's guest.
set -euo pipefail
grep -qw smvm.guest=1 /proc/cmdline && [ "${SYSMANIFEST_GUEST:-}" = 1 ] || { echo "guest.sh: not in the sysmanifest test guest" >&2; exit 2; }
: "${OUT:?}" "${PHASE:?}" "${ALPHA_TAR:?}" "${BETA_TAR:?}" "${MIRROR_A:?}" "${MIRROR_B:?}" "${DOT_A:?}" "${DOT_B:?}" "${KEYFILE:?}" "${AGE_KEY:?}"
cd "$(dirname "$0")/../../.."
SM=(node_modules/.bin/node bin/sysmanifest.js)
ts() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }
dev() { # serial → /dev/vdX
  local b
  for b in /sys/block/vd*; do [ "$(cat "$b/serial" 2>/dev/null)" = "$1" ] && { echo "/dev/${b##*/}"; return; }; done
  echo "guest.sh: no disk with serial $1" >&2; exit 2
}
part() { case $1 in *[0-9]) echo "${1}p$2" ;; *) echo "$1$2" ;; esac; }
MA0=$(dev MA0) NA0=$(dev NA0) MB0=$(dev MB0) MB1=$(dev MB1) NB0=$(dev NB0) NB1=$(dev NB1)
RECIPIENT=$(age-keygen -y "$AGE_KEY")
[ -d /sys/firmware/efi/efivars ] && ! mountpoint -q /sys/firmware/efi/efivars && mount -t efivarfs efivarfs /sys/firmware/efi/efivars
modprobe -q md_mod raid1 dm_crypt vfat 2>/dev/null || true

untar() { ts "unpacking $1 onto $2"; tar --numeric-owner --xattrs -xpf "$1" -C "$2"; }

bootable() { # root "grub-install args" …: GRUB installed (once per argument string) and grub.cfg written, as an installer leaves it
  local r=$1 d a; shift
  for d in dev proc sys; do mount --bind "/$d" "$r/$d"; done
  for a in "$@"; do
    ts "GRUB into the original: grub-install $a"
    # shellcheck disable=SC2086
    chroot "$r" grub-install $a > /dev/null 2>&1 || { echo "guest.sh: grub-install $a failed in the original" >&2; exit 1; }
  done
  chroot "$r" update-grub > /dev/null 2>&1 || { echo "guest.sh: update-grub failed in the original" >&2; exit 1; }
  for d in sys proc dev; do umount "$r/$d"; done
}

blank() { # the machine's disks are gone: every signature and the tables, then zeroes
  local d
  for d in "$@"; do wipefs -a -q "$d"* 2>/dev/null || true; blkdiscard -f "$d" 2>/dev/null || dd if=/dev/zero of="$d" bs=1M count=64 status=none; done
  udevadm settle 2>/dev/null || true
}

capture() { # host root-dir disks…
  local host=$1 root=$2; shift 2
  local disks=(); for d in "$@"; do disks+=(--disk "$d"); done
  ts "capture $host"
  "${SM[@]}" capture --commit --root "$root" "${disks[@]}" --repo "$OUT/repo" --host "$host" \
    --secrets-out "$OUT/$host.secrets.age" --secrets-recipient "$RECIPIENT" > "$OUT/$host.capture.log" 2>&1 \
    || { tail -40 "$OUT/$host.capture.log"; exit 1; }
}

facts() { # name root: what the host compares (original vs rebuilt)
  local f="$OUT/facts-$1" r=$2
  mkdir -p "$f"
  chroot "$r" apt-mark showmanual > "$f/manual"
  chroot "$r" apt-mark showhold > "$f/held"
  grep -E '^(alice|root):' "$r/etc/shadow" > "$f/shadow"
  grep -E '^alice:' "$r/etc/passwd" "$r/etc/group" | sed 's|^[^:]*/etc/||' > "$f/accounts"
  (cd "$r/etc" && find . -path ./keys -prune -o -path ./lvm/backup -prune -o -path ./lvm/archive -prune -o \( -name shadow -o -name gshadow -o -name 'shadow-' -o -name 'gshadow-' -o -name 'passwd-' -o -name 'group-' -o -name 'subuid-' -o -name 'subgid-' -o -name machine-id -o -name ld.so.cache -o -name adjtime \) -prune -o -printf '%p %M %u %g %l\n' | sort) > "$f/etc-tree"
  cat "$r/etc/issue" > "$f/issue"
  [ -e "$r/etc/update-motd.d/10-uname" ] && echo present > "$f/motd-uname" || echo absent > "$f/motd-uname"
  git -c safe.directory='*' -C "$r/home/alice" rev-parse HEAD > "$f/dotfiles"
  stat -c '%U %a' "$r/home/alice/.bash_aliases" >> "$f/dotfiles"
  [ -e "$r/etc/keys/root.key" ] && stat -c '%U %a %s' "$r/etc/keys/root.key" > "$f/key" || true
}

if [ "$PHASE" = 1 ]; then
  # ---- alpha: GPT [ESP 64M][/boot 256M][LUKS2 → PV → VG alpha → LV root] ----
  ts "alpha: storage"
  sfdisk -q "$MA0" <<EOF
label: gpt
start=2048, size=131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="esp"
size=524288, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="boot"
type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="crypt"
EOF
  udevadm settle
  mkfs.vfat -F 32 -i "$A_ESP" "$(part "$MA0" 1)" > /dev/null
  mkfs.ext4 -q -U "$A_BOOT" -L boot "$(part "$MA0" 2)"
  cryptsetup luksFormat -q --type luks2 --uuid "$A_LUKS" --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$KEYFILE" "$(part "$MA0" 3)"
  cryptsetup open --key-file "$KEYFILE" "$(part "$MA0" 3)" alpha_crypt
  pvcreate -q /dev/mapper/alpha_crypt && vgcreate -q alpha /dev/mapper/alpha_crypt && lvcreate -q -y -L 2G -n root alpha
  mkfs.ext4 -q -U "$A_ROOT" -L root /dev/alpha/root
  mkdir -p /mnt/alpha && mount /dev/alpha/root /mnt/alpha
  mkdir -p /mnt/alpha/boot && mount "$(part "$MA0" 2)" /mnt/alpha/boot
  untar "$ALPHA_TAR" /mnt/alpha
  mkdir -p /mnt/alpha/boot/efi && mount "$(part "$MA0" 1)" /mnt/alpha/boot/efi
  bootable /mnt/alpha "--target=x86_64-efi --efi-directory=/boot/efi --removable --no-nvram"
  facts alpha-orig /mnt/alpha
  capture alpha /mnt/alpha "$MA0"
  umount -R /mnt/alpha; vgchange -q -an alpha; cryptsetup close alpha_crypt
  blank "$MA0"

  # ---- beta: two GPT disks [BIOS boot 1M][md member] → md RAID1 (1.2) → ext4 ----
  ts "beta: storage"
  for d in "$MB0" "$MB1"; do
    sfdisk -q "$d" <<EOF
label: gpt
start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, name="bios"
start=4096, type=A19D880F-05FC-4D3B-A006-743F0F84911E, name="raid"
EOF
  done
  udevadm settle
  mdadm --create -q --run /dev/md/0 --level=1 --raid-devices=2 --metadata=1.2 --uuid="$B_MD" --homehost=beta --name=0 --assume-clean "$(part "$MB0" 2)" "$(part "$MB1" 2)"
  mkfs.ext4 -q -U "$B_ROOT" -L root /dev/md/0
  mkdir -p /mnt/beta && mount /dev/md/0 /mnt/beta
  untar "$BETA_TAR" /mnt/beta
  bootable /mnt/beta "--target=i386-pc $MB0" "--target=i386-pc $MB1"
  facts beta-orig /mnt/beta
  capture beta /mnt/beta "$MB0" "$MB1"
  umount -R /mnt/beta; mdadm --stop -q /dev/md/0
  blank "$MB0" "$MB1"

  # ---- beta's rebuild, cut off in the middle of its packages stage ----
  ts "beta: rebuild (to be interrupted)"
  (
    while ! grep -q '"packages:install"' "$OUT/state-beta/journal.jsonl" 2>/dev/null; do sleep 1; done
    while ! pgrep -x dpkg > /dev/null; do sleep 1; done
    sleep 20
    ts "POWER CUT during packages: $(pgrep -a dpkg | head -1)"
    echo "$(date +%s) $(pgrep -a dpkg | head -1)" > "$OUT/beta-power-cut"
    sync; echo b > /proc/sysrq-trigger
  ) &
  "${SM[@]}" rebuild "$OUT/repo/hosts/beta/manifest.yaml" --map "$MB0=$NB0" --map "$MB1=$NB1" --target /mnt/beta-new \
    --state "$OUT/state-beta" --mirror "file://$MIRROR_B" --cache "$OUT/cache-beta" --secrets "$OUT/beta.secrets.age" \
    --identity "$AGE_KEY" --dotfiles-from "$DOT_B" --yes --log-commands "$OUT/beta-commands-1.jsonl" > "$OUT/beta-rebuild-1.log" 2>&1
  echo "guest.sh: beta's rebuild finished before the power cut" >&2
  exit 3
fi

# ---- PHASE 2: a fresh live system ----
rc=0
ts "beta: rebuild --resume; alpha: rebuild (in parallel)"
"${SM[@]}" rebuild "$OUT/repo/hosts/beta/manifest.yaml" --resume --map "$MB0=$NB0" --map "$MB1=$NB1" --target /mnt/beta-new \
  --state "$OUT/state-beta" --mirror "file://$MIRROR_B" --cache "$OUT/cache-beta" --secrets "$OUT/beta.secrets.age" \
  --identity "$AGE_KEY" --dotfiles-from "$DOT_B" --yes --log-commands "$OUT/beta-commands-2.jsonl" > "$OUT/beta-rebuild-2.log" 2>&1 &
beta=$!
"${SM[@]}" rebuild "$OUT/repo/hosts/alpha/manifest.yaml" --map "$MA0=$NA0" --target /mnt/alpha-new --key-file "$KEYFILE" \
  --state "$OUT/state-alpha" --mirror "file://$MIRROR_A" --cache "$OUT/cache-alpha" --secrets "$OUT/alpha.secrets.age" \
  --identity "$AGE_KEY" --dotfiles-from "$DOT_A" --yes --log-commands "$OUT/alpha-commands.jsonl" > "$OUT/alpha-rebuild.log" 2>&1 || { rc=1; echo "alpha rebuild failed:"; tail -60 "$OUT/alpha-rebuild.log"; }
ts "alpha rebuilt (exit $rc)"
wait "$beta" || { rc=1; echo "beta rebuild --resume failed:"; tail -60 "$OUT/beta-rebuild-2.log"; }
ts "beta rebuilt"
[ $rc = 0 ] || exit $rc

# The boot stage once more (a user re-running it after a fix): no second EFI entry.
efibootmgr -v > "$OUT/alpha-efi-1" 2>&1 || true
"${SM[@]}" rebuild "$OUT/repo/hosts/alpha/manifest.yaml" --stage boot --map "$MA0=$NA0" --target /mnt/alpha-new \
  --state "$OUT/state-alpha-boot" --mirror "file://$MIRROR_A" --cache "$OUT/cache-alpha" --yes > "$OUT/alpha-boot-again.log" 2>&1; echo $? > "$OUT/alpha-boot-again.rc"
efibootmgr -v > "$OUT/alpha-efi-2" 2>&1 || true
for h in alpha beta; do
  root=/mnt/$h-new
  mountpoint -q "$root" || { echo "guest.sh: $root is not mounted after the rebuild" >&2; exit 1; }
  facts "$h-new" "$root"
  "${SM[@]}" verify "$OUT/repo/hosts/$h/manifest.yaml" --root "$root" > "$OUT/$h-verify.log" 2>&1; echo $? > "$OUT/$h-verify.rc"
done
# Leave the rebuilt disks as a shutdown would: everything unmounted, closed, stopped.
umount -R /mnt/alpha-new; umount -R /mnt/beta-new
vgchange -q -an alpha; for m in /dev/mapper/*; do case $m in */control) ;; *) cryptsetup close "${m##*/}" 2>/dev/null || true ;; esac; done
mdadm --stop --scan -q || true
sync
ts "done"
