# Shared by the whole-machine test (test/e2e/machines/guest.sh) and the whole-rebuild bench
# (bench/rebuild/machine-guest.sh); sourced INSIDE the qemu test guest, from the checkout's root.
# Needs OUT (the shared directory), AGE_KEY; alpha_original also ALPHA_TAR, KEYFILE, A_* and MA0.
grep -qw smvm.guest=1 /proc/cmdline && [ "${SYSMANIFEST_GUEST:-}" = 1 ] || { echo "machines/lib.sh: not in the sysmanifest test guest" >&2; exit 2; }
: "${OUT:?}" "${AGE_KEY:?}"
SM=(node_modules/.bin/node bin/sysmanifest.js)
ts() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }
dev() { # serial → /dev/vdX
  local b
  for b in /sys/block/vd*; do [ "$(cat "$b/serial" 2>/dev/null)" = "$1" ] && { echo "/dev/${b##*/}"; return; }; done
  echo "guest.sh: no disk with serial $1" >&2; exit 2
}
part() { case $1 in *[0-9]) echo "${1}p$2" ;; *) echo "$1$2" ;; esac; }
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

alpha_original() { # alpha (GPT [ESP 64M][/boot 256M][LUKS2 → PV → VG alpha → LV root]) onto $MA0, facts, capture, then blanked
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
}

alpha_down() { # root: a rebuilt alpha left as a shutdown leaves it (unmounted, VG inactive, LUKS closed)
  umount -R "$1"; vgchange -q -an alpha
  local m; for m in /dev/mapper/*; do case $m in */control) ;; *) cryptsetup close "${m##*/}" 2>/dev/null || true ;; esac; done
}
