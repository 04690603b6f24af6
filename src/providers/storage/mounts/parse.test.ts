import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCrypttab, parseFstab } from './parse.ts';

test('parseFstab: comments and blank lines dropped, order kept, octal escapes undone, defaults for missing fields', () => {
  const text = [
    '# /etc/fstab: static file system information.',
    '#',
    '# <file system> <mount point>   <type>  <options>       <dump>  <pass>',
    'UUID=4f49b271-576d-464f-a68d-07a771f98a31 /               ext4    errors=remount-ro 0       1',
    '',
    '   # indented comment',
    'LABEL=my\\040data\t/srv/my\\040data\txfs\tnoatime,nofail\t0\t2',
    'PARTUUID=11111111-2222-4333-8444-555555555502  /boot/efi  vfat  umask=0077  0  1',
    '/dev/mapper/vg0-swap none swap sw',
    'tmpfs /tmp tmpfs',
    'server:/export /mnt/nfs nfs4 _netdev,ro 0 0',
    '/srv/a /mnt/b none bind 0 0',
    '',
  ].join('\n');
  assert.deepEqual(parseFstab(text), [
    { spec: 'UUID=4f49b271-576d-464f-a68d-07a771f98a31', file: '/', vfstype: 'ext4', options: 'errors=remount-ro', freq: 0, passno: 1 },
    { spec: 'LABEL=my data', file: '/srv/my data', vfstype: 'xfs', options: 'noatime,nofail', freq: 0, passno: 2 },
    { spec: 'PARTUUID=11111111-2222-4333-8444-555555555502', file: '/boot/efi', vfstype: 'vfat', options: 'umask=0077', freq: 0, passno: 1 },
    { spec: '/dev/mapper/vg0-swap', file: 'none', vfstype: 'swap', options: 'sw', freq: 0, passno: 0 },
    { spec: 'tmpfs', file: '/tmp', vfstype: 'tmpfs', options: 'defaults', freq: 0, passno: 0 },
    { spec: 'server:/export', file: '/mnt/nfs', vfstype: 'nfs4', options: '_netdev,ro', freq: 0, passno: 0 },
    { spec: '/srv/a', file: '/mnt/b', vfstype: 'none', options: 'bind', freq: 0, passno: 0 },
  ]);
});

test('parseFstab: empty file, and ParseError with the line number on malformed lines', () => {
  assert.deepEqual(parseFstab(''), []);
  assert.throws(() => parseFstab('# x\n/dev/sda1 /\n'), { code: 'PARSE', message: /line 2: expected 3 to 6 fields, found 2/ });
  assert.throws(() => parseFstab('/dev/sda1 / ext4 defaults 0 1 extra'), /found 7/);
  assert.throws(() => parseFstab('/dev/sda1 / ext4 defaults x 1', '/r/etc/fstab'), { message: /could not parse \/r\/etc\/fstab: line 1: "x" is not a number/ });
});

test('parseCrypttab: name, device, key file path ("none" kept), options; missing fields absent', () => {
  const text = [
    '# <target name> <source device>         <key file>      <options>',
    'cryptroot UUID=8a1f0c3e-6b2d-4c5e-9f70-1a2b3c4d5e6f none luks,discard',
    'cryptdata\t/dev/disk/by-partuuid/11111111-2222-4333-8444-555555555503\t/etc/keys/data.key\tluks,keyfile-timeout=10s',
    'cryptswap /dev/sda3 /dev/urandom swap,cipher=aes-xts-plain64,size=512',
    'plain PARTLABEL=secret',
    'tmpname /dev/vdb -',
  ].join('\n');
  assert.deepEqual(parseCrypttab(text), [
    { name: 'cryptroot', spec: 'UUID=8a1f0c3e-6b2d-4c5e-9f70-1a2b3c4d5e6f', keyfile: 'none', options: 'luks,discard' },
    { name: 'cryptdata', spec: '/dev/disk/by-partuuid/11111111-2222-4333-8444-555555555503', keyfile: '/etc/keys/data.key', options: 'luks,keyfile-timeout=10s' },
    { name: 'cryptswap', spec: '/dev/sda3', keyfile: '/dev/urandom', options: 'swap,cipher=aes-xts-plain64,size=512' },
    { name: 'plain', spec: 'PARTLABEL=secret' },
    { name: 'tmpname', spec: '/dev/vdb', keyfile: '-' },
  ]);
  assert.throws(() => parseCrypttab('onlyname\n'), { code: 'PARSE', message: /line 1: expected 2 to 4 fields, found 1/ });
  assert.throws(() => parseCrypttab('a b c d e'), /found 5/);
});
