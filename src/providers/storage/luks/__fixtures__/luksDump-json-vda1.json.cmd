cryptsetup luksDump --dump-json-metadata /dev/vda1
exit=0
