blkid -p -o export /dev/md127
exit=0
