lvm vgs --reportformat json --units b --nosuffix --config devices\{obtain_device_list_from_udev=0\} -o vg_name\,vg_uuid\,vg_extent_size\,vg_tags\,vg_allocation_policy\,vg_mda_copies\,max_lv\,max_pv\,vg_systemid\,vg_lock_type
exit=0
