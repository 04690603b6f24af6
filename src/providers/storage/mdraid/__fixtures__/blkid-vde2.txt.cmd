blkid -p -o export /dev/vde2
exit=0
