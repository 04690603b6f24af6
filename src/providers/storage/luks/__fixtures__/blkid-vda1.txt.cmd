blkid -p -o export /dev/vda1
exit=0
