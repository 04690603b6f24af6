#!/bin/bash
# Whole-machine capture on this host beside its floor: the read-only tool calls a shell
# script would make for the same facts (the storage calls capture makes, recorded, plus
# apt-mark showmanual / showhold / showauto, dpkg-query for the conffiles, a find over /etc).
set -euo pipefail
cd "$(dirname "$0")/../.."
NODE=$PWD/node_modules/.bin/node
RUNS=${BENCH_RUNS:-5}
"$NODE" dist/sysmanifest.js capture --stdout --log-commands /tmp/sysmanifest-calls.jsonl >/dev/null
"$NODE" bench/capture/floor.mjs /tmp/sysmanifest-calls.jsonl /tmp/sysmanifest-floor-host.sh >/dev/null
cat >> /tmp/sysmanifest-floor-host.sh <<'SH'
apt-mark showmanual >/dev/null 2>&1
apt-mark showhold >/dev/null 2>&1
apt-mark showauto >/dev/null 2>&1
dpkg-query -W -f '${Package} ${Conffiles}\n' >/dev/null 2>&1
find /etc -printf '%y %m %U %G %s %l %P\n' >/dev/null 2>&1
SH
t() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
cap=() floor=()
t "$NODE" dist/sysmanifest.js capture --stdout >/dev/null; t sh /tmp/sysmanifest-floor-host.sh >/dev/null
for _ in $(seq "$RUNS"); do
  cap+=("$(t "$NODE" dist/sysmanifest.js capture --stdout)")
  floor+=("$(t sh /tmp/sysmanifest-floor-host.sh)")
done
printf '{"capture_ms":[%s],"floor_ms":[%s]}\n' "$(IFS=,; echo "${cap[*]}")" "$(IFS=,; echo "${floor[*]}")"
