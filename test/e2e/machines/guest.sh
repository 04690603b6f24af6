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
# shellcheck source=lib.sh
source test/e2e/machines/lib.sh
MA0=$(dev MA0) NA0=$(dev NA0) MB0=$(dev MB0) MB1=$(dev MB1) NB0=$(dev NB0) NB1=$(dev NB1)

if [ "$PHASE" = 1 ]; then
  alpha_original

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
alpha_down /mnt/alpha-new
umount -R /mnt/beta-new; mdadm --stop --scan -q || true
sync
ts "done"
