// What an initramfs image holds, read without running anything from the target: the image
// is one or more "newc" cpio archives (early microcode/firmware, uncompressed) followed by
// the main archive, compressed (zstd is Debian 12's default, gzip the older one). This is
// what lsinitramfs lists; verify needs it where the target cannot be chrooted into (no /dev
// there) and the live system may not have initramfs-tools. Pure, apart from zlib.
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { ParseError } from '../../../core/errors.ts';

const NEWC = '070701';
const NEWC_CRC = '070702';

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Names in one run of newc archives from `at`; returns where the bytes after the last TRAILER!!! start. */
function readNewc(buf: Uint8Array, at: number, names: string[], what: string): number {
  const dec = new TextDecoder();
  let p = at;
  for (;;) {
    if (p + 110 > buf.length) throw new ParseError(what, `cpio header cut short at byte ${p}`);
    const magic = dec.decode(buf.subarray(p, p + 6));
    if (magic !== NEWC && magic !== NEWC_CRC) throw new ParseError(what, `no cpio newc header at byte ${p}`);
    const field = (i: number): number => Number.parseInt(dec.decode(buf.subarray(p + 6 + i * 8, p + 14 + i * 8)), 16);
    const fileSize = field(6);
    const nameSize = field(11);
    if (!Number.isFinite(fileSize) || !Number.isFinite(nameSize) || nameSize < 1) throw new ParseError(what, `bad cpio header at byte ${p}`);
    const name = dec.decode(buf.subarray(p + 110, p + 110 + nameSize - 1));
    p = align4(p + 110 + nameSize);
    p = align4(p + fileSize);
    if (p > buf.length) throw new ParseError(what, `cpio member ${JSON.stringify(name)} runs past the end`);
    if (name === 'TRAILER!!!') break;
    names.push(name);
  }
  return p;
}

/** Every path in the image (as lsinitramfs prints them, without "./"). */
export function listInitramfs(image: Uint8Array, what = 'initramfs'): string[] {
  const names: string[] = [];
  let p = 0;
  for (;;) {
    while (p < image.length && image[p] === 0) p++; // padding between archives
    if (p >= image.length) return names;
    const head = image.subarray(p, p + 6);
    if (new TextDecoder().decode(head) === NEWC || new TextDecoder().decode(head) === NEWC_CRC) {
      p = readNewc(image, p, names, what);
      continue;
    }
    const rest = image.subarray(p);
    let inner: Uint8Array;
    if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) inner = zstdDecompressSync(rest);
    else if (head[0] === 0x1f && head[1] === 0x8b) inner = gunzipSync(rest);
    else throw new ParseError(what, `compressed with something other than zstd or gzip (bytes ${[...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')} at ${p})`);
    let q = 0;
    while (q < inner.length) {
      while (q < inner.length && inner[q] === 0) q++;
      if (q >= inner.length) break;
      q = readNewc(inner, q, names, what);
    }
    return names;
  }
}

export interface InitramfsNeeds {
  /** Programs (basename) the initramfs must hold: cryptsetup, lvm, mdadm. */
  readonly programs: readonly string[];
  /** Kernel modules (name, without .ko*) the initramfs must hold, unless built in: ext4, xfs, btrfs. */
  readonly modules: readonly string[];
}

/** What reaching root needs and the listing lacks ("the program cryptsetup", "the kernel module ext4"). */
export function initramfsMissing(listing: readonly string[], modulesBuiltin: string, needs: InitramfsNeeds): string[] {
  return [
    ...needs.programs.filter((p) => !listing.some((l) => l.endsWith(`/${p}`) || l === p || l.endsWith(`bin/${p}`))).map((p) => `the program ${p}`),
    ...needs.modules
      .filter((m) => !listing.some((l) => new RegExp(`(^|/)${m}\\.ko(\\.[a-z]+)?$`).test(l)) && !new RegExp(`/${m}\\.ko$`, 'm').test(modulesBuiltin))
      .map((m) => `the kernel module ${m}`),
  ];
}
