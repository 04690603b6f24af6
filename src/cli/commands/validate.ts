import type { Command } from 'commander';
import { validateFile } from '../../services/validate.ts';
import type { Out } from './common.ts';

export function registerValidate(program: Command, out: Out): void {
  program
    .command('validate')
    .description('check a manifest against the schema and the cross-field rules')
    .argument('<file>', 'manifest.yaml')
    .action(async (file: string) => {
      const m = await validateFile(file);
      out(`${file}: valid (${m.host.hostname})\n`);
    });
}
