#!/bin/bash
# Regenerates the sfdisk fixtures of this folder on the host, on loop devices over sparse
# files in a private temp dir (needs root). Writes <name>.json (sfdisk --json stdout),
# <name>.stderr / <name>.rc where the exit status matters, and <name>.cmd (the exact
# commands, where they ran, tool version). Never touches any other device.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
loops=()
cleanup() { for l in "${loops[@]}"; do losetup -d "$l" || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

# make NAME SIZE SECTORSIZE SCRIPT: loop disk, sfdisk SCRIPT onto it, record sfdisk --json.
make() {
  local name=$1 size=$2 ssz=$3 script=$4
  truncate -s "$size" "$tmp/$name.img"
  local l; l=$(losetup --find --show --partscan --sector-size "$ssz" "$tmp/$name.img"); loops+=("$l")
  if [ -n "$script" ]; then printf '%s' "$script" | sfdisk --no-reread --no-tell-kernel "$l" >/dev/null; partx --update "$l" || true; fi
  local rc=0
  sfdisk --json "$l" >"$here/sfdisk-$name.json" 2>"$tmp/err" || rc=$?
  if [ "$rc" != 0 ]; then echo "$rc" >"$here/sfdisk-$name.rc"; cp "$tmp/err" "$here/sfdisk-$name.stderr"; fi
  {
    echo "# where: host (Debian 12 container, kernel $(uname -r)), loop device over a sparse file"
    echo "# tool: $(sfdisk --version)"
    echo "truncate -s $size $name.img"
    echo "losetup --find --show --partscan --sector-size $ssz $name.img   # -> $l"
    if [ -n "$script" ]; then echo "sfdisk --no-reread --no-tell-kernel $l <<'SCRIPT'"; printf '%s' "$script"; echo "SCRIPT"; fi
    echo "sfdisk --json $l > sfdisk-$name.json   # exit status $rc"
  } >"$here/sfdisk-$name.cmd"
}

make gpt 64M 512 'label: gpt
label-id: 6B0A9C1E-2D3F-4A5B-8C7D-9E0F1A2B3C4D
first-lba: 2048

start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, uuid=11111111-2222-4333-8444-555555555501, name="bios boot", attrs="RequiredPartition LegacyBIOSBootable"
start=4096, size=20480, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=11111111-2222-4333-8444-555555555502, name="EFI System", attrs="GUID:60,63"
start=24576, size=40960, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=11111111-2222-4333-8444-555555555503, name="root fs", attrs="RequiredPartition NoBlockIOProtocol GUID:48,60,62,63"
start=69632, size=20480, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, uuid=11111111-2222-4333-8444-555555555504
'
make dos-logical 64M 512 'label: dos
label-id: 0x5eed1234

start=2048, size=20480, type=83, bootable
start=22528, size=81920, type=5
start=104448, size=8192, type=82
start=24576, size=16384, type=83
start=43008, size=16384, type=8e
start=61440, size=20480, type=fd
'
make gpt-4k 64M 4096 'label: gpt
label-id: 0D1E2F30-4152-4637-8899-AABBCCDDEEFF

start=256, size=2560, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=22222222-3333-4444-8555-666666666601, name="esp4k"
size=4096, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=22222222-3333-4444-8555-666666666602, name="data4k"
'
make gpt-table32 64M 512 'label: gpt
label-id: 3A4B5C6D-7E8F-4091-A2B3-C4D5E6F70812
table-length: 32

start=2048, size=32768, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=33333333-4444-4555-8666-777777777701, name="short table"
start=34816, size=94208, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, uuid=33333333-4444-4555-8666-777777777702
'
make notable 16M 512 ''
echo ok
