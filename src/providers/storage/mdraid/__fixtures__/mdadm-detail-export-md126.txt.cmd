mdadm --detail --export /dev/md126
exit=0
