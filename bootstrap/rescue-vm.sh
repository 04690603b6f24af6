#!/bin/bash
# bootstrap/rescue-vm.sh - sysmanifest's rescue guest (`sysmanifest rehearse`) and the
# project's qemu test guest (test/vm/run-in-vm.sh runs this).
#
# Runs ONE shell command as root in a throw-away QEMU guest that boots a stock Debian
# kernel and sees the host's userspace (read-only 9p root + tmpfs overlay), with virtual
# disks attached: the guest sees no disk of the host, only those image files. Needs root
# and the kernel cache made by bootstrap/rescue-kernel.sh.
#
#   run-in-vm.sh [options] -- 'shell command'
#   run-in-vm.sh --boot-disk [--uefi] [--expect REGEX] --disk IMG:SIZE[:SERIAL[:BUS]] ...
#
# Options
#   --disk NAME:SIZE[:SERIAL[:BUS]]  attach a raw disk. NAME without '/': a scratch sparse
#                 image in the run dir, deleted afterwards. NAME with '/': a persistent image
#                 file, created with SIZE if missing, reused as is otherwise. SIZE as for
#                 truncate (512M, 2G). SERIAL: up to 20 chars (default SMVMn).
#                 BUS: virtio (default) | nvme | scsi (virtio-scsi) | sata (AHCI).
#   --rw DIR      mount host DIR read-write at the same path in the guest (no ',' or spaces)
#   --ro DIR      mount host DIR read-only at the same path in the guest (with --root)
#   --root DIR    the guest's root is DIR (a live system's tree: bash, mount, kmod, udev)
#                 instead of the host's /; the guest kernel's modules are shared in either way
#   --env N[=V]   export N in the guest (value from the caller's env when omitted). Nothing
#                 else of the caller's environment is passed. SYSMANIFEST_GUEST=1 always is.
#   --mem MB      guest RAM (default 3072; the overlay's upper layer lives in it)
#   --smp N       guest vCPUs (default: host CPUs, at most 4)
#   --timeout S   kill the guest after S seconds (default 900) -> exit 124
#   --no-udev     do not start systemd-udevd in the guest (no /dev/disk/*, no udev db)
#   --uefi        boot through OVMF (command mode: OVMF + direct kernel boot, efivarfs works)
#   --boot-disk   run no command: boot the --disks with firmware (SeaBIOS, or OVMF with
#                 --uefi; tried in the order given) and wait for --expect REGEX (default
#                 'login:') on the serial console
#   --fail-on REGEX  --boot-disk: give up at once (exit 1) when REGEX shows on the serial
#                 console or in the firmware's log (GRUB's rescue prompt, a kernel panic …)
#   --console FILE   copy the guest's serial console log to FILE when the run ends
#   --accel A     auto (default: kvm when /dev/kvm is a hardware KVM, else tcg) | kvm | tcg
#   --keep        keep the run dir (console log, scratch disks) and print its path
#   --verbose     stream the guest's kernel console to stderr
#
# Env: SMVM_HOME (cache, default /var/tmp/sysmanifest-vm), SMVM_APPEND (extra kernel args).
# Exit status: the command's own; 124 = timeout; 125 = harness or boot failure (the tail
# of the guest console goes to stderr). --boot-disk: 0 = REGEX seen, 1 = the guest stopped
# without it, 124 = timeout, 125 = harness failure.
# In the guest: bash, cwd = the caller's cwd (same path, read-only), no stdin, stdout and
# stderr merged onto our stdout. Writes land in RAM unless under --rw DIR or $SMVM_XFER.
# A last line "run-in-vm: boot Xs, command Ys, wall Zs, exit N" goes to our stderr.
#
# How it works (details and measurements: test/vm/README.md):
#   qemu (TCG; this host's /dev/kvm is PVM and cannot run a stock kernel) boots the
#   uncompressed vmlinux by PVH with a tiny busybox initramfs. Its /init mounts the host's
#   / over virtio-9p read-only, puts a tmpfs overlay on top and switch_roots into it; the
#   host's bash then runs the "stage2" script below as PID 1: it bind-mounts the guest
#   kernel's module tree, mounts the shares, starts udevd, runs the command with its output
#   on a virtio-serial port (a file on the host that we tail), writes the exit status into
#   the shared xfer dir and powers off.
set -euo pipefail

SMVM_HOME=${SMVM_HOME:-/var/tmp/sysmanifest-vm}
KDIR=$SMVM_HOME/kernel
SELF=$(realpath "${BASH_SOURCE[0]}")
MEM=3072
NCPU=$(nproc); SMP=$((NCPU > 4 ? 4 : NCPU))
TIMEOUT=900 UDEV=1 KEEP=0 VERBOSE=0 BOOTDISK=0 UEFI=0 EXPECT='login:' FAILON='' CONSOLE='' ACCEL=auto
DISKS=() RWDIRS=() RODIRS=() ENVS=() ROOTDIR=/
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd

die() { echo "run-in-vm: $*" >&2; exit 125; }
while [ $# -gt 0 ]; do
  case $1 in
    --disk) DISKS+=("$2"); shift 2 ;;
    --rw) [ -d "$2" ] || die "--rw $2: not a directory"; RWDIRS+=("$(realpath "$2")"); shift 2 ;;
    --ro) [ -d "$2" ] || die "--ro $2: not a directory"; RODIRS+=("$(realpath "$2")"); shift 2 ;;
    --root) [ -x "$2/bin/bash" ] || [ -x "$2/usr/bin/bash" ] || die "--root $2: no bin/bash in it"; ROOTDIR=$(realpath "$2"); shift 2 ;;
    --env) if [[ $2 == *=* ]]; then ENVS+=("$2"); else ENVS+=("$2=${!2-}"); fi; shift 2 ;;
    --mem) MEM=$2; shift 2 ;;
    --smp) SMP=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --no-udev) UDEV=0; shift ;;
    --uefi) UEFI=1; shift ;;
    --boot-disk) BOOTDISK=1; shift ;;
    --expect) EXPECT=$2; shift 2 ;;
    --fail-on) FAILON=$2; shift 2 ;;
    --console) CONSOLE=$2; shift 2 ;;
    --accel) case $2 in auto | kvm | tcg) ACCEL=$2 ;; *) die "--accel $2: auto, kvm or tcg" ;; esac; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --verbose) VERBOSE=1; shift ;;
    --) shift; break ;;
    -h | --help) sed -n '2,/^set -euo/p' "$SELF" | sed '$d'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
CMD=${*:-}
[ "$BOOTDISK" = 1 ] || [ -n "$CMD" ] || die "no command given (use -- 'cmd')"
[ "$BOOTDISK" = 0 ] || [ ${#DISKS[@]} -gt 0 ] || die "--boot-disk needs a --disk"
[ "$(id -u)" = 0 ] || die "must run as root (9p export of / with security_model=none)"
for t in qemu-system-x86_64 cpio gzip timeout truncate; do
  command -v $t >/dev/null || die "$t missing: install qemu-system-x86, cpio, gzip, coreutils (test/vm/setup.sh does)"
done
[ -f "$KDIR/.ready" ] || die "no guest kernel in $KDIR: run bootstrap/rescue-kernel.sh (sysmanifest rehearse and test/vm/setup.sh do)"
[ "$UEFI" = 0 ] || [ -f "$OVMF_CODE" ] || die "$OVMF_CODE missing: install ovmf (apt-get install ovmf)"
KV=$(cat "$KDIR/release")

# ------------------------------------------------------------------ initramfs
# Built here rather than in setup.sh because /init and stage2 are part of this script: it
# is rebuilt (about 0.2 s) whenever this file is newer than it.
INITRD=$SMVM_HOME/initrd-$KV.gz
build_initrd() {
  local M=$KDIR/root/lib/modules/$KV I
  I=$(mktemp -d "$SMVM_HOME/initrd.XXXXXX")
  mkdir -p "$I"/{bin,proc,sys,dev,lower,newroot} "$I/lib/modules/$KV"
  cp "$KDIR/busybox" "$I/bin/"
  for a in sh mount modprobe mkdir switch_root cat cp poweroff; do ln -s busybox "$I/bin/$a"; done
  # Only what is needed to reach the 9p root goes in; everything else autoloads later
  # from the full module tree (see stage2).
  local m dep p
  for m in virtio_pci virtio_console 9pnet_virtio 9p overlay; do
    dep=$(grep -E "(^|/)$m\.ko(\.xz|\.zst)?:" "$M/modules.dep" | head -1 | tr -d ':')
    for p in $dep; do mkdir -p "$I/lib/modules/$KV/${p%/*}"; cp "$M/$p" "$I/lib/modules/$KV/$p"; done
  done
  cp "$M"/modules.{dep,alias,builtin,softdep,symbols} "$I/lib/modules/$KV/" 2>/dev/null || true

  # /init (busybox sh): reach the host root, build the overlay, hand over to the host's bash.
  cat >"$I/init" <<'EOF'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in virtio_pci virtio_console 9pnet_virtio 9p overlay; do modprobe $m || echo "smvm: modprobe $m failed"; done
# smvm.KEY=VALUE on the kernel command line -> SMVM_KEY for stage2
for a in $(cat /proc/cmdline); do case $a in smvm.*=*) k=${a%%=*}; eval "SMVM_${k#smvm.}=\${a#*=}";; esac; done
# cache=loose + a big msize make exec-heavy work over 9p much faster (read-only anyway)
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /lower || { echo "smvm: 9p root failed"; poweroff -f; }
mkdir -p /run; mount -t tmpfs -o mode=755 ovl /run; mkdir -p /run/u /run/w
mount -t overlay overlay -o lowerdir=/lower,upperdir=/run/u,workdir=/run/w /newroot || { echo "smvm: overlay failed"; poweroff -f; }
mount -t tmpfs -o mode=755 run /newroot/run; mkdir -p /newroot/run/smvm
cp /stage2 /newroot/run/smvm/stage2
set | grep '^SMVM_' | sed 's/^/export /' >/newroot/run/smvm/env
mount --move /proc /newroot/proc; mount --move /sys /newroot/sys; mount --move /dev /newroot/dev
exec switch_root /newroot /bin/bash /run/smvm/stage2
EOF

  # stage2: PID 1, the host's bash, inside the overlay root.
  cat >"$I/stage2" <<'EOF'
. /run/smvm/env
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
ln -sfn /proc/self/fd /dev/fd; ln -sfn fd/0 /dev/stdin; ln -sfn fd/1 /dev/stdout; ln -sfn fd/2 /dev/stderr
# The guest kernel's modules, at the path its kmod expects. PID 1 switch_rooted (not just
# chrooted) so that the kernel's usermode helper /sbin/modprobe resolves here: dm-crypt,
# raid1, xfs ... then autoload on first use.
KV=$(uname -r)
mkdir -p /lib/modules/$KV && mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose kmods /lib/modules/$KV
echo /sbin/modprobe >/proc/sys/kernel/modprobe
mkdir -p /run/smvm/xfer && mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 xfer /run/smvm/xfer
i=0; for d in $(echo "${SMVM_rw:-}" | tr ',' ' '); do
  mkdir -p "$d" && mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 rw$i "$d"; i=$((i + 1)); done
i=0; for d in $(echo "${SMVM_ro:-}" | tr ',' ' '); do
  mkdir -p "$d" && mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000 ro$i "$d"; i=$((i + 1)); done
[ -d /sys/firmware/efi/efivars ] && mount -t efivarfs efivarfs /sys/firmware/efi/efivars
hostname smvm-guest; ip link set lo up 2>/dev/null
# disk drivers of the buses in use (loading unused ones costs ~1 s under TCG)
modprobe -a -q $(echo "${SMVM_mods:-}" | tr ',' ' ') loop dm_mod
[ -e /dev/mapper/control ] || { mkdir -p /dev/mapper; mknod /dev/mapper/control c 10 236; }
if [ "${SMVM_udev:-1}" = 1 ] && [ -x /lib/systemd/systemd-udevd ]; then
  /lib/systemd/systemd-udevd --daemon --resolve-names=never 2>/dev/null
  # only block devices: triggering every subsystem costs ~3 s under TCG
  udevadm trigger --action=add --subsystem-match=block
  udevadm settle --timeout=60
fi
cut -d' ' -f1 /proc/uptime >/run/smvm/xfer/ready
cd "$(cat /run/smvm/xfer/cwd)" 2>/dev/null || cd /
# Output channel: the virtio-serial port named smvm.out (no tty layer, so no \r\n
# translation; a virtconsole wedged under MTTCG on large outputs). Console as fallback.
OUT=/dev/ttyS0
for p in /sys/class/virtio-ports/*; do [ "$(cat "$p/name" 2>/dev/null)" = smvm.out ] && OUT=/dev/${p##*/}; done
setsid bash /run/smvm/xfer/cmd.sh </dev/null >"$OUT" 2>&1; rc=$?
echo "$rc $(cut -d' ' -f1 /proc/uptime)" >/run/smvm/xfer/rc.tmp && mv /run/smvm/xfer/rc.tmp /run/smvm/xfer/rc
sync; umount -a -r 2>/dev/null
echo o >/proc/sysrq-trigger; sleep 30
EOF
  chmod +x "$I/init"
  (cd "$I" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$INITRD.$$"
  mv "$INITRD.$$" "$INITRD"   # atomic: concurrent runs may rebuild at the same time
  rm -rf "$I"
}
[ -f "$INITRD" ] && [ "$INITRD" -nt "$SELF" ] || build_initrd

# ------------------------------------------------------------------ run dir, qemu args
RUN=$(mktemp -d "$SMVM_HOME/run.XXXXXX")
QPID='' TAILPID='' VTAILPID=''
cleanup() {
  set +e   # best effort: a failing kill/wait must not abort the cleanup (errexit)
  [ -n "$QPID" ] && kill "$QPID" 2>/dev/null && wait "$QPID" 2>/dev/null
  [ -n "$TAILPID" ] && kill "$TAILPID" 2>/dev/null
  [ -n "$VTAILPID" ] && kill "$VTAILPID" 2>/dev/null
  [ -n "$CONSOLE" ] && cp "$RUN/console.log" "$CONSOLE" 2>/dev/null
  if [ "$KEEP" = 1 ]; then echo "run-in-vm: kept $RUN" >&2; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$RUN/xfer"
: >"$RUN/console.log"
console_tail() {
  cat "$RUN/qemu.err" >&2 2>/dev/null
  [ -s "$RUN/firmware.log" ] && { echo "--- firmware debug log (tail) ---" >&2; tail -c 1500 "$RUN/firmware.log" >&2; }
  echo "--- guest console (tail) ---" >&2; tail -c 4000 "$RUN/console.log" >&2
}

# KVM only when it is hardware KVM (kvm_intel / kvm_amd): a PVM /dev/kvm (kvm_pvm, as on
# this project's build host) cannot run a stock kernel. Else TCG with one host thread per
# vCPU; -cpu max gives the guest every feature TCG emulates.
if [ "$ACCEL" = auto ]; then
  ACCEL=tcg
  if [ -r /dev/kvm ] && [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; } && [ ! -d /sys/module/kvm_pvm ]; then ACCEL=kvm; fi
fi
if [ "$ACCEL" = kvm ]; then ACCELARGS=(-accel kvm -cpu host); else ACCELARGS=(-accel tcg,thread=multi,tb-size=512 -cpu max); fi
QARGS=(-nodefaults -no-user-config -display none -no-reboot -m "$MEM" -smp "$SMP"
  "${ACCELARGS[@]}" -M q35 -device virtio-rng-pci
  -serial "file:$RUN/console.log")
if [ "$UEFI" = 1 ]; then
  cp "$OVMF_VARS" "$RUN/vars.fd"
  QARGS+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
    -drive "if=pflash,format=raw,unit=1,file=$RUN/vars.fd")
fi

i=0 scsi=0 ahci=0 MODS=''
for spec in "${DISKS[@]}"; do
  IFS=: read -r name size serial bus <<<"$spec"
  [ -n "$name" ] && [ -n "$size" ] || die "bad --disk $spec (NAME:SIZE[:SERIAL[:BUS]])"
  serial=${serial:-SMVM$i} bus=${bus:-virtio}
  [ ${#serial} -le 20 ] || die "serial $serial longer than 20 characters"
  if [[ $name == */* ]]; then img=$name; [ -e "$img" ] || truncate -s "$size" "$img"
  else img=$RUN/$name.img; truncate -s "$size" "$img"; fi
  # cache=unsafe: the images are test scratch; fsync inside the guest need not reach disk
  QARGS+=(-drive "file=$img,if=none,id=d$i,format=raw,cache=unsafe,discard=unmap")
  boot=''; [ "$BOOTDISK" = 1 ] && boot=,bootindex=$i   # the firmware tries them in this order
  case $bus in
    virtio) QARGS+=(-device "virtio-blk-pci,drive=d$i,serial=$serial$boot"); MODS+=,virtio_blk ;;
    nvme) QARGS+=(-device "nvme,drive=d$i,serial=$serial$boot"); MODS+=,nvme ;;
    scsi) [ $scsi = 1 ] || QARGS+=(-device virtio-scsi-pci,id=scsi0); scsi=1; MODS+=,virtio_scsi,sd_mod
      QARGS+=(-device "scsi-hd,bus=scsi0.0,drive=d$i,serial=$serial$boot") ;;
    sata) [ $ahci = 1 ] || QARGS+=(-device ahci,id=ahci0); ahci=1; MODS+=,ahci,sd_mod
      [ $i -lt 6 ] || die "sata: at most 6 disks (one AHCI controller)"
      QARGS+=(-device "ide-hd,bus=ahci0.$i,drive=d$i,serial=$serial$boot") ;;
    *) die "unknown bus $bus (virtio|nvme|scsi|sata)" ;;
  esac
  i=$((i + 1))
done
now() { date +%s.%N; }
T0=$(now)
echo "run-in-vm: qemu ${ACCEL^^}, $SMP vCPU(s), $MEM MiB, ${#DISKS[@]} disk(s)" >&2

# ------------------------------------------------------------------ --boot-disk mode
if [ "$BOOTDISK" = 1 ]; then
  # SeaBIOS and OVMF log to the debug port 0x402, not to the serial console: keep that log
  # and show its tail on failure ("No bootable device", "Boot failed: ...").
  QARGS+=(-debugcon "file:$RUN/firmware.log" -global isa-debugcon.iobase=0x402)
  qemu-system-x86_64 "${QARGS[@]}" </dev/null 2>"$RUN/qemu.err" & QPID=$!
  [ "$VERBOSE" = 1 ] && { tail -f "$RUN/console.log" >&2 & VTAILPID=$!; }
  while kill -0 "$QPID" 2>/dev/null; do
    # GRUB and the kernel write \r\n; the regex should not have to care
    if tr -d '\r' <"$RUN/console.log" | grep -Eq -- "$EXPECT"; then
      echo "run-in-vm: saw /$EXPECT/ after $(awk "BEGIN{printf \"%.1f\", $(now) - $T0}")s" >&2; exit 0
    fi
    if [ -n "$FAILON" ] && cat "$RUN/console.log" "$RUN/firmware.log" 2>/dev/null | tr -d '\r' | grep -Eq -- "$FAILON"; then
      echo "run-in-vm: saw /$FAILON/ after $(awk "BEGIN{printf \"%.1f\", $(now) - $T0}")s: giving up" >&2; console_tail; exit 1
    fi
    if awk "BEGIN{exit !($(now) - $T0 >= $TIMEOUT)}"; then
      echo "run-in-vm: timeout after ${TIMEOUT}s waiting for /$EXPECT/" >&2; console_tail; exit 124
    fi
    sleep 1
  done
  wait "$QPID" && qrc=0 || qrc=$?; QPID=''
  # one last look: the line may have arrived just before the guest powered off
  tr -d '\r' <"$RUN/console.log" | grep -Eq -- "$EXPECT" && { echo "run-in-vm: saw /$EXPECT/" >&2; exit 0; }
  [ -s "$RUN/console.log" ] || { echo "run-in-vm: qemu failed (rc $qrc), no console output" >&2; console_tail; exit 125; }
  echo "run-in-vm: guest stopped without /$EXPECT/ (qemu rc $qrc)" >&2; console_tail; exit 1
fi

# ------------------------------------------------------------------ command mode
{ echo 'export SYSMANIFEST_GUEST=1 SMVM_XFER=/run/smvm/xfer'
  for e in "${ENVS[@]}"; do printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"; done
  printf '%s\n' "$CMD"; } >"$RUN/xfer/cmd.sh"
pwd >"$RUN/xfer/cwd"
j=0; for d in "${RWDIRS[@]}"; do
  QARGS+=(-fsdev "local,id=rw$j,path=$d,security_model=none,multidevs=remap"
    -device "virtio-9p-pci,fsdev=rw$j,mount_tag=rw$j"); j=$((j + 1)); done
j=0; for d in "${RODIRS[@]}"; do
  QARGS+=(-fsdev "local,id=ro$j,path=$d,security_model=none,readonly=on,multidevs=remap"
    -device "virtio-9p-pci,fsdev=ro$j,mount_tag=ro$j"); j=$((j + 1)); done
rwlist=$(IFS=,; echo "${RWDIRS[*]}")
rolist=$(IFS=,; echo "${RODIRS[*]}")
APPEND="console=ttyS0 panic=-1 loglevel=4 mitigations=off smvm.guest=1 smvm.udev=$UDEV"
[ -n "$rwlist" ] && APPEND+=" smvm.rw=$rwlist"
[ -n "$rolist" ] && APPEND+=" smvm.ro=$rolist"
APPEND+=${SMVM_APPEND:+ $SMVM_APPEND}   # debugging, e.g. SMVM_APPEND='loglevel=7'

[ -n "$MODS" ] && APPEND+=" smvm.mods=${MODS#,}"
# PVH boot of the ELF vmlinux is fastest; OVMF's direct kernel boot needs the EFI-stub bzImage
KERNEL=$KDIR/vmlinuz; [ "$UEFI" = 0 ] && [ -f "$KDIR/vmlinux" ] && KERNEL=$KDIR/vmlinux
QARGS+=(-kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND"
  # multidevs=remap: the host / spans several filesystems; without it inode numbers collide
  -fsdev "local,id=hostroot,path=$ROOTDIR,security_model=none,readonly=on,multidevs=remap"
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
  -fsdev "local,id=kmods,path=$KDIR/root/lib/modules/$KV,security_model=none,readonly=on"
  -device virtio-9p-pci,fsdev=kmods,mount_tag=kmods
  -fsdev "local,id=xfer,path=$RUN/xfer,security_model=none"
  -device virtio-9p-pci,fsdev=xfer,mount_tag=xfer
  -device virtio-serial-pci -chardev "file,id=out,path=$RUN/out.log"
  -device virtserialport,chardev=out,name=smvm.out)
: >"$RUN/out.log"
[ "$VERBOSE" = 1 ] && { tail -f "$RUN/console.log" >&2 & VTAILPID=$!; }
# --foreground: qemu stays in our process group, so a SIGKILL to the group (an interrupted
# rehearse) takes it too; without it timeout makes a group of its own that outlives us.
timeout --foreground -s KILL "$TIMEOUT" qemu-system-x86_64 "${QARGS[@]}" </dev/null 2>"$RUN/qemu.err" & QPID=$!
# Stream the command's output while it runs; tail ends by itself once qemu has exited.
tail -f -s 0.2 -n +1 --pid="$QPID" "$RUN/out.log" & TAILPID=$!
wait "$QPID" 2>/dev/null && qrc=0 || qrc=$?   # 2>/dev/null: bash's "Killed" job notice
wait "$TAILPID" || true
QPID='' TAILPID=''
WALL=$(awk "BEGIN{printf \"%.1f\", $(now) - $T0}")
if [ -f "$RUN/xfer/rc" ]; then
  read -r rc tend <"$RUN/xfer/rc"
  tready=$(cat "$RUN/xfer/ready")
  echo "run-in-vm: boot ${tready}s, command $(awk "BEGIN{printf \"%.1f\", $tend - $tready}")s, wall ${WALL}s, exit $rc" >&2
  exit "$rc"
fi
if [ "$qrc" = 137 ]; then
  echo "run-in-vm: timeout after ${TIMEOUT}s (wall ${WALL}s), exit 124" >&2; console_tail; exit 124
fi
echo "run-in-vm: no exit status from the guest (qemu rc $qrc, wall ${WALL}s), exit 125" >&2
console_tail
exit 125
