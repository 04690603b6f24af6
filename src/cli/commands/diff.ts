import type { Command } from 'commander';
import { UserError } from '../../core/errors.ts';
import { checkHostName } from '../../core/repo/host.ts';
import { defaultRepo } from '../../services/capture.ts';
import { diffManifests, renderDiff } from '../../services/versioning/diff.ts';
import type { Out } from './common.ts';

export function registerDiff(program: Command, out: Out): void {
  program
    .command('diff')
    .description('what changed between two versions of hosts/<host>/manifest.yaml, in words (default: its last two commits; one REV: REV against the working tree)')
    .argument('[revs...]', 'zero, one or two git revisions of the manifest repository')
    .option('--repo <dir>', 'manifest repository', defaultRepo())
    .option('--host <name>', 'host folder to compare (default: the only host, else this machine)')
    .option('--json', 'print the changes as JSON: {host, file, from, to, summary, changes: [{section, path, kind, what, brief, before, after}]}')
    .action(async (revs: string[], o: { repo: string; host?: string; json?: boolean }) => {
      // A revision that starts with '-' would reach git as an option.
      for (const r of revs) if (r.startsWith('-')) throw new UserError('USAGE', `diff ${r}: a revision cannot start with "-"`, { hint: 'give a commit, a branch or HEAD~N' });
      const host = o.host === undefined ? undefined : checkHostName(o.host, '--host');
      const r = await diffManifests({ repo: o.repo, revs, ...(host !== undefined ? { host } : {}) });
      out(o.json ? `${JSON.stringify(r, null, 2)}\n` : renderDiff(r));
    });
}
