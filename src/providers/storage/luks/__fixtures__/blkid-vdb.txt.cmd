blkid -p -o export /dev/vdb
exit=0
