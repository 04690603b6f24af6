/work/main/node_modules/.bin/node /tmp/smx-stor/inv.ts
exit=0
