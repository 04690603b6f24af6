set -u
out="$VMH_XFER/guest"
mkdir -p "$out"
uname -r > "$out/uname-r.txt"
sfdisk --version > "$out/sfdisk-version.txt" 2>&1
ls -l /sys/block/ > "$out/ls-sys-block.txt"
[ -e /dev/disk ] && echo "/dev/disk exists" > "$out/dev-disk.txt" || echo "no /dev/disk" > "$out/dev-disk.txt"
for d in /sys/block/vd* /sys/block/nvme* /sys/block/sd*; do
  [ -e "$d" ] || continue
  n=$(basename "$d")
  readlink -f "$d" > "$out/$n.syspath.txt"
  readlink -f "$d/device" > "$out/$n.devicepath.txt"
  for f in serial wwid eui nguid uuid nsid size removable ro queue/logical_block_size queue/physical_block_size \
           device/serial device/model device/vendor device/wwid device/vpd_pg80 device/vpd_pg83 device/rev device/firmware_rev device/transport; do
    if [ -f "$d/$f" ]; then
      mkdir -p "$out/sys/block/$n/$(dirname "$f")"
      cp "$d/$f" "$out/sys/block/$n/$f" 2>>"$out/cp-errors.txt" || echo "cp failed: $d/$f" >> "$out/cp-errors.txt"
    fi
  done
  for f in device/vpd_pg80 device/vpd_pg83; do
    [ -f "$d/$f" ] && xxd "$d/$f" > "$out/$n.$(basename $f).xxd.txt" 2>&1
  done
done
find "$out/sys" -type f -exec ls -l {} + > "$out/files.txt"
echo done
