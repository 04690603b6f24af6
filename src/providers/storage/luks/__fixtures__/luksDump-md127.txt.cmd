cryptsetup luksDump /dev/md127
exit=0
