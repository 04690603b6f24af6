#!/bin/bash
# Builds the LUKS / LVM / md test layout on the guest's scratch disks and records tool output.
set -euo pipefail
export LC_ALL=C LVM_SUPPRESS_FD_WARNINGS=1
O=/tmp/smx-stor/out
rm -rf "$O"/*; mkdir -p "$O"
KEY=/run/smx.key; printf 'test-passphrase-not-a-secret' > $KEY
NOTHIN='global{thin_check_executable=""}'
step() { echo "+ $*"; "$@"; }

# --- partitions
step sfdisk -q /dev/vda <<P
label: gpt
size=1400MiB, name=cryptlvm
size=+, name=argon
P
for d in vdc vdd; do step sfdisk -q /dev/$d <<P
label: gpt
size=600MiB, type=A19D880F-05FC-4D3B-A006-743F0F84911E, name=raid-data
size=+, type=A19D880F-05FC-4D3B-A006-743F0F84911E, name=raid-scratch
P
done
step sfdisk -q /dev/vde <<P
label: gpt
size=700MiB, type=A19D880F-05FC-4D3B-A006-743F0F84911E, name=raid-spare
size=+, type=A19D880F-05FC-4D3B-A006-743F0F84911E, name=raid-scratch
P
udevadm settle

# --- LUKS2 (pbkdf2, label, subsystem, 4K sectors, 2 keyslots, token, persistent flag) on vda1
step cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --hash sha256 \
  --cipher aes-xts-plain64 --key-size 512 --sector-size 4096 --label cryptlvm-label --subsystem sysmanifest-test \
  --key-file $KEY /dev/vda1
step cryptsetup luksAddKey --batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file $KEY /dev/vda1 $KEY
printf '{"type":"sysmanifest-test","keyslots":["0"],"note":"plain json token"}' > /run/tok.json
step cryptsetup token import --token-id 0 --json-file /run/tok.json /dev/vda1
step cryptsetup open --key-file $KEY --allow-discards --persistent /dev/vda1 cryptlvm
# --- LUKS2 (pbkdf2, 4K sectors, non-default metadata/keyslot areas) on the whole disk vdb
step cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --hash sha512 \
  --sector-size 4096 --luks2-metadata-size 65536 --luks2-keyslots-size 4194304 --key-file $KEY /dev/vdb
step cryptsetup open --key-file $KEY /dev/vdb cryptpv2
# --- LUKS2 argon2id (low cost), default sector size, left closed, on vda2
step cryptsetup luksFormat --batch-mode --type luks2 --pbkdf argon2id --pbkdf-memory 32768 --pbkdf-parallel 1 \
  --pbkdf-force-iterations 4 --label argon-label --key-file $KEY /dev/vda2

# --- md RAID1 with spare + internal bitmap (metadata 1.2), md RAID5 (metadata 1.0, 64K chunk)
step mdadm --create /dev/md/data --run --level=1 --raid-devices=2 --spare-devices=1 --metadata=1.2 --assume-clean \
  --name=data --homehost=fileserver --bitmap=internal /dev/vdc1 /dev/vdd1 /dev/vde1
step mdadm --create /dev/md/scratch --run --level=5 --raid-devices=3 --metadata=1.0 --chunk=64 --layout=left-symmetric \
  --assume-clean --name=scratch --homehost=fileserver --bitmap=none /dev/vdc2 /dev/vdd2 /dev/vde2
udevadm settle
# --- LUKS1 on md data
step cryptsetup luksFormat --batch-mode --type luks1 --pbkdf-force-iterations 1000 --hash sha512 \
  --cipher aes-cbc-essiv:sha256 --key-size 256 --key-file $KEY /dev/md/data
step cryptsetup open --key-file $KEY /dev/md/data cryptmd

# --- LVM: vg0 on the two LUKS2 mappings; vgmd on md scratch
step pvcreate /dev/mapper/cryptlvm
step pvcreate --metadatasize 2m --pvmetadatacopies 2 /dev/mapper/cryptpv2
step vgcreate --physicalextentsize 8m --addtag site_a --addtag role-os vg0 /dev/mapper/cryptlvm /dev/mapper/cryptpv2
step lvcreate --yes -n root -L 256m --addtag os vg0 /dev/mapper/cryptlvm
step lvcreate --yes -n data-vol -L 96m vg0 /dev/mapper/cryptpv2
step lvextend -L +64m vg0/root /dev/mapper/cryptpv2
step lvcreate --yes -n stripe -i 2 -I 64k -L 128m vg0
step lvcreate --config "$NOTHIN" --yes --type thin-pool -n pool -L 256m --chunksize 128k --poolmetadatasize 8m --zero n vg0
step lvcreate --config "$NOTHIN" --yes --type thin -n thin1 -V 1g --thinpool vg0/pool --addtag thin vg0
step pvcreate /dev/md/scratch
step vgcreate vgmd /dev/md/scratch
step lvcreate --yes -n media -l 100%FREE vgmd
udevadm settle

# --- record
cap() { # cap NAME argv...: stdout to NAME, stderr to NAME.stderr, argv + exit status to NAME.cmd
  local name=$1 rc=0; shift
  "$@" > "$O/$name" 2> "$O/$name.stderr" || rc=$?
  { printf '%q ' "$@" | sed 's/ $//'; echo; echo "exit=$rc"; } > "$O/$name.cmd"
  [ -s "$O/$name.stderr" ] || rm -f "$O/$name.stderr"
}
{ cryptsetup --version; lvm version; mdadm --version 2>&1; blkid --version; uname -r; } > "$O/versions.txt"
for dev in /sys/block/vd* /sys/block/vd*/vd* /sys/block/md* /sys/block/dm-*; do
  k=${dev##*/}; cap "blkid-$k.txt" blkid -p -o export /dev/$k
done
for k in vda1 vda2 vdb md127; do
  cap "luksDump-$k.txt" cryptsetup luksDump /dev/$k
done
for k in vda1 vda2 vdb; do cap "luksDump-json-$k.json" cryptsetup luksDump --dump-json-metadata /dev/$k; done
LCFG='devices{obtain_device_list_from_udev=0}'
LC=(--reportformat json --units b --nosuffix --config "$LCFG")
cap vgs.json lvm vgs "${LC[@]}" -o vg_name,vg_uuid,vg_extent_size,vg_tags,vg_allocation_policy,vg_mda_copies,max_lv,max_pv,vg_systemid,vg_lock_type
cap pvs.json lvm pvs "${LC[@]}" -o pv_name,pv_uuid,pv_major,pv_minor,vg_name,vg_uuid,pe_start,pv_size,dev_size,pv_mda_count,pv_mda_size,pv_ba_start,pv_ba_size,pv_tags
cap lvs.json lvm lvs "${LC[@]}" -a --segments -o vg_name,vg_uuid,lv_name,lv_uuid,lv_role,lv_size,lv_tags,lv_allocation_policy,lv_read_ahead,lv_metadata_size,pool_lv,data_lv,metadata_lv,segtype,seg_start,seg_size,stripes,stripe_size,region_size,chunk_size,zero,discards,seg_le_ranges
cap lvm-fullreport.json lvm fullreport --reportformat json --units b --nosuffix
for md in /sys/block/md*; do k=${md##*/}
  cap "mdadm-detail-export-$k.txt" mdadm --detail --export /dev/$k
  cap "mdadm-detail-$k.txt" mdadm --detail /dev/$k
  for f in level chunk_size layout metadata_version raid_disks component_size array_state bitmap/location bitmap/chunksize bitmap/metadata; do
    [ -e $md/md/$f ] || continue; mkdir -p "$O/sys/block/$k/md/$(dirname $f)"; cat $md/md/$f > "$O/sys/block/$k/md/$f"; done
  for dd in $md/md/dev-*; do d=${dd##*/}; mkdir -p "$O/sys/block/$k/md/$d"
    for f in slot offset size state; do cat $dd/$f > "$O/sys/block/$k/md/$d/$f"; done; done
done
for m in vdc1 vdd1 vde1 vdc2 vdd2 vde2; do
  cap "mdadm-examine-export-$m.txt" mdadm --examine --export /dev/$m
  cap "mdadm-examine-$m.txt" mdadm --examine /dev/$m
done
cap dmsetup-table.txt dmsetup table
cap lsblk.json lsblk --json --bytes -o NAME,KNAME,TYPE,SIZE,LOG-SEC,FSTYPE,UUID,LABEL
cap inventory.json /work/main/node_modules/.bin/node /tmp/smx-stor/inv.ts
ls -la "$O"
echo BUILD-OK
