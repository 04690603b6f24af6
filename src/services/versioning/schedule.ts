// `sysmanifest schedule install|remove|show`: a systemd service + timer that runs
// `capture --commit` through the project launcher (bootstrap/sysmanifest, absolute paths),
// or a cron.d entry where systemd is not the init system. Rendering is pure (tested, and
// checked with `systemd-analyze verify`); installing writes the files atomically and, for the
// real system unit directory on a systemd machine, enables the timer.
import { access, readFile, rm } from 'node:fs/promises';
import { constants as fsc } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../../core/paths.ts';
import { UserError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../core/repo/files.ts';
import type { MutatingRunner, ReadOnlyRunner } from '../../core/runner/types.ts';

export type Every = 'daily' | 'hourly';
export type SchedulerKind = 'systemd' | 'cron';

export const UNIT = 'sysmanifest-capture';
export const SYSTEM_UNIT_DIR = '/etc/systemd/system';
export const CRON_FILE = '/etc/cron.d/sysmanifest';
/** The launcher installs missing dependencies, then runs src/cli/main.ts with the project's Node. */
export const DEFAULT_LAUNCHER = join(PROJECT_ROOT, 'bootstrap', 'sysmanifest');
/** Fixed minute past the hour for cron (systemd spreads runs with RandomizedDelaySec instead). */
const CRON_MINUTE = 17;
const CRON_HOUR = 3;

export interface ScheduleSpec {
  readonly every: Every;
  readonly launcher: string;
  readonly repo: string;
  /** Extra capture arguments (--disk …, --wait …), appended after `capture --commit --repo REPO`. */
  readonly extraArgs?: readonly string[];
  /**
   * Also `datasets sync --manifest MANIFEST` every 10 minutes (its own timer, or a second cron
   * line): only the datasets that are due (interval) and whose target is reachable run.
   */
  readonly datasetsManifest?: string;
}

export const DATASETS_UNIT = 'sysmanifest-datasets';
const DATASETS_EVERY = '*:0/10';

export function datasetsArgv(spec: ScheduleSpec): string[] {
  return [resolve(spec.launcher), 'datasets', 'sync', '--manifest', resolve(spec.datasetsManifest!)];
}

export function renderDatasetsService(spec: ScheduleSpec): string {
  return [
    '# Written by `sysmanifest schedule install --datasets`; `sysmanifest schedule remove` deletes it.',
    '[Unit]',
    'Description=sysmanifest: snapshots of the manifest\'s datasets that are due',
    'After=local-fs.target network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${datasetsArgv(spec).map(systemdQuote).join(' ')}`,
    'Nice=10',
    'IOSchedulingClass=idle',
    '',
  ].join('\n');
}

export function renderDatasetsTimer(): string {
  return [
    '# Written by `sysmanifest schedule install --datasets`; `sysmanifest schedule remove` deletes it.',
    '[Unit]',
    'Description=sysmanifest: datasets sync every 10 minutes (only the due datasets run)',
    '',
    '[Timer]',
    `OnCalendar=${DATASETS_EVERY}`,
    'RandomizedDelaySec=1min',
    `Unit=${DATASETS_UNIT}.service`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

export function captureArgv(spec: ScheduleSpec): string[] {
  return [resolve(spec.launcher), 'capture', '--commit', '--repo', resolve(spec.repo), ...(spec.extraArgs ?? [])];
}

/** systemd.service(5) "Command lines": double-quote words with blanks or quotes; % is a specifier. */
export function systemdQuote(word: string): string {
  const w = word.replace(/%/g, '%%');
  if (w !== '' && !/[\s"'\\;$]/.test(w)) return w;
  return `"${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '$$$$')}"`;
}

/** POSIX sh quoting for crontab(5) lines, where an unescaped % also ends the command. */
export function cronQuote(word: string): string {
  const w = /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
  return w.replace(/%/g, '\\%');
}

export function renderService(spec: ScheduleSpec): string {
  return [
    '# Written by `sysmanifest schedule install`; `sysmanifest schedule remove` deletes it.',
    '[Unit]',
    'Description=sysmanifest: capture this machine and commit the manifest repository',
    'After=local-fs.target network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${captureArgv(spec).map(systemdQuote).join(' ')}`,
    // A capture reads every disk and walks /etc: it yields to interactive work.
    'Nice=10',
    'IOSchedulingClass=idle',
    'TimeoutStartSec=1h',
    '',
  ].join('\n');
}

export function renderTimer(spec: ScheduleSpec): string {
  return [
    '# Written by `sysmanifest schedule install`; `sysmanifest schedule remove` deletes it.',
    '[Unit]',
    `Description=sysmanifest: capture --commit ${spec.every}`,
    '',
    '[Timer]',
    `OnCalendar=${spec.every}`,
    // Persistent: a run missed while the machine was off happens at the next boot.
    'Persistent=true',
    `RandomizedDelaySec=${spec.every === 'hourly' ? '5min' : '30min'}`,
    `Unit=${UNIT}.service`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

export function renderCron(spec: ScheduleSpec): string {
  const when = spec.every === 'hourly' ? `${CRON_MINUTE} * * * *` : `${CRON_MINUTE} ${CRON_HOUR} * * *`;
  return [
    '# Written by `sysmanifest schedule install`; `sysmanifest schedule remove` deletes it.',
    'SHELL=/bin/sh',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    `${when} root ${captureArgv(spec).map(cronQuote).join(' ')}`,
    ...(spec.datasetsManifest ? [`*/10 * * * * root ${datasetsArgv(spec).map(cronQuote).join(' ')}`] : []),
    '',
  ].join('\n');
}

/** Whether systemd is the running init system (sd_booted(3): /run/systemd/system exists). */
export async function systemdRunning(runner: ReadOnlyRunner): Promise<boolean> {
  return runner.exists('/run/systemd/system');
}

export interface Locations {
  readonly unitDir: string;
  readonly cronFile: string;
}

export const DEFAULT_LOCATIONS: Locations = { unitDir: SYSTEM_UNIT_DIR, cronFile: CRON_FILE };

export interface InstallOptions extends ScheduleSpec, Partial<Locations> {
  readonly kind: SchedulerKind;
}

export interface InstallResult {
  readonly kind: SchedulerKind;
  readonly files: readonly string[];
  /** Commands run to activate it (systemctl daemon-reload, enable --now). */
  readonly activated: readonly string[];
}

const isDefaultUnitDir = (dir: string): boolean => resolve(dir) === SYSTEM_UNIT_DIR;

export async function installSchedule(runner: MutatingRunner, o: InstallOptions): Promise<InstallResult> {
  try {
    await access(o.launcher, fsc.X_OK);
  } catch {
    throw new UserError('USAGE', `the launcher ${o.launcher} is not an executable file`, { hint: 'pass --launcher PATH (the sysmanifest launcher of this installation)' });
  }
  if (o.kind === 'cron') {
    const file = o.cronFile ?? CRON_FILE;
    await writeFileAtomic(file, renderCron(o), 0o644);
    return { kind: 'cron', files: [file], activated: [] };
  }
  const dir = o.unitDir ?? SYSTEM_UNIT_DIR;
  const service = join(dir, `${UNIT}.service`);
  const timer = join(dir, `${UNIT}.timer`);
  await writeFileAtomic(service, renderService(o), 0o644);
  await writeFileAtomic(timer, renderTimer(o), 0o644);
  const files = [service, timer];
  if (o.datasetsManifest) {
    files.push(join(dir, `${DATASETS_UNIT}.service`), join(dir, `${DATASETS_UNIT}.timer`));
    await writeFileAtomic(files[2]!, renderDatasetsService(o), 0o644);
    await writeFileAtomic(files[3]!, renderDatasetsTimer(), 0o644);
  }
  const activated: string[] = [];
  // Only the real unit directory of a running systemd is activated; a --unit-dir elsewhere
  // (a test, an image being prepared) is only written.
  if (isDefaultUnitDir(dir) && (await systemdRunning(runner))) {
    for (const argv of [['systemctl', 'daemon-reload'], ['systemctl', 'enable', '--now', `${UNIT}.timer`, ...(o.datasetsManifest ? [`${DATASETS_UNIT}.timer`] : [])]]) {
      await runner.mutate(argv);
      activated.push(argv.join(' '));
    }
  }
  return { kind: 'systemd', files, activated };
}

export async function removeSchedule(runner: MutatingRunner, loc: Partial<Locations> = {}): Promise<{ removed: string[]; deactivated: string[] }> {
  const dir = loc.unitDir ?? SYSTEM_UNIT_DIR;
  const deactivated: string[] = [];
  const unitFiles = [join(dir, `${UNIT}.timer`), join(dir, `${UNIT}.service`), join(dir, `${DATASETS_UNIT}.timer`), join(dir, `${DATASETS_UNIT}.service`)];
  if (isDefaultUnitDir(dir) && (await systemdRunning(runner))) {
    for (const [unit, file] of [[UNIT, unitFiles[0]!], [DATASETS_UNIT, unitFiles[2]!]] as const) {
      if (!(await runner.exists(file))) continue;
      await runner.mutate(['systemctl', 'disable', '--now', `${unit}.timer`]);
      deactivated.push(`systemctl disable --now ${unit}.timer`);
    }
  }
  const removed: string[] = [];
  for (const f of [...unitFiles, loc.cronFile ?? CRON_FILE]) {
    if (await runner.exists(f)) {
      await rm(f);
      removed.push(f);
    }
  }
  if (deactivated.length) await runner.mutate(['systemctl', 'daemon-reload']);
  return { removed, deactivated };
}

export interface ScheduleState {
  readonly kind?: SchedulerKind;
  readonly files: readonly string[];
  /** The line that runs the capture (ExecStart= or the cron line). */
  readonly command?: string;
  readonly every?: string;
  /** ISO time of the next run when known (systemd's timer, or computed from the cron line). */
  readonly nextRun?: string;
  /** `schedule install --datasets`: the datasets sync line and how often it runs. */
  readonly datasets?: { readonly command: string; readonly every: string };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Next time a "M H * * *" or "M * * * *" line fires after `now` (local time), else undefined. */
export function nextCron(line: string, now: Date): Date | undefined {
  const m = /^(\d+)\s+(\d+|\*)\s+\*\s+\*\s+\*\s/.exec(line);
  if (!m) return undefined;
  const minute = Number(m[1]);
  const next = new Date(now.getTime());
  next.setSeconds(0, 0);
  next.setMinutes(minute);
  if (m[2] === '*') {
    if (next <= now) next.setHours(next.getHours() + 1);
  } else {
    next.setHours(Number(m[2]));
    if (next <= now) next.setDate(next.getDate() + 1);
  }
  return next;
}

export async function showSchedule(runner: ReadOnlyRunner, loc: Partial<Locations> = {}, now = new Date()): Promise<ScheduleState> {
  const dir = loc.unitDir ?? SYSTEM_UNIT_DIR;
  const service = await readOptional(join(dir, `${UNIT}.service`));
  const timer = await readOptional(join(dir, `${UNIT}.timer`));
  if (service !== undefined || timer !== undefined) {
    const command = /^ExecStart=(.*)$/m.exec(service ?? '')?.[1];
    const every = /^OnCalendar=(.*)$/m.exec(timer ?? '')?.[1];
    let nextRun: string | undefined;
    if (isDefaultUnitDir(dir) && (await systemdRunning(runner))) {
      // NextElapseUSecRealtime: the timer's next elapse in wall-clock time (systemd.timer(5)).
      const r = await runner.run(['systemctl', 'show', `${UNIT}.timer`, '--property=NextElapseUSecRealtime', '--value'], { okExitCodes: [1] });
      const v = r.stdout.trim();
      const t = v ? new Date(v.replace(/^\w{3} /, '')) : undefined;
      if (t && !Number.isNaN(t.getTime())) nextRun = t.toISOString();
    }
    const dsService = await readOptional(join(dir, `${DATASETS_UNIT}.service`));
    const dsTimer = await readOptional(join(dir, `${DATASETS_UNIT}.timer`));
    const dsCommand = /^ExecStart=(.*)$/m.exec(dsService ?? '')?.[1];
    return {
      kind: 'systemd',
      files: [[`${UNIT}.service`, service], [`${UNIT}.timer`, timer], [`${DATASETS_UNIT}.service`, dsService], [`${DATASETS_UNIT}.timer`, dsTimer]].filter(([, t]) => t !== undefined).map(([f]) => join(dir, f!)),
      ...(dsCommand ? { datasets: { command: dsCommand, every: /^OnCalendar=(.*)$/m.exec(dsTimer ?? '')?.[1] ?? '?' } } : {}),
      ...(command ? { command } : {}),
      ...(every ? { every } : {}),
      ...(nextRun ? { nextRun } : {}),
    };
  }
  const cronFile = loc.cronFile ?? CRON_FILE;
  const cron = await readOptional(cronFile);
  if (cron !== undefined) {
    const line = cron.split('\n').find((l) => /^\d/.test(l));
    const ds = cron.split('\n').find((l) => l.startsWith('*/10 '));
    const next = line ? nextCron(line, now) : undefined;
    return {
      kind: 'cron',
      files: [cronFile],
      ...(line ? { command: line.replace(/^(\S+\s+){6}/, ''), every: line.split(/\s+/).slice(0, 5).join(' ') } : {}),
      ...(next ? { nextRun: next.toISOString() } : {}),
      ...(ds ? { datasets: { command: ds.replace(/^(\S+\s+){6}/, ''), every: ds.split(/\s+/).slice(0, 5).join(' ') } } : {}),
    };
  }
  return { files: [] };
}
