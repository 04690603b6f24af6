#!/bin/sh
# live.sh — the worst day, from a stock live system (Debian/Ubuntu live, GRML, the Arch ISO, a
# Fedora live image): POSIX sh, nothing else assumed but tar and gzip. It runs from the
# self-contained bundle (beside ./sysmanifest, its own Node inside) or from an offline medium
# written by `sysmanifest medium` (bundle, manifest repository, package mirror on one stick):
#   1. finds the bundle (beside this script, or unpacks the medium's);
#   2. fetches the manifest repository (--repo URL or DIR, or the medium's);
#   3. checks the programs this manifest's rebuild needs (`sysmanifest tools`) and installs the
#      missing ones with the live system's package manager — from the medium's mirror first;
#   4. lists the disks it sees, what is on them, and the --map it proposes (`sysmanifest disks`);
#   5. starts `sysmanifest rebuild` with them: it shows its plan and asks before writing a byte.
# Nothing is written to a disk before that confirmation (installing tools changes only the live
# system). Every step says what it does.
#
# usage: live.sh [--medium DIR] [--repo URL|DIR] [--host NAME] [--secrets FILE] [--identity KEYFILE]
#                [--no-install] [--plan] [-- REBUILD-OPTION…]
#   everything after -- goes to `sysmanifest rebuild` (--map ID=/dev/…, --key-file F, --yes, --resume …)
set -eu

say() { printf 'live.sh: %s\n' "$*" >&2; }
die() { printf 'live.sh: %s\n' "$*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*" >&2; }
usage() { sed -n '15,17p' "$0" | sed 's/^# \{0,1\}//'; }

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd) || die "cannot find my own directory"
medium='' repo='' host='' secrets='' identity='' install=1 planonly=0
while [ $# -gt 0 ]; do
  case $1 in
    --medium|--repo|--host|--secrets|--identity)
      [ $# -ge 2 ] || die "$1 needs a value (see --help)"
      case $1 in
        --medium) medium=$2 ;; --repo) repo=$2 ;; --host) host=$2 ;; --secrets) secrets=$2 ;; --identity) identity=$2 ;;
      esac
      shift 2 ;;
    --no-install) install=0; shift ;;
    --plan) planonly=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    *) die "unknown option $1 (see --help; options for rebuild go after --)" ;;
  esac
done

[ "$(id -u)" = 0 ] || die "run me as root (the rebuild writes partition tables; installing tools needs root too)"
work=${SYSMANIFEST_LIVE_DIR:-/run/sysmanifest/live}
mkdir -p "$work"

# ---- 1. the bundle, and the medium it may be on ----
step "1/5 the sysmanifest bundle"
if [ -z "$medium" ] && [ -f "$here/../sysmanifest-medium" ]; then medium=$(CDPATH='' cd -- "$here/.." && pwd); fi
if [ -n "$medium" ]; then
  [ -f "$medium/sysmanifest-medium" ] || die "$medium is not a sysmanifest medium (no sysmanifest-medium file; write one with: sysmanifest medium --out DIR)"
  say "offline medium: $medium"
fi
if [ -x "$here/sysmanifest" ] && [ -f "$here/bin/sysmanifest.js" ]; then
  sm=$here/sysmanifest
elif [ -n "$medium" ] && [ -f "$medium/bundle/sysmanifest" ]; then
  sm=$medium/bundle/sysmanifest
else
  die "no sysmanifest bundle beside me ($here) nor on a medium; unpack sysmanifest-VERSION-linux-$(uname -m).tar.gz and run its live.sh"
fi
# A medium on FAT keeps no exec bits: run the runtime through sh if need be.
if [ ! -x "$sm" ]; then
  bundle=$(dirname -- "$sm")
  [ -x "$bundle/node/bin/node" ] || { mkdir -p "$work/bin"; cp "$bundle/node/bin/node" "$work/bin/node"; chmod 0755 "$work/bin/node"; }
  say "the medium keeps no exec bits: running through $work/bin/node"
fi
run_sm() {
  if [ -x "$sm" ]; then "$sm" "$@"; else
    _b=$(dirname -- "$sm"); _n=$_b/node/bin/node; [ -x "$_n" ] || _n=$work/bin/node
    "$_n" "$_b/bin/sysmanifest.js" "$@"
  fi
}
say "$(run_sm --version | sed 's/^/sysmanifest /') ($sm)"

# ---- 2. the manifest repository ----
step "2/5 the manifest repository"
if [ -z "$repo" ] && [ -n "$medium" ]; then repo=$medium/repo; fi
[ -n "$repo" ] || die "no manifest repository: give --repo URL|DIR (or --medium DIR)"
case $repo in
  *://*|*@*:*)
    command -v git > /dev/null 2>&1 || die "git is needed to fetch $repo and is not installed (install it, or give --repo DIR / --medium DIR)"
    if [ -d "$work/repo/.git" ]; then
      say "updating $work/repo from $repo"
      git -C "$work/repo" pull --ff-only --quiet
    else
      say "cloning $repo into $work/repo"
      git clone --quiet "$repo" "$work/repo"
    fi
    # The /etc history lives under refs/sysmanifest/*, which a clone does not fetch by default.
    git -C "$work/repo" fetch --quiet origin '+refs/sysmanifest/*:refs/sysmanifest/*' || say "the repository has no refs/sysmanifest/* (no /etc history: the etc stage will say so)"
    repo=$work/repo ;;
  *) [ -d "$repo/hosts" ] || die "$repo has no hosts/ directory: not a sysmanifest manifest repository"
     say "using $repo" ;;
esac
if [ -z "$host" ]; then
  n=0 all=''
  for h in "$repo"/hosts/*/manifest.yaml; do [ -f "$h" ] || continue; n=$((n + 1)); host=$(basename "$(dirname "$h")"); all="$all $host"; done
  [ "$n" = 1 ] || die "the repository holds $n hosts; choose one with --host NAME (hosts:$all)"
fi
manifest=$repo/hosts/$host/manifest.yaml
[ -f "$manifest" ] || die "no manifest for host $host ($manifest)"
say "manifest: $manifest"

# ---- 3. the tools this rebuild needs ----
step "3/5 the programs this rebuild needs"
run_sm tools "$manifest" >&2
if command -v apt-get > /dev/null 2>&1; then family=debian
elif command -v pacman > /dev/null 2>&1; then family=arch
elif command -v dnf > /dev/null 2>&1; then family=fedora
else family=''; fi
missing=$(run_sm tools "$manifest" --packages "${family:-debian}")
if [ -n "$missing" ]; then
  [ "$install" = 1 ] || die "missing: $missing (install them, or run me without --no-install)"
  [ -n "$family" ] || die "missing: $missing, and this live system has no apt-get, pacman or dnf to install them with"
  say "installing: $missing"
  # shellcheck disable=SC2086 # one word per package
  case $family in
    debian)
      export DEBIAN_FRONTEND=noninteractive
      ok=0
      if [ -n "$medium" ] && [ -d "$medium/mirror/$host/dists" ]; then
        say "from the medium's mirror first (no network needed)"
        list=$work/medium.list
        # The components the mirror holds indexes of (its Release lists the whole archive's).
        for d in "$medium/mirror/$host"/dists/*/; do
          comps=''
          for c in "$d"*/binary-*/; do
            [ -d "$c" ] || continue
            c=${c%/binary-*/}; c=${c##*/}
            case " $comps " in *" $c "*) ;; *) comps="$comps $c" ;; esac
          done
          [ -z "$comps" ] || printf 'deb file:%s %s%s\n' "$medium/mirror/$host" "$(basename "$d")" "$comps"
        done > "$list"
        mkdir -p "$work/sources.d"
        # APT::Sandbox::User=root: apt's _apt user may not enter the medium (a mount point of
        # mode 0700, a directory under /root) nor write into these root-made directories.
        aptopts="-o Dir::Etc::SourceList=$list -o Dir::Etc::SourceParts=$work/sources.d -o Dir::State::Lists=$work/apt-lists -o Dir::Cache::Archives=$work/apt-archives -o Acquire::Languages=none -o APT::Sandbox::User=root"
        mkdir -p "$work/apt-lists/partial" "$work/apt-archives/partial"
        if apt-get $aptopts update -q >&2 && apt-get $aptopts install -y -q --no-install-recommends $missing >&2; then ok=1; fi
      fi
      if [ "$ok" = 0 ]; then
        say "from the live system's own sources (network)"
        apt-get install -y -q --no-install-recommends $missing >&2 || { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends $missing >&2; } || die "could not install: $missing"
      fi ;;
    arch) pacman -Sy --noconfirm --needed $missing >&2 || die "could not install: $missing" ;;
    fedora) dnf install -y $missing >&2 || die "could not install: $missing" ;;
  esac
  still=$(run_sm tools "$manifest" --packages "$family")
  [ -z "$still" ] || die "still missing after the install: $still"
else
  say "every program is here"
fi

# ---- 4. the disks ----
step "4/5 the disks"
maps=''
prev=''
for a in "$@"; do
  case $prev in --map) maps="$maps --map $a" ;; esac
  case $a in --map=*) maps="$maps --map ${a#--map=}" ;; esac
  prev=$a
done
# shellcheck disable=SC2086 # the --map options, one word each
run_sm disks "$manifest" $maps >&2
# shellcheck disable=SC2086
proposed=$(run_sm disks "$manifest" $maps --maps) || die "not every disk of the manifest has a target here (see above): attach one, or give --map ID=/dev/… after --"
say "the rebuild will use: $proposed"
# The --map options given after -- are in $proposed now: the rest goes to the rebuild as it is.
i=0 n=$#
while [ "$i" -lt "$n" ]; do
  a=$1; shift; i=$((i + 1))
  if [ "$a" = --map ] && [ "$i" -lt "$n" ]; then shift; i=$((i + 1)); continue; fi
  case $a in --map=*) continue ;; esac
  set -- "$@" "$a"
done

# ---- 5. the rebuild ----
# Its options are put in front of the user's ("$@"), each its own word (paths may hold spaces).
if [ -z "$secrets" ] && [ -n "$medium" ] && [ -f "$medium/secrets/$host.secrets.age" ]; then secrets=$medium/secrets/$host.secrets.age; fi
if [ -n "$secrets" ]; then
  if [ -n "$identity" ]; then set -- --secrets "$secrets" --identity "$identity" "$@"
  else say "the secrets archive $secrets needs --identity KEYFILE (your age key); without it the password hashes and keys are not restored and the accounts are locked"; fi
fi
if [ -n "$medium" ] && [ -d "$medium/mirror/$host/dists" ]; then set -- --mirror "file://$medium/mirror/$host" "$@"; fi
if [ "$planonly" = 1 ]; then
  step "5/5 the plan (--plan: nothing is written)"
  # shellcheck disable=SC2086 # the proposed --map options (device paths), one word each
  run_sm plan "$manifest" --stage storage,base,packages,etc,users,homes,boot $proposed "$@"
  exit
fi
state=/run/sysmanifest/rebuild
if [ -n "$medium" ] && mkdir -p "$medium/state/$host" 2> /dev/null && [ -w "$medium/state/$host" ]; then state=$medium/state/$host; fi
step "5/5 sysmanifest rebuild (state in $state: after a reboot of this live system, run me again with -- --resume)"
# shellcheck disable=SC2086 # the proposed --map options (device paths), one word each
set -- rebuild "$manifest" $proposed --state "$state" "$@"
if [ -x "$sm" ]; then exec "$sm" "$@"; fi
run_sm "$@"
