import type { Command } from 'commander';
import { hostReadOnlyRunner } from '../../core/runner/exec.ts';
import { defaultRepo } from '../../services/capture.ts';
import { runStatus } from '../../services/versioning/report.ts';
import { CRON_FILE, SYSTEM_UNIT_DIR } from '../../services/versioning/schedule.ts';
import type { Out } from './common.ts';

export function registerStatus(program: Command, out: Out): void {
  program
    .command('status')
    .description('the last capture run (result, duration, commit), whether one is running now, and the next scheduled run')
    .option('--repo <dir>', 'manifest repository', defaultRepo())
    .option('--unit-dir <dir>', 'where the systemd units are', SYSTEM_UNIT_DIR)
    .option('--cron-file <file>', 'where the cron entry is', CRON_FILE)
    .option('--json', 'as JSON')
    .action(async (o: { repo: string; unitDir: string; cronFile: string; json?: boolean }) => {
      const r = await runStatus(hostReadOnlyRunner(), { repo: o.repo, unitDir: o.unitDir, cronFile: o.cronFile });
      out(o.json ? `${JSON.stringify(r.value, null, 2)}\n` : r.text);
    });
}
