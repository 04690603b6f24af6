#!/bin/bash
# Runs INSIDE the qemu test guest, driven by `npm run bench rebuild-machine` (bench/run.ts).
# The whole rebuild of a machine, stage by stage, beside a bash script of the same commands:
#   1. alpha (the whole-machine test's UEFI machine: ESP + /boot + LUKS2 → LVM → ext4, Debian 12
#      with a kernel, GRUB, a user with dotfiles and secrets) is put on MA0 and captured;
#   2. a cold rebuild onto NA0 (every package downloaded into the shared --cache) logs every
#      command it runs (--log-commands); bench/rebuild/floor.ts turns that log into floor.sh;
#   3. RUNS times, alternating: floor.sh, then `sysmanifest rebuild` — both onto the blanked NA0,
#      both with the same warm cache, the same mirror, the same key file.
# Between runs (untimed): the rebuilt tree is unmounted and closed, NA0 blanked, and the EFI
# boot entries the run made removed (each run starts from the same NVRAM).
# Results in $OUT: times (kind run ms), marks-N (the floor's stage starts), rebuild-N.jsonl (the
# rebuild's --json events), state-N/plan.json, commands-*.jsonl, debs-cold / debs-warm.
set -euo pipefail
: "${OUT:?}" "${ALPHA_TAR:?}" "${MIRROR_A:?}" "${DOT_A:?}" "${KEYFILE:?}" "${AGE_KEY:?}" "${RUNS:?}"
cd "$(dirname "$0")/../.."
# shellcheck source=../../test/e2e/machines/lib.sh
source test/e2e/machines/lib.sh
MA0=$(dev MA0) NA0=$(dev NA0)
M=$OUT/repo/hosts/alpha/manifest.yaml
T=/mnt/alpha-new
now() { date +%s%3N; }
debs() { find "$OUT/cache" -name '*.deb' 2> /dev/null | wc -l; }

efi_clean() { # the entries a run made: every entry for \EFI\debian\ (OVMF's own stay)
  local n
  for n in $(efibootmgr 2> /dev/null | sed -n 's/^Boot\([0-9A-F]\{4\}\)\*\? debian.*/\1/p'); do efibootmgr -q -b "$n" -B > /dev/null; done
}

reset_target() {
  alpha_down "$T"
  blank "$NA0"
  efi_clean
}

rebuild() { # name: a whole plain rebuild onto NA0, its events and its commands logged
  local n=$1 t0
  rm -rf "$OUT/state-$n"
  ts "rebuild $n"
  t0=$(now)
  "${SM[@]}" rebuild "$M" --map "$MA0=$NA0" --target "$T" --key-file "$KEYFILE" --state "$OUT/state-$n" \
    --mirror "file://$MIRROR_A" --cache "$OUT/cache" --secrets "$OUT/alpha.secrets.age" --identity "$AGE_KEY" \
    --dotfiles-from "$DOT_A" --yes --json --log-commands "$OUT/commands-$n.jsonl" > "$OUT/rebuild-$n.jsonl" 2> "$OUT/rebuild-$n.err" \
    || { echo "rebuild $n failed:"; tail -5 "$OUT/rebuild-$n.jsonl"; tail -40 "$OUT/rebuild-$n.err"; exit 1; }
  echo "rebuild $n $(($(now) - t0))" >> "$OUT/times"
  reset_target
}

floor() { # name: floor.sh onto NA0
  local n=$1 t0
  rm -f "$OUT/floor.err"
  ts "floor $n"
  t0=$(now)
  rm -f "$OUT/marks"
  bash "$OUT/floor.sh" > "$OUT/floor-$n.out" 2>&1 \
    || { echo "floor $n failed:"; tail -20 "$OUT/floor-$n.out"; tail -40 "$OUT/floor.err"; exit 1; }
  echo "floor $n $(($(now) - t0))" >> "$OUT/times"
  mv "$OUT/marks" "$OUT/marks-$n"
  reset_target
}

alpha_original
efi_clean
: > "$OUT/times"
rebuild cold
debs > "$OUT/debs-cold"
"${SM[0]}" bench/rebuild/floor.ts "$OUT/commands-cold.jsonl" "$OUT/state-cold/plan.json" "$KEYFILE" "$OUT/floor.sh" "$OUT/floor.err" "$OUT/marks" > "$OUT/floor.json"
for i in $(seq 1 "$RUNS"); do
  floor "$i"
  rebuild "$i"
done
echo $(($(debs) - $(cat "$OUT/debs-cold"))) > "$OUT/debs-warm"
ts "done"
