// `sysmanifest internal …`: commands a rebuild plan runs as its own steps (hidden from help).
// They exist where a step's decision can only be made when it runs (what the mirror still
// has), and keep the plan honest: the step's argv is exactly this command.
import type { Command } from 'commander';
import { text } from 'node:stream/consumers';
import { hostMutatingRunner } from '../../core/runner/exec.ts';
import { nestedRunner } from '../../core/runner/logging.ts';
import { aptApply, parseSpec } from '../../services/rebuild/apt-apply.ts';
import { etcApply, lockUnset } from '../../services/rebuild/etc-apply.ts';
import { dotfilesApply, parseDotfilesSpec } from '../../services/rebuild/dotfiles-apply.ts';
import { grubConfig, initramfsBuild, type GrubConfigSpec } from '../../services/rebuild/boot-apply.ts';
import { efiEntries, parseEfiEntriesSpec } from '../../services/rebuild/efi-entries.ts';
import { parseIdentityMap, rewriteEtcIdentities } from '../../services/rebuild/new-identities.ts';
import { restoreIntoTarget } from '../../services/datasets/rebuild-restore.ts';
import { collect } from './common.ts';
import { UserError } from '../../core/errors.ts';
import type { Out } from './common.ts';

/** A long tool's lines, passed on to this command's stdout as they come: the rebuild shows them as progress. */
const passOn = (line: string): void => void process.stdout.write(line);

export function registerInternal(program: Command, out: Out): void {
  const internal = program.command('internal', { hidden: true }).description('steps of a rebuild plan (not for direct use)');
  internal
    .command('apt-apply')
    .description('install the manual package set read from stdin in the target (one apt transaction), mark the rest auto, apply holds')
    .requiredOption('--target <dir>', 'the target tree')
    .option('--strict', 'a package the mirror no longer has is an error')
    .action(async (o: { target: string; strict?: boolean }) => {
      const spec = parseSpec(await text(process.stdin));
      const r = await aptApply(nestedRunner(hostMutatingRunner()), o.target, spec, o.strict === true, passOn);
      out(`installed ${r.installed} manual package(s); ${r.autoMarked} marked auto; ${r.held.length} held${r.missing.length ? `; NOT AVAILABLE in the mirror: ${r.missing.join(' ')}` : ''}${r.renamed.length ? `; renamed in this release: ${r.renamed.map((x) => `${x.from} → ${x.to}`).join(', ')}` : ''}\n`);
    });
  internal
    .command('etc-apply')
    .description('apply the /etc metadata file of the checked-out /etc repository in the target, then remove it')
    .requiredOption('--target <dir>', 'the target tree')
    .action(async (o: { target: string }) => {
      const r = await etcApply(o.target);
      out(`/etc metadata: ${r.applied} path(s) set, ${r.removed.length} deleted conffile(s) removed${r.unknownOwners.length ? `; owners not in the target's passwd/group (left as they were): ${r.unknownOwners.join(' ')}` : ''}\n`);
    });
  internal
    .command('etc-identities')
    .description('rewrite the references to the old storage identities in the target\'s /etc (stdin: the identity map of --new-identities)')
    .requiredOption('--target <dir>', 'the target tree')
    .action(async (o: { target: string }) => {
      const r = await rewriteEtcIdentities(o.target, parseIdentityMap(await text(process.stdin), 'stdin'));
      out(r.files.length ? `new identities written into ${r.files.map((f) => `${f.path} (${f.references})`).join(', ')}\n` : 'no file of /etc names a storage identity\n');
    });
  internal
    .command('dotfiles-apply')
    .description('make one user\'s dotfiles repository (stdin: the manifest entry and its source) in the target at its pinned commit')
    .requiredOption('--target <dir>', 'the target tree')
    .action(async (o: { target: string }) => {
      const spec = parseDotfilesSpec(await text(process.stdin));
      const r = await dotfilesApply(nestedRunner(hostMutatingRunner()), o.target, spec);
      out(`dotfiles of ${spec.repo.user}: ${r.files} file(s) at ${spec.repo.commit}\n`);
    });
  internal
    .command('dataset-restore')
    .description('restore one dataset (stdin: its manifest entry) from its first reachable target into the target tree, verified against its expect')
    .requiredOption('--target <dir>', 'the target tree')
    .action(async (o: { target: string }) => {
      const r = await restoreIntoTarget(hostMutatingRunner(), o.target, await text(process.stdin), (l) => passOn(`${l}\n`));
      out(`restored ${r.snapshot} from ${r.target} into ${r.to}${r.verified ? `; matches the manifest (${r.verified.files} files, ${r.verified.bytes} bytes)` : '; the manifest has no expect to check it against'}\n`);
    });
  internal
    .command('initramfs-build')
    .description('put update-initramfs back, build every initramfs once, check it holds what reaching root needs')
    .requiredOption('--target <dir>', 'the target tree')
    .option('--program <name>', 'a program the initramfs must hold (repeatable)', collect, [])
    .option('--module <name>', 'a kernel module the initramfs must hold unless built in (repeatable)', collect, [])
    .action(async (o: { target: string; program: string[]; module: string[] }) => {
      for (const x of [...o.program, ...o.module]) if (!/^[a-z0-9_-]+$/.test(x)) throw new UserError('USAGE', `internal initramfs-build: ${JSON.stringify(x)} is not a program or module name`);
      const r = await initramfsBuild(nestedRunner(hostMutatingRunner()), o.target, { programs: o.program, modules: o.module }, passOn);
      out(`initramfs built once and checked: ${r.images.join(', ')}\n`);
    });
  internal
    .command('grub-config')
    .description('update-grub in the target, with /dev/disk/by-uuid links from the identity map on stdin')
    .requiredOption('--target <dir>', 'the target tree')
    .action(async (o: { target: string }) => {
      let spec: GrubConfigSpec;
      try {
        spec = JSON.parse(await text(process.stdin)) as GrubConfigSpec;
      } catch {
        throw new UserError('USAGE', 'internal grub-config: stdin is not the JSON the boot stage writes');
      }
      await grubConfig(nestedRunner(hostMutatingRunner()), o.target, spec);
      out('GRUB configuration written\n');
    });
  internal
    .command('efi-entries')
    .description('make the EFI boot entries read from stdin once (no duplicates on a rerun) and put them first in BootOrder')
    .action(async () => {
      const r = await efiEntries(nestedRunner(hostMutatingRunner()), parseEfiEntriesSpec(await text(process.stdin)));
      out(r.skipped ? `${r.skipped}\n` : `EFI boot entries: kept ${r.kept.join(',') || 'none'}, created ${r.created.join(',') || 'none'}${r.removed.length ? `, duplicates removed ${r.removed.join(',')}` : ''}; BootOrder ${r.bootOrder.join(',')}${r.missingLoaders ? `\nNOT MADE (the loader is not on the ESP; install its package, e.g. shim-signed, and run the boot stage again): ${r.missingLoaders.join(', ')}` : ''}\n`);
    });
  internal
    .command('lock-unset')
    .description('lock every account of the target that has no password hash of its own')
    .requiredOption('--target <dir>', 'the target tree')
    .action(async (o: { target: string }) => {
      const locked = await lockUnset(nestedRunner(hostMutatingRunner()), o.target);
      out(locked.length ? `locked (no password hash restored; set one with passwd NAME): ${locked.join(' ')}\n` : 'every account has its password hash\n');
    });
}
