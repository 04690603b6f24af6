mdadm --detail --export /dev/md127
exit=0
