// The users stage of a rebuild, pure. The accounts come back with the /etc repository (passwd
// and group are tracked there, with their ids; shadow and gshadow are secrets and are not):
// pwconv/grpconv give every account its shadow line, the password hashes are merged by name
// from the age-encrypted secrets archive (--secrets FILE --identity KEYFILE, planSecretsRestore),
// and every account still without a hash is locked (`internal lock-unset`), so that no
// account of the rebuilt system is reachable by a password nobody chose.
import type { Step } from '../../../core/plan/types.ts';
import type { SystemPlanContext } from '../../types.ts';
import { planSecretsRestore } from './plan.ts';
import { planUsers as planAccounts } from '../users/plan.ts';

export function planUsers(ctx: SystemPlanContext, cli: readonly string[]): Step[] {
  // The manifest's own users section (when captured) first: accounts with their captured ids.
  const accounts = ctx.manifest.users !== undefined ? planAccounts(ctx) : [];
  const steps: Step[] = [
    ...accounts,
    { id: 'users:pwconv', stage: 'users', title: 'shadow entries for the restored accounts (pwconv)', argv: ['chroot', ctx.target, 'pwconv'], risk: 'create', after: accounts.length ? [accounts.at(-1)!.id] : [] },
    { id: 'users:grpconv', stage: 'users', title: 'gshadow entries for the restored groups (grpconv)', argv: ['chroot', ctx.target, 'grpconv'], risk: 'create', after: ['users:pwconv'] },
  ];
  if (ctx.inputs.secrets !== undefined) steps.push(...planSecretsRestore(ctx, { self: cli, after: ['users:grpconv'] }));
  steps.push({
    id: 'users:lock-unset',
    stage: 'users',
    title: ctx.inputs.secrets !== undefined ? 'lock any account the archive had no password hash for' : 'lock the accounts whose password hash is in the secrets archive, which was not given (--secrets)',
    argv: [...cli, 'internal', 'lock-unset', '--target', ctx.target],
    risk: 'create',
    after: [steps.at(-1)!.id],
  });
  return steps;
}
