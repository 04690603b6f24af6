// sysmanifest rehearse: the restore drill, on this machine, touching none of its disks.
//   1. sparse image files of the manifest's disks (their captured sizes);
//   2. a throw-away qemu rescue guest (bootstrap/rescue-vm.sh: Debian's kernel, this machine's
//      programs read-only over 9p, RAM on top, ONLY the image files as disks) runs live.sh from
//      the offline medium — tools, disks, then `rebuild … --yes` onto the images, with the
//      rebuild's own verify of the disks and the system tree;
//   3. one unit is added to the rebuilt tree (sysmanifest-rehearse.service: once the system
//      has started, it writes its state and failed units to the serial port and powers off);
//   4. the images are booted with the captured firmware (OVMF for UEFI, SeaBIOS for BIOS) and
//      the serial console is watched for that report.
// Pass or fail, with each stage's time; a failure names its stage and says what went wrong.
// The rescue guest sees no disk of this machine: that is the line this command holds.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors.ts';
import type { Manifest } from '../core/manifest/types.gen.ts';
import { PROJECT_ROOT } from '../core/paths.ts';
import type { ApplyEvent } from '../core/plan/apply.ts';
import type { Step } from '../core/plan/types.ts';
import { ANY_EXIT_CODE, type MutatingRunner } from '../core/runner/types.ts';
import { printable } from '../core/text.ts';
import { SYSTEM_STAGES } from '../providers/types.ts';
import { shq } from '../core/text.ts';

/** The serial-console lines the rehearsal unit writes in the booted system. */
export const MARK = 'SYSMANIFEST-REHEARSE';

export interface RehearsalDisk {
  readonly id: string;
  readonly sizeBytes: number;
  /** The virtual disk's serial in the rescue guest (how the guest script finds it). */
  readonly serial: string;
  readonly image: string;
}

/** The disks to make images of: every manifest disk at its captured size. */
export function rehearsalDisks(m: Manifest, imageDir: string): RehearsalDisk[] {
  const disks = m.storage?.disks ?? [];
  if (disks.length === 0) throw new UserError('REFUSED', 'storage.disks: the manifest has no disk to rebuild onto, so there is nothing to rehearse');
  if (disks.length > 20) throw new UserError('REFUSED', `storage.disks: ${disks.length} disks; the rescue guest attaches at most 20`);
  return disks.map((d, i) => {
    if (!Number.isSafeInteger(d.match.sizeBytes) || d.match.sizeBytes < 2 ** 20) throw new UserError('REFUSED', `storage.disks[${i}].match.sizeBytes: ${d.match.sizeBytes} is not a disk size an image can have`);
    if (d.logicalSectorSize !== 512) throw new UserError('REFUSED', `storage.disks[${i}] (${d.id}): logical sectors of ${d.logicalSectorSize} bytes; the rescue guest's virtual disks have 512-byte sectors, so its partition table cannot be rehearsed as captured`);
    return { id: d.id, sizeBytes: d.match.sizeBytes, serial: `SMREHEARSE${i}`, image: join(imageDir, `${d.id}.img`) };
  });
}

export interface RescueScriptOptions {
  readonly medium: string;
  readonly repo: string;
  readonly host: string;
  readonly identity?: string;
  readonly keyFile: string;
  readonly disks: readonly RehearsalDisk[];
  readonly target: string;
}

/** The systemd unit the rehearsal adds to the rebuilt tree, and the script it runs. */
export function rehearsalUnit(): { unit: string; script: string } {
  return {
    unit: [
      '[Unit]',
      'Description=sysmanifest rehearse: report the state of this rebuilt system on the serial port, then power off (rehearsal images only)',
      'After=multi-user.target',
      '',
      '[Service]',
      'Type=simple',
      'ExecStart=/bin/sh /usr/local/sbin/sysmanifest-rehearse-report',
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
    script: [
      '#!/bin/sh',
      '# Added by sysmanifest rehearse to a rehearsal image (never to a real machine).',
      'out=/dev/ttyS0',
      `state=$(systemctl is-system-running --wait 2>/dev/null)`,
      `echo "${MARK}-UP state=$state kernel=$(uname -r) host=$(hostname)" > "$out"`,
      `systemctl --failed --no-legend --plain 2>/dev/null | while read -r unit _; do echo "${MARK}-FAILED $unit" > "$out"; done`,
      `echo "${MARK}-END" > "$out"`,
      'systemctl poweroff',
      '',
    ].join('\n'),
  };
}

/**
 * The bash script the rescue guest runs: live.sh from the medium onto the images (found by
 * their serials), then the rehearsal unit into the rebuilt tree, then everything closed as a
 * shutdown would leave it. "@@rehearse" lines mark its stages for the host.
 */
export function rescueScript(o: RescueScriptOptions): string {
  const { unit, script } = rehearsalUnit();
  const live = ['sh', shq(join(o.medium, 'bundle/live.sh')), '--medium', shq(o.medium), '--repo', shq(o.repo), '--host', shq(o.host), ...(o.identity ? ['--identity', shq(o.identity)] : [])];
  return [
    '#!/bin/bash',
    '# Written by sysmanifest rehearse; run as root in its rescue guest, whose only disks are the rehearsal images.',
    'set -u',
    'grep -qw smvm.guest=1 /proc/cmdline || { echo "rehearse: not in the rescue guest; refusing to run" >&2; exit 3; }',
    'dev() { local b; for b in /sys/block/vd*; do [ "$(cat "$b/serial" 2>/dev/null)" = "$1" ] && { echo "/dev/${b##*/}"; return 0; }; done; echo "rehearse: no disk with serial $1 in the rescue guest" >&2; exit 3; }',
    'maps=()',
    ...o.disks.map((d) => `maps+=(--map ${shq(d.id)}="$(dev ${shq(d.serial)})") || exit 3`),
    'echo "@@rehearse stage live"',
    `${live.join(' ')} -- "\${maps[@]}" --yes --json --no-nvram --key-file ${shq(o.keyFile)} --target ${shq(o.target)} --state /run/sysmanifest/rehearse`,
    'rc=$?',
    'echo "@@rehearse rebuild-exit $rc"',
    '[ "$rc" = 0 ] || exit 10',
    'echo "@@rehearse stage shutdown"',
    `t=${shq(o.target)}`,
    'mkdir -p "$t/usr/local/sbin" "$t/etc/systemd/system/multi-user.target.wants" || exit 11',
    `cat > "$t/etc/systemd/system/sysmanifest-rehearse.service" <<'UNIT' || exit 11\n${unit}UNIT`,
    `cat > "$t/usr/local/sbin/sysmanifest-rehearse-report" <<'SCRIPT' || exit 11\n${script}SCRIPT`,
    'ln -sfn /etc/systemd/system/sysmanifest-rehearse.service "$t/etc/systemd/system/multi-user.target.wants/sysmanifest-rehearse.service" || exit 11',
    'sync',
    'umount -R "$t" || { echo "rehearse: cannot unmount $t:" >&2; findmnt -R "$t" >&2; exit 11; }',
    'command -v vgchange >/dev/null && vgchange -q -an >/dev/null 2>&1',
    'for m in /dev/mapper/*; do case $m in */control) ;; *) cryptsetup close "${m##*/}" 2>/dev/null ;; esac; done',
    'command -v mdadm >/dev/null && mdadm --stop --scan >/dev/null 2>&1',
    'sync',
    'echo "@@rehearse done"',
    '',
  ].join('\n');
}

/** The stages of a rehearsal, in order, as the report names them. */
export const REHEARSE_STAGES = ['rescue guest', 'live.sh', 'plan', 'storage', ...SYSTEM_STAGES, 'verify', 'shutdown', 'first boot'] as const;
export type RehearseStage = (typeof REHEARSE_STAGES)[number];

const TITLES: Record<RehearseStage, string> = {
  'rescue guest': 'start the rescue guest (qemu, the images as its only disks)',
  'live.sh': 'live.sh from the medium: the bundle, the repository, the tools, the disks',
  plan: 'rebuild: preflight and plan',
  storage: 'rebuild: storage (partitions, RAID, LUKS, LVM, filesystems)',
  base: 'rebuild: base system',
  packages: 'rebuild: packages',
  etc: 'rebuild: /etc',
  users: 'rebuild: users and secrets',
  homes: 'rebuild: homes and dotfiles',
  boot: 'rebuild: boot loader and initramfs',
  datasets: 'rebuild: datasets from their backups',
  verify: 'rebuild: verify (disks and system tree against the manifest)',
  shutdown: 'add the rehearsal unit, close everything as a shutdown would',
  'first boot': 'boot the rebuilt images with the captured firmware',
};

export function stageStep(s: RehearseStage): Step {
  return { id: `rehearse:${s}`, title: TITLES[s], argv: [], risk: 'read', after: [], stage: s };
}

/**
 * Follows the rescue guest's output: which stage runs, how long each took (host clock at the
 * lines' arrival), the latest line for progress, and — when it fails — what it said.
 */
export class RescueFollower {
  stage: RehearseStage = 'rescue guest';
  readonly ms: Partial<Record<RehearseStage, number>> = {};
  latest = '';
  /** Lines that say what went wrong: a failed step, sysmanifest's error and hint, live.sh's last words, verify's differences. */
  readonly errors: string[] = [];
  rebuildExit: number | undefined;
  done = false;
  private lastLive: string | undefined;
  private since: number;
  private inDifferences = false;
  private readonly emit: (e: ApplyEvent) => void;
  private readonly now: () => number;
  constructor(emit: (e: ApplyEvent) => void, now: () => number = Date.now, first: RehearseStage = 'rescue guest') {
    this.emit = emit;
    this.now = now;
    this.since = now();
    this.stage = first;
    if (first === 'rescue guest') emit({ type: 'start', step: stageStep(this.stage), index: 0, total: REHEARSE_STAGES.length });
  }

  private enter(s: RehearseStage): void {
    if (s === this.stage) return;
    const t = this.now();
    this.ms[this.stage] = (this.ms[this.stage] ?? 0) + (t - this.since);
    this.emit({ type: 'done', step: stageStep(this.stage), ms: t - this.since });
    this.stage = s;
    this.since = t;
    this.emit({ type: 'start', step: stageStep(s), index: REHEARSE_STAGES.indexOf(s), total: REHEARSE_STAGES.length });
  }

  /** Closes the running stage: it ended (ok) or the guest stopped in it (failed). */
  finish(ok: boolean, error?: string): void {
    const t = this.now();
    this.ms[this.stage] = (this.ms[this.stage] ?? 0) + (t - this.since);
    if (ok) this.emit({ type: 'done', step: stageStep(this.stage), ms: t - this.since });
    else this.emit({ type: 'failed', step: stageStep(this.stage), error: new Error(error ?? this.why()[0] ?? 'failed') });
  }

  tick(): void {
    this.emit({ type: 'tick', step: stageStep(this.stage), ms: this.now() - this.since, ...(this.latest ? { line: this.latest } : {}) });
  }

  line(raw: string): void {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('@@rehearse ')) {
      const [, what, arg] = line.split(' ');
      if (what === 'stage' && arg === 'live') this.enter('live.sh');
      else if (what === 'stage' && arg === 'shutdown') this.enter('shutdown');
      else if (what === 'rebuild-exit') this.rebuildExit = Number(arg);
      else if (what === 'done') this.done = true;
      return;
    }
    if (line.startsWith('{')) {
      let e: { event?: unknown; stage?: unknown; error?: unknown; line?: unknown; step?: unknown } | undefined;
      try {
        e = JSON.parse(line) as typeof e;
      } catch {
        e = undefined;
      }
      if (e && typeof e.event === 'string' && typeof e.step === 'string') {
        if (typeof e.stage === 'string' && (REHEARSE_STAGES as readonly string[]).includes(e.stage)) this.enter(e.stage as RehearseStage);
        if (e.event === 'failed' && typeof e.error === 'string') this.errors.push(`step ${e.step}: ${e.error}`);
        if (typeof e.line === 'string') this.latest = printable(e.line);
        return;
      }
    }
    const text = printable(line);
    if (text.trim() === '') return;
    this.latest = text;
    if (text.startsWith('== 5/5 ')) {
      this.enter('plan');
      return;
    }
    if (/^ran \d+ step\(s\), skipped \d+;/.test(text)) {
      this.enter('verify');
      this.inDifferences = /verify: \d+ difference\(s\):/.test(text);
      return;
    }
    if (this.inDifferences && /^ {2}\S/.test(text)) {
      this.errors.push(`differs: ${text.trim()}`);
      return;
    }
    this.inDifferences = false;
    if (/^(sysmanifest|hint|rehearse): /.test(text)) this.errors.push(text);
    else if (text.startsWith('live.sh: ')) this.lastLive = text;
  }

  /** What to say when the guest stopped: the errors seen, else live.sh's last words, else the last line. */
  why(): string[] {
    if (this.errors.length) return [...new Set(this.errors)];
    return [this.lastLive ?? this.latest].filter(Boolean);
  }
}

/** What the booted system wrote to its serial port (the rehearsal unit's report). */
export interface BootReport {
  readonly up: boolean;
  readonly state?: string;
  readonly kernel?: string;
  readonly host?: string;
  readonly failedUnits: readonly string[];
}

export function parseBootConsole(text: string): BootReport {
  const lines = text.replaceAll('\r', '').split('\n');
  const up = lines.find((l) => l.includes(`${MARK}-UP `));
  const field = (k: string): string | undefined => (up ? new RegExp(`${k}=(\\S*)`).exec(up)?.[1] : undefined);
  const failedUnits = lines.flatMap((l) => {
    const m = new RegExp(`${MARK}-FAILED (\\S+)`).exec(l);
    return m ? [printable(m[1]!)] : [];
  });
  const state = field('state');
  const kernel = field('kernel');
  const host = field('host');
  return { up: up !== undefined && lines.some((l) => l.includes(`${MARK}-END`)), ...(state !== undefined ? { state } : {}), ...(kernel !== undefined ? { kernel } : {}), ...(host !== undefined ? { host } : {}), failedUnits };
}

/** Where a file of the rescue guest lives: beside the bundle's program, or in the checkout's bootstrap/. */
export function rescueFile(name: 'rescue-vm.sh' | 'rescue-kernel.sh'): string {
  for (const p of [join(PROJECT_ROOT, name), join(PROJECT_ROOT, 'bootstrap', name)]) if (existsSync(p)) return p;
  throw new UserError('TOOL_MISSING', `${name} is not in this installation (${PROJECT_ROOT})`, { hint: 'run rehearse from the bundle (npm run bundle) or from a checkout' });
}

export interface RehearseOptions {
  readonly manifestFile: string;
  readonly manifest: Manifest;
  readonly repo: string;
  readonly host: string;
  readonly medium: string;
  readonly identity?: string;
  /** Where the images, the logs and the key file go (created). */
  readonly work: string;
  readonly keep: boolean;
  readonly timeoutSec: number;
  readonly bootTimeoutSec: number;
  readonly memMb: number;
  /** SMVM_HOME: the rescue kernel's cache. */
  readonly kernelCache: string;
  /** Boot the images a rehearsal with --keep left in `work` again; no rebuild. */
  readonly bootOnly?: boolean;
  /**
   * A live system's tree (a debootstrap minbase with kmod and udev, as a live USB has) for the
   * rescue guest to run on instead of this machine's programs: live.sh then installs what the
   * rebuild needs from the medium, as on the bad day.
   */
  readonly liveRoot?: string;
}

/** The host directories the rescue guest must see when it runs on a live tree: each once, none inside another. */
export function sharedDirs(dirs: readonly string[]): string[] {
  const sorted = [...new Set(dirs)].sort();
  const out: string[] = [];
  for (const d of sorted) {
    if (!d.startsWith('/') || /[,\s]/.test(d)) throw new UserError('USAGE', `${d}: the rescue guest shares host directories by absolute paths without commas or blanks`, { hint: 'put the medium, the repository, the work directory and the key where their paths have none' });
    if (!out.some((o) => d === o || d.startsWith(`${o}/`))) out.push(d);
  }
  return out;
}

export interface RehearseResult {
  readonly pass: boolean;
  /** The stage that failed. */
  readonly failedStage?: RehearseStage;
  readonly errors: readonly string[];
  readonly stageMs: Partial<Record<RehearseStage, number>>;
  readonly boot?: BootReport;
  readonly firmware: 'uefi' | 'bios';
  readonly work: string;
  readonly images: readonly RehearsalDisk[];
  readonly kept: boolean;
}


/** Checks that need no guest: what the rehearsal needs on this machine, before anything is made. */
export async function preflightRehearse(runner: MutatingRunner, o: RehearseOptions): Promise<'uefi' | 'bios'> {
  if (process.getuid?.() !== 0) throw new UserError('NOT_ROOT', 'rehearse runs as root: the rescue guest shares this machine\'s programs with qemu\'s 9p export of /', { hint: 'run it with sudo' });
  if (process.arch !== 'x64') throw new UserError('REFUSED', `rehearse runs on x86_64 hosts (the rescue guest is qemu-system-x86_64); this is ${process.arch}`);
  const firmware = o.manifest.boot?.firmware;
  if (firmware !== 'uefi' && firmware !== 'bios') throw new UserError('REFUSED', `boot.firmware: ${JSON.stringify(firmware ?? null)} — the rehearsal boots the images with the captured firmware, and the manifest does not say which`);
  for (const [prog, pkg] of [['qemu-system-x86_64', 'qemu-system-x86'], ['cpio', 'cpio'], ['gzip', 'gzip']] as const) {
    if (!(await runner.hasProgram(prog))) throw new UserError('TOOL_MISSING', `${prog} is not installed: the rescue guest needs it`, { hint: `apt-get install ${pkg}` });
  }
  if (firmware === 'uefi' && !existsSync('/usr/share/OVMF/OVMF_CODE_4M.fd')) throw new UserError('TOOL_MISSING', 'the manifest boots by UEFI and OVMF (/usr/share/OVMF/OVMF_CODE_4M.fd) is not installed', { hint: 'apt-get install ovmf' });
  for (const f of ['sysmanifest-medium', 'bundle/live.sh', 'bundle/bin/sysmanifest.js']) {
    if (!existsSync(join(o.medium, f))) throw new UserError('USAGE', `${o.medium} is not a complete sysmanifest medium (no ${f})`, { hint: 'write one with sysmanifest medium --out DIR (capture --commit --medium DIR keeps it current)' });
  }
  if (!existsSync(join(o.medium, 'mirror', o.host, 'dists'))) throw new UserError('USAGE', `${o.medium} has no package mirror for ${o.host} (mirror/${o.host}/dists): the rescue guest has no network`, { hint: `sysmanifest medium --out ${o.medium} --host ${o.host}` });
  return firmware;
}

export async function rehearse(runner: MutatingRunner, o: RehearseOptions, emit: (e: ApplyEvent) => void, say: (s: string) => void): Promise<RehearseResult> {
  const firmware = await preflightRehearse(runner, o);
  const disks = rehearsalDisks(o.manifest, join(o.work, 'images'));
  const keep = o.keep || o.bootOnly === true; // --boot-only boots images the user kept: they stay
  if (o.bootOnly) {
    for (const d of disks) {
      const st = await stat(d.image).catch(() => undefined);
      if (st?.size !== d.sizeBytes) throw new UserError('USAGE', `--boot-only: ${d.image} ${st ? `has ${st.size} bytes, not the ${d.sizeBytes} of ${d.id}` : 'does not exist'}`, { hint: 'give --work the directory of a rehearsal of this manifest that ran with --keep' });
    }
  }
  await mkdir(join(o.work, 'images'), { recursive: true, mode: 0o700 });

  // The rescue guest's kernel (Debian's, cached): fetched once.
  if (!existsSync(join(o.kernelCache, 'kernel/.ready'))) {
    say(`the rescue guest's kernel is not cached in ${o.kernelCache}: fetching it (apt-get download of Debian's linux-image-amd64 and busybox-static)`);
    await runner.mutate(['env', `SMVM_HOME=${o.kernelCache}`, 'bash', rescueFile('rescue-kernel.sh')], { timeoutMs: 30 * 60_000, onLine: (l) => say(l.trimEnd()) });
  }
  const vm = ['env', `SMVM_HOME=${o.kernelCache}`, 'bash', rescueFile('rescue-vm.sh')];
  const diskArgs = disks.flatMap((d) => ['--disk', `${d.image}:${d.sizeBytes}:${d.serial}:virtio`]);
  const f = new RescueFollower(emit, Date.now, o.bootOnly ? 'first boot' : 'rescue guest');
  const result = async (failed?: { stage: RehearseStage; errors: string[] }, boot?: BootReport): Promise<RehearseResult> => {
    if (!keep) for (const d of disks) await rm(d.image, { force: true });
    return { pass: failed === undefined, ...(failed ? { failedStage: failed.stage } : {}), errors: failed?.errors ?? [], stageMs: { ...f.ms }, ...(boot ? { boot } : {}), firmware, work: o.work, images: disks, kept: keep };
  };
  if (!o.bootOnly) {
    const errors = await rescue(runner, o, vm, disks, diskArgs, f);
    if (errors) return result({ stage: f.stage, errors });
  }
  const boot = await firstBoot(runner, o, vm, firmware, diskArgs, f, emit);
  return 'errors' in boot ? result({ stage: 'first boot', errors: boot.errors }) : result(undefined, boot);
}

/** The rescue guest: live.sh from the medium rebuilds onto fresh images. Undefined when it went through, else what went wrong. */
async function rescue(runner: MutatingRunner, o: RehearseOptions, vm: readonly string[], disks: readonly RehearsalDisk[], diskArgs: readonly string[], f: RescueFollower): Promise<string[] | undefined> {
  // A throw-away passphrase for the rehearsal's LUKS containers (the images are scratch).
  const keyFile = join(o.work, 'rehearsal-luks.key');
  await writeFile(keyFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  const script = join(o.work, 'rescue.sh');
  await writeFile(script, rescueScript({ medium: o.medium, repo: o.repo, host: o.host, ...(o.identity ? { identity: o.identity } : {}), keyFile, disks, target: '/mnt/sysmanifest' }), { mode: 0o600 });
  for (const d of disks) {
    await rm(d.image, { force: true });
    await writeFile(d.image, '');
    await runner.mutate(['truncate', '-s', String(d.sizeBytes), d.image]);
  }
  const ticker = setInterval(() => f.tick(), 10_000);
  const lines: string[] = [];
  let guest;
  try {
    const live = o.liveRoot === undefined ? [] : ['--root', o.liveRoot, ...sharedDirs([o.medium, o.repo, o.work, ...(o.identity ? [dirname(o.identity)] : [])]).flatMap((d) => ['--ro', d])];
    guest = await runner.mutate([...vm, ...live, '--mem', String(o.memMb), '--timeout', String(o.timeoutSec), '--console', join(o.work, 'rescue-console.log'), ...diskArgs, '--', `bash ${shq(script)}`], {
      okExitCodes: ANY_EXIT_CODE,
      processGroup: true,
      timeoutMs: (o.timeoutSec + 120) * 1000,
      onLine: (l) => {
        lines.push(l);
        f.line(l.replace(/\n$/, ''));
      },
    });
  } finally {
    clearInterval(ticker);
    await writeFile(join(o.work, 'rescue.log'), lines.join(''));
  }
  await writeFile(join(o.work, 'rescue.log'), `${guest.stdout}${guest.stderr ? `\n--- the rescue guest's harness ---\n${guest.stderr}` : ''}`);
  if (guest.exitCode === 0 && f.done) {
    f.finish(true);
    return undefined;
  }
  const why = guest.exitCode === 124 ? [`the rescue guest ran out of time (--timeout ${o.timeoutSec} s)`] : [];
  const harness = guest.stderr.split('\n').filter((l) => /^run-in-vm: (?!qemu |boot )/.test(l));
  const said = f.why();
  const errors = [...why, ...said, ...harness, ...(said.length || why.length || harness.length ? [] : [`the rescue guest stopped (exit ${guest.exitCode})`])];
  f.finish(false, errors[0]);
  return errors;
}

/** Things on the console or in the firmware's log that mean the boot will not come up: no need to wait for the timeout. */
const BOOT_FAILURES = 'grub rescue>|Kernel panic|No bootable device|Boot failed: not a bootable disk|You are in emergency mode|Give root password for maintenance';

/** The first boot of the rebuilt images with the captured firmware, watched on the serial console. */
async function firstBoot(runner: MutatingRunner, o: RehearseOptions, vm: readonly string[], firmware: 'uefi' | 'bios', diskArgs: readonly string[], f: RescueFollower, emit: (e: ApplyEvent) => void): Promise<BootReport | { errors: string[] }> {
  const step = stageStep('first boot');
  emit({ type: 'start', step, index: REHEARSE_STAGES.length - 1, total: REHEARSE_STAGES.length });
  const t0 = Date.now();
  const consoleLog = join(o.work, 'boot-console.log');
  await rm(consoleLog, { force: true });
  const ticker = setInterval(() => emit({ type: 'tick', step, ms: Date.now() - t0 }), 10_000);
  let booted;
  try {
    booted = await runner.mutate([...vm, '--boot-disk', ...(firmware === 'uefi' ? ['--uefi'] : []), '--mem', String(Math.min(o.memMb, 2048)), '--timeout', String(o.bootTimeoutSec), '--expect', `${MARK}-END`, '--fail-on', BOOT_FAILURES, '--console', consoleLog, ...diskArgs], {
      okExitCodes: ANY_EXIT_CODE,
      processGroup: true,
      timeoutMs: (o.bootTimeoutSec + 60) * 1000,
    });
  } finally {
    clearInterval(ticker);
  }
  const ms = Date.now() - t0;
  f.ms['first boot'] = ms;
  const text = existsSync(consoleLog) ? await readFile(consoleLog, 'utf8') : '';
  await writeFile(join(o.work, 'boot.log'), booted.stderr);
  const report = parseBootConsole(text);
  if (booted.exitCode === 0 && report.up) {
    emit({ type: 'done', step, ms });
    return report;
  }
  const seen = /run-in-vm: (saw \/.*\/ after [\d.]+s: giving up|timeout after \d+s[^\n]*|guest stopped without[^\n]*|qemu failed[^\n]*)/.exec(booted.stderr)?.[1];
  const firmwareSaid = booted.stderr.split('\n').filter((l) => /No bootable device|Boot failed|Booting from/.test(l)).slice(-3);
  const tail = text.replaceAll('\r', '').split('\n').map((l) => printable(l).trim()).filter(Boolean).slice(-8);
  const errors = [`the rebuilt system did not report that it is up${seen ? ` (${seen})` : ''}`, ...firmwareSaid.map((l) => `firmware: ${printable(l).trim()}`), ...tail.map((l) => `console: ${l}`)];
  emit({ type: 'failed', step, error: new Error(errors[0]!) });
  return { errors };
}

/** The images' apparent size and the bytes they really take (they are sparse: only what the rebuild wrote). */
export async function imageBytes(disks: readonly RehearsalDisk[]): Promise<{ apparent: number; used: number }> {
  let apparent = 0;
  let used = 0;
  for (const d of disks) {
    apparent += d.sizeBytes;
    try {
      used += (await stat(d.image)).blocks * 512;
    } catch {
      /* gone */
    }
  }
  return { apparent, used };
}
