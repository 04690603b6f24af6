cryptsetup luksDump /dev/vdb
exit=0
