import { Option, type Command } from 'commander';
import { defaultRepo } from '../../services/capture.ts';
import { showManifest } from '../../services/show.ts';
import { renderTree } from '../../ui/tree.ts';
import type { Out } from './common.ts';

export function registerShow(program: Command, out: Out): void {
  program
    .command('show')
    .description('draw the storage stack of a manifest as a tree')
    .argument('[file]', "manifest.yaml (default: this host's manifest in the default repository)")
    .addOption(new Option('--repo <dir>', 'manifest repository').default(defaultRepo()))
    .action(async (file: string | undefined, o: { repo: string }) => {
      out(renderTree(await showManifest(file, o.repo)));
    });
}
