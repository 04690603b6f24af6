// Boot: firmware mode, boot loader, EFI boot entries, kernel command line, initramfs tool.
import type { SystemContext, SystemProvider } from '../../types.ts';
import { captureBoot } from './capture.ts';
import { gatherBoot } from './gather.ts';

export const provider: SystemProvider = {
  name: 'boot',
  area: 'system',
  tools: ['efibootmgr'],
  async contribute(ctx: SystemContext) {
    return { boot: captureBoot(await gatherBoot(ctx.runner, ctx.root)) };
  },
};
