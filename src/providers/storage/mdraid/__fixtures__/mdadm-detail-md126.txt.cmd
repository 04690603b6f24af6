mdadm --detail /dev/md126
exit=0
