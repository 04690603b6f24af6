blkid -p -o export /dev/vdd1
exit=0
