// `sysmanifest secrets restore`: the step the rebuild plans for the secrets archive (see
// src/providers/system/secrets/plan.ts for why it is a command of its own). Usable by hand
// too, on a mounted system: it restores the listed files and merges the password hashes.
import type { Command } from 'commander';
import { UserError } from '../../core/errors.ts';
import { hostMutatingRunner } from '../../core/runner/exec.ts';
import { restoreSecrets } from '../../providers/system/secrets/index.ts';
import { collect, type Out } from './common.ts';

export function registerSecrets(program: Command, out: Out): void {
  const secrets = program.command('secrets').description('the age-encrypted secrets archive written by capture --secrets-out');
  secrets
    .command('restore')
    .description('decrypt ARCHIVE in memory and restore its files and password hashes into the system mounted at --target (as rebuild does)')
    .requiredOption('--archive <file>', 'the archive written by capture --secrets-out')
    .requiredOption('--identity <keyfile>', 'the age identity (age-keygen key file, or an ssh private key) it was encrypted to')
    .requiredOption('--target <dir>', 'the root of the system to restore into')
    .option('--path <path>', 'a secret file to restore (repeatable; the manifest\'s repos.etc.restoreFromElsewhere)', collect, [])
    .action(async (o: { archive: string; identity: string; target: string; path: string[] }) => {
      if (process.getuid?.() !== 0) throw new UserError('NOT_ROOT', 'restoring secrets sets owners and password hashes and needs root', { hint: 'run it with sudo' });
      const r = await restoreSecrets({ archive: o.archive, identity: o.identity, target: o.target, paths: o.path, runner: hostMutatingRunner() });
      out(`restored ${r.restored.length} secret file(s)${r.restored.length ? `: ${r.restored.join(', ')}` : ''}\n`);
      out(`password hashes set: ${r.users.set.length ? r.users.set.join(', ') : 'none changed'}; group hashes set: ${r.groups.set.length ? r.groups.set.join(', ') : 'none changed'}\n`);
      if (r.notInArchive.length) out(`not in the archive (not restored): ${r.notInArchive.join(', ')}\n`);
      if (r.users.unknown.length) out(`accounts in the archive that the target does not have (not restored): ${r.users.unknown.join(', ')}\n`);
    });
}
