import type { SystemProvider } from '../../types.ts';
import { captureAccounts } from './capture.ts';
import { gatherAccounts } from './gather.ts';
import { planUsers } from './plan.ts';

export { captureAccounts } from './capture.ts';
export { checkAccounts } from './check.ts';
export { planUsers, targetFilesystems } from './plan.ts';
export { verifyUsers } from './verify.ts';

/** users: ROOT's local accounts (passwd, group; never shadow), and the users stage of a rebuild. */
export const provider: SystemProvider = {
  name: 'users',
  area: 'system',
  // The stage runs useradd & co. inside the target (chroot): the live system needs chroot only.
  tools: ['chroot'],
  stage: 'users',
  async contribute(ctx) {
    const files = await gatherAccounts(ctx.runner, ctx.root);
    return files ? { users: captureAccounts(files) } : {};
  },
  plan: planUsers,
};
