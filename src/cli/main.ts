// Argument parsing only: every command calls one service and prints what it returns.
import { Command, CommanderError } from 'commander';
import { isUserError } from '../core/errors.ts';
import { printable } from '../core/text.ts';
import { registerCapture } from './commands/capture.ts';
import { registerDatasets } from './commands/datasets.ts';
import type { Out } from './commands/common.ts';
import { registerDiff } from './commands/diff.ts';
import { registerMergeFile } from './commands/merge-file.ts';
import { registerSchedule } from './commands/schedule.ts';
import { registerStatus } from './commands/status.ts';
import { registerInventory } from './commands/inventory.ts';
import { registerInternal } from './commands/internal.ts';
import { registerMerge } from './commands/merge.ts';
import { registerMirror } from './commands/mirror.ts';
import { registerLive, registerMedium } from './commands/live.ts';
import { installSignalHandlers } from './interrupt.ts';
import { registerRebuild } from './commands/rebuild.ts';
import { registerRehearse } from './commands/rehearse.ts';
import { registerSecrets } from './commands/secrets.ts';
import { registerShow } from './commands/show.ts';
import { registerValidate } from './commands/validate.ts';

// Everything printed goes through printable(): a manifest value can never drive the terminal.
export function buildProgram(out: Out = (s) => process.stdout.write(printable(s, { lines: true }))): Command {
  const program = new Command('sysmanifest')
    .description('Record what a Linux machine is in a git-versioned YAML manifest, and rebuild it onto bare disks.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCapture(program, out);
  registerValidate(program, out);
  registerShow(program, out);
  registerRebuild(program, out);
  registerInventory(program, out);
  registerDiff(program, out);
  registerSchedule(program, out);
  registerStatus(program, out);
  registerSecrets(program, out);
  registerInternal(program, out);
  registerMirror(program, out);
  registerLive(program, out);
  registerMedium(program, out);
  registerRehearse(program, out);
  registerDatasets(program, out);
  registerMerge(program, out);
  registerMergeFile(program, out);
  // commander exits through exitOverride only for the program itself; subcommands inherit it here.
  for (const c of program.commands) c.exitOverride();
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  installSignalHandlers();
  // A reader that went away (`sysmanifest tools M | head -3`): stop quietly, as a program killed
  // by SIGPIPE does (exit 141), not with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(141);
  });
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
      process.stderr.write(printable(`sysmanifest: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`, { lines: true }));
      return e.exitCode;
    }
    process.stderr.write(`sysmanifest: internal error (this is a bug, please report it):\n${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
