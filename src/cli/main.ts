// Argument parsing only: every command calls one service and prints what it returns.
import { Command, CommanderError, Option } from 'commander';
import { isUserError } from '../core/errors.ts';
import { hostReadOnlyRunner } from '../core/runner/exec.ts';
import { captureToRepo, defaultRepo } from '../services/capture.ts';
import { showManifest } from '../services/show.ts';
import { validateFile } from '../services/validate.ts';
import { renderTree } from '../ui/tree.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function buildProgram(out: (s: string) => void = (s) => process.stdout.write(s)): Command {
  const program = new Command('sysmanifest')
    .description('Record what a Linux machine is in a git-versioned YAML manifest, and rebuild it onto bare disks.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('capture')
    .description('capture this machine into hosts/<host>/manifest.yaml of the manifest repository (read-only on every disk)')
    .option('--repo <dir>', 'manifest repository (created and git-initialised if new)', defaultRepo())
    .option('--host <name>', 'host name to file the manifest under (default: this machine\'s hostname)')
    .option('--disk <dev>', 'capture only this disk (repeatable); loop devices are only captured when named', collect, [])
    .option('--exclude <dev>', 'leave this disk out (repeatable)', collect, [])
    .option('--root <dir>', 'read packages, /etc and homes of a system mounted at DIR (storage still comes from the disks)', '/')
    .option('--print', 'also print the manifest to stdout')
    .action(async (o: { repo: string; host?: string; disk: string[]; exclude: string[]; root: string; print?: boolean }) => {
      const r = await captureToRepo(hostReadOnlyRunner(), { repo: o.repo, root: o.root, disks: o.disk, exclude: o.exclude, ...(o.host ? { host: o.host } : {}) });
      const s = r.manifest.storage ?? {};
      const counts = [
        `${s.disks?.length ?? 0} disk(s)`,
        `${s.filesystems?.length ?? 0} filesystem(s)`,
        ...(s.luks?.length ? [`${s.luks.length} LUKS`] : []),
        ...(s.mdraid?.length ? [`${s.mdraid.length} md`] : []),
        ...(s.lvm?.vgs?.length ? [`${s.lvm.vgs.length} VG(s)`] : []),
      ];
      if (r.repoCreated) out(`created manifest repository ${o.repo}\n`);
      out(`${r.file}: ${r.status} (${counts.join(', ')})\n`);
      if (o.print) out(`${(await import('../core/manifest/dump.ts')).dumpManifest(r.manifest)}`);
    });

  program
    .command('validate')
    .description('check a manifest against the schema and the cross-field rules')
    .argument('<file>', 'manifest.yaml')
    .action(async (file: string) => {
      const m = await validateFile(file);
      out(`${file}: valid (${m.host.hostname})\n`);
    });

  program
    .command('show')
    .description('draw the storage stack of a manifest as a tree')
    .argument('[file]', 'manifest.yaml (default: this host\'s manifest in the default repository)')
    .addOption(new Option('--repo <dir>', 'manifest repository').default(defaultRepo()))
    .action(async (file: string | undefined, o: { repo: string }) => {
      out(renderTree(await showManifest(file, o.repo)));
    });

  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2; // commander has already printed the message
    }
    if (isUserError(e)) {
      process.stderr.write(`sysmanifest: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
      return e.exitCode;
    }
    process.stderr.write(`sysmanifest: internal error (this is a bug, please report it):\n${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
