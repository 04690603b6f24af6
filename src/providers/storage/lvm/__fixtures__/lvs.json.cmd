lvm lvs --reportformat json --units b --nosuffix --config devices\{obtain_device_list_from_udev=0\} -a --segments -o vg_name\,vg_uuid\,lv_name\,lv_uuid\,lv_role\,lv_size\,lv_tags\,lv_allocation_policy\,lv_read_ahead\,lv_metadata_size\,pool_lv\,data_lv\,metadata_lv\,segtype\,seg_start\,seg_size\,stripes\,stripe_size\,region_size\,chunk_size\,zero\,discards\,seg_le_ranges
exit=0
