mdadm --examine /dev/vde2
exit=0
