#!/bin/bash
# Runs INSIDE the test guest (bench/run.ts boots it with disks RBA and RBB). Builds a sample
# layout on RBA with the raw tools (GPT: ESP vfat, /boot ext4, LUKS2 → LVM → ext4 root + xfs
# home + swap), captures it, then times side by side, alternating, onto the blank RBB:
# `sysmanifest rebuild --stage storage` (preflight, journal, verify included), the plain
# shell script of the same commands (every command a first rebuild ran, from its
# --log-commands: the preflight's and verify's probes and the plan's steps, in that order),
# and the script of the plan's steps alone (what preflight + verify add).
set -euo pipefail
cd "$(dirname "$0")/../.."
NODE=$PWD/node_modules/.bin/node
CLI="$NODE $PWD/dist/sysmanifest.js"
RUNS=${BENCH_RUNS:-3}
out=${VMH_XFER:-/tmp}/rebuild-bench.json
dev() { for s in /sys/block/vd*; do if [ "$(cat "$s/serial" 2>/dev/null)" = "$1" ]; then echo "/dev/${s##*/}"; fi; done; }
A=$(dev RBA); B=$(dev RBB)
[ -n "$A" ] && [ -n "$B" ] || { echo "disks RBA/RBB not found" >&2; exit 1; }
W=$(mktemp -d); KEY=$W/key; printf 'bench-passphrase' > "$KEY"

sfdisk -q "$A" <<SF
label: gpt
size=128M, type=U, name=esp
size=256M, type=L, name=boot
type=L, name=crypt
SF
udevadm settle
mkfs.vfat -F 32 "${A}1" >/dev/null
mkfs.ext4 -q -F -L boot "${A}2"
cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$KEY" "${A}3"
cryptsetup open --key-file "$KEY" "${A}3" benchcrypt
pvcreate -q /dev/mapper/benchcrypt; vgcreate -q vgb /dev/mapper/benchcrypt
lvcreate -q -y -L 512M -n root vgb; lvcreate -q -y -L 320M -n home vgb; lvcreate -q -y -L 64M -n swap vgb
mkfs.ext4 -q -F -L root /dev/vgb/root; mkfs.xfs -q -f -L home /dev/vgb/home; mkswap -L swap /dev/vgb/swap >/dev/null
$CLI capture --disk "$A" --repo "$W/repo" --host bench >/dev/null
M=$W/repo/hosts/bench/manifest.yaml
vgchange -q -an vgb >/dev/null; cryptsetup close benchcrypt
# The source's identities (disk GUID, PARTUUIDs, filesystem, LUKS and PV UUIDs) are what every
# rebuild recreates on B; preflight refuses them while another attached disk carries them.
wipefs -q -a "$A"?*; wipefs -q -a "$A"; partx -d "$A" 2>/dev/null || true; udevadm settle

blank() {  # back to a blank disk B between runs (not timed)
  umount -R "$W/mnt" 2>/dev/null || true
  vgchange -q -an vgb >/dev/null 2>&1 || true
  for m in /dev/mapper/*; do case $m in */control) ;; *) cryptsetup close "${m##*/}" 2>/dev/null || true ;; esac; done
  wipefs -q -a "$B"?* 2>/dev/null || true; wipefs -q -a "$B"; blkdiscard -f "$B" 2>/dev/null || dd if=/dev/zero of="$B" bs=1M count=16 status=none
  partx -d "$B" 2>/dev/null || true; udevadm settle; rm -rf "$W/state" "$W/mnt"
}
t() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@" >&2 || true; return 1; }; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }

blank
$CLI plan "$M" --map "disk0=$B" --target "$W/mnt" --json > "$W/plan.json"
REBUILD=($CLI rebuild "$M" --stage storage --map "disk0=$B" --key-file "$KEY" --yes --state "$W/state" --target "$W/mnt")
# A first rebuild (untimed: it also warms the caches) records the commands it runs.
"${REBUILD[@]}" --log-commands "$W/calls.jsonl" >/dev/null
"$NODE" bench/rebuild/script.ts same "$W/plan.json" "$KEY" "$W/same.sh" "$W/calls.jsonl"
"$NODE" bench/rebuild/script.ts plan "$W/plan.json" "$KEY" "$W/plain.sh"
tool=() same=() plain=() bare=() start=()
for _ in $(seq "$RUNS"); do
  blank; tool+=("$(t "${REBUILD[@]}")")
  blank; same+=("$(t sh "$W/same.sh")")
  blank; plain+=("$(t sh "$W/plain.sh")")
  blank; bare+=("$(t "$NODE" bench/rebuild/bare.mjs "$W/plan.json" "$KEY" "$W/calls.jsonl")")
  start+=("$(t "$NODE" -e 0)")
done
blank
printf '{"rebuild_ms":[%s],"same_ms":[%s],"script_ms":[%s],"bare_ms":[%s],"node_start_ms":[%s],"steps":%s,"calls":%s}\n' "$(IFS=,; echo "${tool[*]}")" "$(IFS=,; echo "${same[*]}")" "$(IFS=,; echo "${plain[*]}")" "$(IFS=,; echo "${bare[*]}")" "$(IFS=,; echo "${start[*]}")" "$(grep -c '"id"' "$W/plan.json")" "$(wc -l < "$W/calls.jsonl")" | tee "$out"
