import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ParseError } from '../../../core/errors.ts';
import { initramfsMissing, listInitramfs } from './initramfs.ts';

const fixture = (name: string): Uint8Array => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url));
const MAIN = ['.', 'init', 'lib', 'scripts', 'usr', 'usr/lib', 'usr/lib/modules', 'usr/lib/modules/6.1.0-28-amd64', 'usr/lib/modules/6.1.0-28-amd64/kernel', 'usr/lib/modules/6.1.0-28-amd64/kernel/fs', 'usr/lib/modules/6.1.0-28-amd64/kernel/fs/ext4', 'usr/lib/modules/6.1.0-28-amd64/kernel/fs/ext4/ext4.ko', 'usr/sbin', 'usr/sbin/cryptsetup'];

test('listInitramfs: an early uncompressed cpio, then the main one compressed with zstd (Debian 12)', () => {
  assert.deepEqual(listInitramfs(fixture('initrd-early-zstd.img')), ['.', 'kernel', 'kernel/x86', 'kernel/x86/microcode', 'kernel/x86/microcode/AuthenticAMD.bin', ...MAIN]);
});

test('listInitramfs: one gzip-compressed cpio', () => {
  assert.deepEqual(listInitramfs(fixture('initrd-gzip.img')), MAIN);
});

test('listInitramfs: a truncated image or an unknown compression is a ParseError, never a short list', () => {
  const img = fixture('initrd-early-zstd.img');
  assert.throws(() => listInitramfs(img.subarray(0, 200), 'x.img'), ParseError);
  const main = Buffer.from(img).indexOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])); // where the zstd part starts
  assert.ok(main > 0);
  const other = Buffer.concat([img.subarray(0, main), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0])]); // xz
  assert.throws(() => listInitramfs(other, 'x.img'), /other than zstd or gzip/);
});

test('initramfsMissing: programs by basename, modules in the image or built into the kernel', () => {
  const listing = listInitramfs(fixture('initrd-early-zstd.img'));
  assert.deepEqual(initramfsMissing(listing, '', { programs: ['cryptsetup'], modules: ['ext4'] }), []);
  assert.deepEqual(initramfsMissing(listing, '', { programs: ['cryptsetup', 'lvm', 'mdadm'], modules: ['ext4', 'xfs'] }), ['the program lvm', 'the program mdadm', 'the kernel module xfs']);
  assert.deepEqual(initramfsMissing(listing, 'kernel/fs/xfs/xfs.ko\n', { programs: [], modules: ['xfs'] }), []);
});
