#!/bin/bash
# Builds a tiny flatpak runtime and two apps with the real flatpak tools (Debian 12: flatpak),
# exports them to a local OSTree repository (no network), and installs them into a test root:
#   system installation  ROOT/var/lib/flatpak         (FLATPAK_SYSTEM_DIR): the runtime + org.sysmanifest.Hello
#   user installation    ROOT/home/alice/.local/share/flatpak (HOME=ROOT/home/alice): org.sysmanifest.Tool
# with ROOT/etc/passwd naming alice's home.   Usage: make-root.sh WORKDIR   (WORKDIR/root is the root)
set -euo pipefail
W=$(realpath -m "$1")
R=$W/root
mkdir -p "$W/rt/files" "$W/rt/usr" "$R/etc" "$R/var/lib/flatpak" "$R/home/alice"
printf 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n' >"$R/etc/passwd"

# A runtime: build-export --runtime takes a directory with metadata, files/ and usr/.
printf '[Runtime]\nname=org.sysmanifest.Platform\nruntime=org.sysmanifest.Platform/x86_64/1\nsdk=org.sysmanifest.Platform/x86_64/1\n' >"$W/rt/metadata"
echo platform >"$W/rt/files/marker"
echo platform >"$W/rt/usr/marker"
flatpak build-export --runtime "$W/repo" "$W/rt" 1 >/dev/null

app() { # id branch
  local d=$W/app-$1
  mkdir -p "$d/files/bin"
  printf '#!/bin/sh\necho %s\n' "$1" >"$d/files/bin/run"
  chmod +x "$d/files/bin/run"
  printf '[Application]\nname=%s\nruntime=org.sysmanifest.Platform/x86_64/1\n' "$1" >"$d/metadata"
  flatpak build-finish "$d" --command=run >/dev/null
  flatpak build-export "$W/repo" "$d" "$2" >/dev/null
}
app org.sysmanifest.Hello stable
app org.sysmanifest.Tool beta

export FLATPAK_SYSTEM_DIR=$R/var/lib/flatpak
flatpak --system remote-add --no-gpg-verify smf-test "file://$W/repo"
flatpak --system install -y --noninteractive smf-test org.sysmanifest.Hello >/dev/null
HOME=$R/home/alice flatpak --user remote-add --no-gpg-verify smf-user "file://$W/repo"
HOME=$R/home/alice flatpak --user install -y --noninteractive smf-user org.sysmanifest.Tool >/dev/null
