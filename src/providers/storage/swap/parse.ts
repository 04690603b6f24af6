// The swap header (linux/include/linux/swap.h union swap_header; util-linux mkswap): the
// first page of the area ends with the magic "SWAPSPACE2", so the page size the area was made
// for is the magic's offset + 10. At offset 1024 (after the boot-block space):
//   u32 version, u32 last_page, u32 nr_badpages, u8 uuid[16], char volume_name[16].
// Fields are in the byte order of the machine that ran mkswap; little-endian is assumed
// and a header that only makes sense big-endian is reported, not misread.
import { ParseError } from '../../../core/errors.ts';

export const PAGE_SIZES = [4096, 8192, 16384, 32768, 65536] as const;
export const HEADER_READ = 65536;

export interface SwapHeader {
  readonly pageSize: number;
  readonly version: number;
  readonly lastPage: number;
  readonly badPages: number;
  readonly uuid?: string;
  readonly label?: string;
}

const MAGIC = 'SWAPSPACE2';
const OLD_MAGIC = 'SWAP-SPACE';

function text(b: Uint8Array, off: number, len: number): string {
  return String.fromCharCode(...b.subarray(off, off + len));
}

function formatUuid(b: Uint8Array): string | undefined {
  if (b.every((x) => x === 0)) return undefined;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** `bytes`: the start of the device, at least one page. */
export function parseSwapHeader(bytes: Uint8Array): SwapHeader {
  const what = 'swap header';
  const pageSize = PAGE_SIZES.find((p) => bytes.length >= p && text(bytes, p - 10, 10) === MAGIC);
  if (pageSize === undefined) {
    const old = PAGE_SIZES.some((p) => bytes.length >= p && text(bytes, p - 10, 10) === OLD_MAGIC);
    throw new ParseError(what, old ? 'version 0 swap (SWAP-SPACE) is not supported' : `no ${MAGIC} magic at the end of a 4-64 KiB page`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = v.getUint32(1024, true);
  if (version !== 1) throw new ParseError(what, `version ${version} (a big-endian header reads as 16777216)`);
  const labelBytes = bytes.subarray(1052, 1068);
  const nul = labelBytes.indexOf(0);
  const label = new TextDecoder().decode(nul < 0 ? labelBytes : labelBytes.subarray(0, nul));
  const uuid = formatUuid(bytes.subarray(1036, 1052));
  return {
    pageSize,
    version,
    lastPage: v.getUint32(1028, true),
    badPages: v.getUint32(1032, true),
    ...(uuid === undefined ? {} : { uuid }),
    ...(label === '' ? {} : { label }),
  };
}
