import { Option, type Command } from 'commander';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { hostMutatingRunner, hostReadOnlyRunner } from '../../core/runner/exec.ts';
import { defaultRepo } from '../../services/capture.ts';
import { CRON_FILE, DEFAULT_LAUNCHER, installSchedule, removeSchedule, showSchedule, SYSTEM_UNIT_DIR, systemdRunning, type SchedulerKind } from '../../services/versioning/schedule.ts';
import { collect, type Out } from './common.ts';

export function registerSchedule(program: Command, out: Out): void {
  const schedule = program.command('schedule').description('run `capture --commit` on a schedule (systemd timer, or cron where systemd is not running)');
  const where = (c: Command): Command =>
    c
      .option('--unit-dir <dir>', 'where the systemd units go', SYSTEM_UNIT_DIR)
      .option('--cron-file <file>', 'where the cron entry goes', CRON_FILE);

  where(
    schedule
      .command('install')
      .description(`write ${SYSTEM_UNIT_DIR}/sysmanifest-capture.{service,timer} (and enable the timer), or ${CRON_FILE}`)
      .option('--daily', 'once a day (the default)')
      .option('--hourly', 'once an hour')
      .option('--repo <dir>', 'manifest repository the scheduled capture commits to', defaultRepo())
      .option('--launcher <path>', 'the sysmanifest launcher to run', DEFAULT_LAUNCHER)
      .option('--arg <arg>', 'extra argument for the scheduled capture, e.g. --arg=--disk=/dev/sda (repeatable)', collect, [])
      .option('--datasets', 'also run `datasets sync` every 10 minutes on this host\'s manifest in REPO (only due datasets with a reachable target run)')
      .addOption(new Option('--with <kind>', 'systemd or cron (default: systemd when it is the running init system)').choices(['systemd', 'cron'])),
  ).action(async (o: { daily?: boolean; hourly?: boolean; repo: string; launcher: string; arg: string[]; datasets?: boolean; with?: SchedulerKind; unitDir: string; cronFile: string }) => {
    if (o.daily && o.hourly) throw new UserError('USAGE', '--daily and --hourly exclude each other');
    const runner = hostMutatingRunner();
    const kind = o.with ?? ((await systemdRunning(runner)) ? 'systemd' : 'cron');
    const r = await installSchedule(runner, { kind, every: o.hourly ? 'hourly' : 'daily', launcher: o.launcher, repo: o.repo, extraArgs: o.arg, unitDir: o.unitDir, cronFile: o.cronFile, ...(o.datasets ? { datasetsManifest: join(o.repo, 'hosts', hostname(), 'manifest.yaml') } : {}) });
    out(`${r.kind === 'systemd' ? 'systemd timer' : 'cron entry'} (${o.hourly ? 'hourly' : 'daily'}) written:\n${r.files.map((f) => `  ${f}\n`).join('')}`);
    for (const a of r.activated) out(`ran: ${a}\n`);
    if (r.kind === 'systemd' && r.activated.length === 0) out('not activated (not the system unit directory of a running systemd)\n');
  });

  where(schedule.command('remove').description('remove the schedule (disables the timer first)')).action(async (o: { unitDir: string; cronFile: string }) => {
    const r = await removeSchedule(hostMutatingRunner(), { unitDir: o.unitDir, cronFile: o.cronFile });
    for (const d of r.deactivated) out(`ran: ${d}\n`);
    out(r.removed.length ? `removed:\n${r.removed.map((f) => `  ${f}\n`).join('')}` : 'no schedule was installed\n');
  });

  where(schedule.command('show').description('the installed schedule and its next run').option('--json', 'as JSON')).action(async (o: { unitDir: string; cronFile: string; json?: boolean }) => {
    const s = await showSchedule(hostReadOnlyRunner(), { unitDir: o.unitDir, cronFile: o.cronFile });
    if (o.json) return out(`${JSON.stringify(s, null, 2)}\n`);
    if (!s.kind) return out('no schedule installed (sysmanifest schedule install)\n');
    out(`${s.kind}: ${s.every ?? '?'}\n  runs: ${s.command ?? '?'}\n  next: ${s.nextRun ?? 'unknown'}\n${s.datasets ? `  datasets: ${s.datasets.every}: ${s.datasets.command}\n` : ''}${s.files.map((f) => `  file: ${f}\n`).join('')}`);
  });
}
