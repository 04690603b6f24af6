blkid -p -o export /dev/dm-1
exit=0
