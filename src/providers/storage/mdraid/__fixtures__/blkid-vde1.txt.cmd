blkid -p -o export /dev/vde1
exit=0
