blkid -p -o export /dev/vdc1
exit=0
