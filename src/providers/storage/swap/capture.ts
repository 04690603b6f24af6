import type { Swap } from '../../../core/manifest/types.gen.ts';
import type { SwapHeader } from './parse.ts';

export function captureSwap(on: string, h: SwapHeader): Swap {
  return {
    on,
    ...(h.uuid === undefined ? {} : { uuid: h.uuid }),
    ...(h.label === undefined ? {} : { label: h.label }),
    version: h.version,
    pageSize: h.pageSize,
    // last_page is the index of the last usable page; page 0 is the header itself.
    pages: h.lastPage + 1,
    ...(h.badPages === 0 ? {} : { badPages: h.badPages }),
  };
}
