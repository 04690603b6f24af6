// The users stage's programs: constant POSIX sh text run inside the target as
//   chroot TARGET /bin/sh -c SCRIPT NAME ARG…
// Every value from the manifest arrives as a positional parameter ("$1" …), always quoted,
// never pasted into the script: argv stays argv. A script is needed because the planner is
// pure and runs before the base system exists: whether an account is already there (base
// and packages create the system accounts, with ids the fresh install happens to pick) is
// only known when the step runs, and the applier has no "ok if it exists" (useradd and
// groupadd exit 9). Each script compares first and changes only what differs, so a rerun
// after a crash, or a second rebuild, finds nothing to do. Files are moved to a new owner
// *before* the account database is changed: a crash in between leaves the account at its old
// id, and the rerun moves the rest. The tools used are Essential in Debian (dash, coreutils,
// findutils, passwd's useradd/groupadd/usermod/groupmod).

const COMMON = String.raw`set -euf
# entry FILE NAME: the first line of FILE for NAME (the one getpwnam(3)/getgrnam(3) find).
entry() {
  while IFS= read -r l || [ -n "$l" ]; do
    case $l in "$2":*) printf '%s\n' "$l"; return 0 ;; esac
  done < "$1"
  return 1
}
# taken FILE ID: an entry of FILE has ID (third field).
taken() {
  while IFS=: read -r _ _ i _ || [ -n "$i" ]; do
    [ "$i" != "$2" ] || return 0
  done < "$1"
  return 1
}
# reown -uid|-gid OLD NEW FS…: what OLD owns on each of the target's filesystems goes to NEW.
# find -xdev never walks into the bound /proc, /sys, /dev or another filesystem; chown +N is
# numeric (coreutils: no name lookup). chown(2) clears the set-user-ID and set-group-ID bits
# of executables, so their mode is put back.
reown() {
  _k=$1 _old=$2 _new=$3; shift 3
  if [ "$_k" = -uid ]; then _to=+$_new; else _to=:+$_new; fi
  for _fs in "$@"; do
    [ -d "$_fs" ] || continue
    find "$_fs" -xdev "$_k" "$_old" ! -type l -perm /6000 -exec sh -c 't=$1; shift; for f do m=$(stat -c %a -- "$f"); chown -h -- "$t" "$f"; chmod -- "$m" "$f"; done' sh "$_to" {} +
    find "$_fs" -xdev "$_k" "$_old" -exec chown -h -- "$_to" {} +
  done
}
`;

/**
 * $1 group|passwd · $2 N · N pairs NAME ID (every account of that kind in the manifest) · the
 * target's filesystems. An account of the fresh system that holds one of the manifest's ids
 * under another name is moved (with its files) to a free id in 100..999 that the manifest does
 * not use; a permutation of dynamic system ids is thus resolved before any id is assigned.
 */
export const FREE_IDS =
  COMMON +
  String.raw`db=/etc/$1 n=$2; shift 2
case $db in /etc/group) k=-gid mod=groupmod flag=-g ;; /etc/passwd) k=-uid mod=usermod flag=-u ;; *) exit 2 ;; esac
pairs=' ' ids=' '
while [ "$n" -gt 0 ]; do pairs="$pairs$1:$2 " ids="$ids$2 "; shift 2; n=$((n - 1)); done
moves=
while IFS=: read -r name _ id _ || [ -n "$name" ]; do
  case $ids in *" $id "*) ;; *) continue ;; esac
  case $pairs in *" $name:$id "*) continue ;; esac
  if [ "$id" = 0 ]; then echo "sysmanifest: $name has id 0 in the target, which the manifest does not give it: refusing to move id 0" >&2; exit 1; fi
  moves="$moves $name:$id"
done < "$db"
for m in $moves; do
  name=$(printf '%s\n' "$m" | cut -d: -f1) old=$(printf '%s\n' "$m" | cut -d: -f2) tmp=999
  while [ "$tmp" -ge 100 ]; do
    case $ids in *" $tmp "*) ;; *) taken "$db" "$tmp" || break ;; esac
    tmp=$((tmp - 1))
  done
  if [ "$tmp" -lt 100 ]; then echo "sysmanifest: no free id in 100..999 to move $name out of the way" >&2; exit 1; fi
  reown "$k" "$old" "$tmp" "$@"
  "$mod" "$flag" "$tmp" -- "$name"
  echo "sysmanifest: $name moved from id $old to $tmp: the manifest gives $old to another account"
done
`;

/** $1 NAME · $2 GID · $3 -o when the manifest gives GID to several groups, else empty · the target's filesystems. */
export const GROUP =
  COMMON +
  String.raw`name=$1 gid=$2 o=$3; shift 3
case $o in ''|-o) ;; *) exit 2 ;; esac
if line=$(entry /etc/group "$name"); then
  old=$(printf '%s\n' "$line" | cut -d: -f3)
  [ "$old" != "$gid" ] || exit 0
  reown -gid "$old" "$gid" "$@"
  groupmod $o -g "$gid" -- "$name"
else
  groupadd $o -g "$gid" -- "$name"
fi
`;

/**
 * $1 NAME · $2 UID · $3 GID · $4 supplementary groups a,b (sorted bytewise, may be empty) ·
 * $5 shell · $6 home · $7 GECOS · $8 -o when the manifest shares the UID, else empty · $9 -r
 * for a system account, else empty · the target's filesystems. useradd -M: the homes stage
 * makes the home. usermod is called only for the fields that differ.
 */
export const USER =
  COMMON +
  String.raw`name=$1 uid=$2 gid=$3 groups=$4 shell=$5 home=$6 gecos=$7 o=$8 r=$9; shift 9
case $o$r in ''|-o|-r|-o-r) ;; *) exit 2 ;; esac
if ! line=$(entry /etc/passwd "$name"); then
  useradd $o $r -M -u "$uid" -g "$gid" -G "$groups" -s "$shell" -d "$home" -c "$gecos" -- "$name"
  exit 0
fi
IFS=: read -r _ _ cuid cgid cgecos chome cshell <<EOF
$line
EOF
if [ "$cuid" != "$uid" ]; then reown -uid "$cuid" "$uid" "$@"; usermod $o -u "$uid" -- "$name"; fi
[ "$cgid" = "$gid" ] || usermod -g "$gid" -- "$name"
[ "$cshell" = "$shell" ] || usermod -s "$shell" -- "$name"
[ "$chome" = "$home" ] || usermod -d "$home" -- "$name"
[ "$cgecos" = "$gecos" ] || usermod -c "$gecos" -- "$name"
cur=$(while IFS=: read -r g _ _ mem || [ -n "$g" ]; do case ,$mem, in *",$name,"*) printf '%s\n' "$g" ;; esac; done < /etc/group | LC_ALL=C sort -u | paste -sd, -)
[ "$cur" = "$groups" ] || usermod -G "$groups" -- "$name"
`;
