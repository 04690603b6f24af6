lvm pvs --reportformat json --units b --nosuffix --config devices\{obtain_device_list_from_udev=0\} -o pv_name\,pv_uuid\,pv_major\,pv_minor\,vg_name\,vg_uuid\,pe_start\,pv_size\,dev_size\,pv_mda_count\,pv_mda_size\,pv_ba_start\,pv_ba_size\,pv_tags
exit=0
