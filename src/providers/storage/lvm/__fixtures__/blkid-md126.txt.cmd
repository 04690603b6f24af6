blkid -p -o export /dev/md126
exit=0
