blkid -p -o export /dev/vda2
exit=0
