import type { SystemProvider } from '../../types.ts';
import { captureHost } from './capture.ts';
import { gatherHost } from './gather.ts';

export const provider: SystemProvider = {
  name: 'host',
  area: 'system',
  tools: ['uname'],
  async contribute(ctx) {
    return { host: captureHost(await gatherHost(ctx.runner, ctx.root)) };
  },
};
