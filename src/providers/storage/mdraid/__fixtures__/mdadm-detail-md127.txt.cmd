mdadm --detail /dev/md127
exit=0
