mdadm --examine /dev/vdc1
exit=0
