cryptsetup luksDump /dev/vda2
exit=0
