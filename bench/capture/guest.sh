#!/bin/bash
# Runs INSIDE the test guest (bench/run.ts boots it with 8 virtio disks BENCH0..BENCH7).
# Builds 8 disks × 4 partitions with ext4, xfs, btrfs, vfat and swap, then times, side by
# side in this one boot: sysmanifest capture (storage, the real CLI process), the floor (the
# same read-only tool calls one after another in sh), and `rear savelayout` on the same disks.
set -euo pipefail
cd "$(dirname "$0")/../.."
NODE=$PWD/node_modules/.bin/node
RUNS=${BENCH_RUNS:-5}
out=${VMH_XFER:-/tmp}/capture-bench.json

disks=()
for s in /sys/block/vd*; do
  serial=$(cat "$s/serial" 2>/dev/null || true)
  case $serial in BENCH*) disks+=("/dev/${s##*/}") ;; esac
done
[ ${#disks[@]} -ge 8 ] || { echo "expected 8 BENCH disks, found ${#disks[@]}" >&2; exit 1; }

kinds=(ext4 xfs btrfs vfat swap)
i=0
for d in "${disks[@]}"; do
  printf 'label: gpt\n,320M\n,320M\n,320M\n,\n' | sfdisk -q "$d"
  udevadm settle
  for n in 1 2 3 4; do
    p=${d}$n
    case ${kinds[$((i % 5))]} in
      ext4) mkfs.ext4 -q -F "$p" ;;
      xfs) mkfs.xfs -q -f "$p" ;;
      btrfs) mkfs.btrfs -q -f "$p" ;;
      vfat) mkfs.vfat "$p" >/dev/null ;;
      swap) mkswap "$p" >/dev/null ;;
    esac
    i=$((i + 1))
  done
done
udevadm settle

diskargs=(); for d in "${disks[@]}"; do diskargs+=(--disk "$d"); done
# The floor: the very calls capture makes (--log-commands), one after another in sh.
"$NODE" dist/sysmanifest.js capture --stdout --only storage "${diskargs[@]}" --log-commands /tmp/calls.jsonl >/dev/null
"$NODE" bench/capture/floor.mjs /tmp/calls.jsonl /tmp/floor.sh
# For scale: the same calls 8 at a time (no Node at all): what concurrency alone wins here.
grep ' >/dev/null 2>&1$' /tmp/floor.sh | sed 's| >/dev/null 2>&1$||' > /tmp/calls.txt

# rear: layout only, no output medium needed.
mkdir -p /etc/rear && printf 'OUTPUT=ISO\nBACKUP=REQUESTRESTORE\n' > /etc/rear/local.conf

t() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
cap=() floor=() par=() rear=()
# One warm-up of each (page cache, first exec of each binary), then interleaved runs.
t "$NODE" dist/sysmanifest.js capture --stdout --only storage "${diskargs[@]}" >/dev/null; t sh /tmp/floor.sh >/dev/null; t rear savelayout >/dev/null || true
for _ in $(seq "$RUNS"); do
  cap+=("$(t "$NODE" dist/sysmanifest.js capture --stdout --only storage "${diskargs[@]}")")
  floor+=("$(t sh /tmp/floor.sh)")
  par+=("$(t sh -c 'xargs -P 8 -L 1 -a /tmp/calls.txt env; exit 0')")  # some probes exit non-zero by design
  rear+=("$(t rear savelayout)")
done
printf '{"capture_ms":[%s],"floor_ms":[%s],"parallel_ms":[%s],"rear_ms":[%s],"calls":%s}\n' \
  "$(IFS=,; echo "${cap[*]}")" "$(IFS=,; echo "${floor[*]}")" "$(IFS=,; echo "${par[*]}")" "$(IFS=,; echo "${rear[*]}")" "$(grep -c '>/dev/null' /tmp/floor.sh)" | tee "$out"
