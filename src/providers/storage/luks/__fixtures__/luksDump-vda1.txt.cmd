cryptsetup luksDump /dev/vda1
exit=0
