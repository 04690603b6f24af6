blkid -p -o export /dev/vdc2
exit=0
