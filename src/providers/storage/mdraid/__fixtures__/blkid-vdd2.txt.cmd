blkid -p -o export /dev/vdd2
exit=0
