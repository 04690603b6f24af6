cryptsetup luksDump --dump-json-metadata /dev/vdb
exit=0
