#!/bin/bash
# Whole-machine capture on this host beside its floor: the read-only tool calls a shell
# script would make for the same facts: every command capture itself runs (--log-commands),
# plus apt-mark showmanual / showhold / showauto for the package sets capture reads from
# dpkg's and apt's state files instead.
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
SH
t() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
cap=() floor=()
t "$NODE" dist/sysmanifest.js capture --stdout >/dev/null; t sh /tmp/sysmanifest-floor-host.sh >/dev/null
for _ in $(seq "$RUNS"); do
  cap+=("$(t "$NODE" dist/sysmanifest.js capture --stdout)")
  floor+=("$(t sh /tmp/sysmanifest-floor-host.sh)")
done
printf '{"capture_ms":[%s],"floor_ms":[%s]}\n' "$(IFS=,; echo "${cap[*]}")" "$(IFS=,; echo "${floor[*]}")"
