blkid -p -o export /dev/dm-0
exit=0
