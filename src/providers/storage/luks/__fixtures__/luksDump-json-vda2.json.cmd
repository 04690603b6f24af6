cryptsetup luksDump --dump-json-metadata /dev/vda2
exit=0
