import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FakeRunner } from '../runner/fake.ts';
import type { CommandResult, RunOptions } from '../runner/types.ts';
import { applyPlan } from './apply.ts';
import { Journal, readJournal } from './journal.ts';
import { PLAN_VERSION, type Plan, type Step } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-apply-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const steps: Step[] = [
  { id: 'table:disk0', title: 'GPT', argv: ['sfdisk', '/dev/vdb'], input: { kind: 'text', text: 'label: gpt\n' }, risk: 'create', after: [] },
  { id: 'luks:disk0p1', title: 'LUKS', argv: ['cryptsetup', 'luksFormat', '/dev/vdb1'], input: { kind: 'secret', secret: 'luks-passphrase' }, risk: 'create', after: ['table:disk0'] },
  { id: 'mkfs:disk0p2', title: 'mkfs', argv: ['mkfs.ext4', '/dev/vdb2'], risk: 'create', after: ['table:disk0'], check: { device: '/dev/vdb2', probe: { TYPE: 'ext4', UUID: 'u-1' } } },
];
const plan: Plan = { version: PLAN_VERSION, manifestSha256: 'x', host: 'h', disks: { disk0: '/dev/vdb' }, wipe: [], steps, target: '/mnt/t' };

/** A fake machine that "crashes" (throws) once the n-th mutation has run. */
class CrashingRunner extends FakeRunner {
  inputs: Array<string | Uint8Array | undefined> = [];
  crashAfter: number;
  constructor(crashAfter: number, files: Record<string, string> = {}, blkid = '') {
    super({
      commands: { 'sfdisk /dev/vdb': '', 'cryptsetup luksFormat /dev/vdb1': '', 'mkfs.ext4 /dev/vdb2': '', 'blkid -p -o export /dev/vdb2': blkid },
      files,
    });
    this.crashAfter = crashAfter;
  }
  override async mutate(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    this.inputs.push(options.input);
    const r = await super.mutate(argv, options);
    if (this.mutations.length === this.crashAfter) throw new Error('power cut');
    return r;
  }
}

test('apply runs every step in order, feeds text and secret inputs, journals start/done', async () => {
  const journal = await Journal.open(join(dir, 'a', 'journal.jsonl'));
  const runner = new CrashingRunner(99);
  const r = await applyPlan(runner, plan, { journal, secret: async () => 'pw' });
  assert.deepEqual(r, { ran: 3, skipped: 0, outstanding: [] });
  assert.deepEqual(runner.mutations, steps.map((s) => s.argv));
  assert.deepEqual(runner.inputs, ['label: gpt\n', 'pw', undefined]);
  const events = (await readJournal(join(dir, 'a', 'journal.jsonl'))).map((e) => `${e.step}:${e.event}`);
  assert.deepEqual(events, ['table:disk0:start', 'table:disk0:done', 'luks:disk0p1:start', 'luks:disk0p1:done', 'mkfs:disk0p2:start', 'mkfs:disk0p2:done']);
  assert.ok(!JSON.stringify(await readJournal(join(dir, 'a', 'journal.jsonl'))).includes('pw"'), 'no secret in the journal');
});

test('a crash in a step without a check: the rerun retries that step and skips the finished ones', async () => {
  const path = join(dir, 'b', 'journal.jsonl');
  await assert.rejects(applyPlan(new CrashingRunner(2), plan, { journal: await Journal.open(path), secret: async () => 'pw' }), /power cut/);
  const rerun = new CrashingRunner(99);
  const r = await applyPlan(rerun, plan, { journal: await Journal.open(path), secret: async () => 'pw' });
  assert.deepEqual(r, { ran: 2, skipped: 1, outstanding: [] });
  assert.deepEqual(rerun.mutations, [steps[1]!.argv, steps[2]!.argv]);
});

test('a crash after mkfs ran: the rerun checks the device identity and does not run mkfs again', async () => {
  const path = join(dir, 'c', 'journal.jsonl');
  await assert.rejects(applyPlan(new CrashingRunner(3), plan, { journal: await Journal.open(path), secret: async () => 'pw' }), /power cut/);
  const rerun = new CrashingRunner(99, { '/dev/vdb2': '' }, 'UUID=u-1\nTYPE=ext4\n');
  const r = await applyPlan(rerun, plan, { journal: await Journal.open(path), secret: async () => 'pw' });
  assert.deepEqual(r, { ran: 0, skipped: 3, outstanding: [] });
  assert.deepEqual(rerun.mutations, []);
});

test('a crash after mkfs ran, but the device has another identity: mkfs runs again', async () => {
  const path = join(dir, 'd', 'journal.jsonl');
  await assert.rejects(applyPlan(new CrashingRunner(3), plan, { journal: await Journal.open(path), secret: async () => 'pw' }), /power cut/);
  const rerun = new CrashingRunner(99, { '/dev/vdb2': '' }, 'UUID=other\nTYPE=ext4\n');
  const r = await applyPlan(rerun, plan, { journal: await Journal.open(path), secret: async () => 'pw' });
  assert.deepEqual(r, { ran: 1, skipped: 2, outstanding: [] });
  assert.deepEqual(rerun.mutations, [steps[2]!.argv]);
});

test('resume after a reboot: a runtime step the journal calls done runs again when its check finds it undone, not when it holds', async () => {
  const mount: Step = { id: 'mount:/', title: 'mount /', argv: ['mount', '/dev/vdb2', '/mnt/t'], risk: 'create', runtime: true, check: { device: '', probe: {}, mountpoint: '/mnt/t' }, after: [] };
  const next: Step = { id: 'next', title: 'next', argv: ['true'], risk: 'create', after: ['mount:/'] };
  const p: Plan = { ...plan, steps: [mount, next] };
  const file = join(dir, 'reboot', 'journal.jsonl');
  const first = await Journal.open(file);
  await applyPlan(new FakeRunner({ commands: { 'mount /dev/vdb2 /mnt/t': '', true: '' } }), { ...p, steps: [mount] }, { journal: first, secret: async () => '' });
  // After a reboot nothing is mounted: findmnt exits 1, the mount runs again, then the next step.
  const rebooted = new FakeRunner({ commands: { 'mount /dev/vdb2 /mnt/t': '', true: '', 'findmnt --noheadings --mountpoint /mnt/t': { exitCode: 1, stdout: '' } } });
  assert.deepEqual(await applyPlan(rebooted, p, { journal: await Journal.open(file), secret: async () => '' }), { ran: 2, skipped: 0, outstanding: [] });
  assert.deepEqual(rebooted.mutations, [mount.argv, next.argv]);
  // Still mounted (a crash, no reboot): skipped.
  const crashed = new FakeRunner({ commands: { true: '', 'findmnt --noheadings --mountpoint /mnt/t': '/mnt/t /dev/vdb2 ext4 rw\n' } });
  const file2 = join(dir, 'reboot2', 'journal.jsonl');
  await applyPlan(new FakeRunner({ commands: { 'mount /dev/vdb2 /mnt/t': '' } }), { ...p, steps: [mount] }, { journal: await Journal.open(file2), secret: async () => '' });
  assert.deepEqual(await applyPlan(crashed, p, { journal: await Journal.open(file2), secret: async () => '' }), { ran: 1, skipped: 1, outstanding: [] });
  assert.deepEqual(crashed.mutations, [next.argv]);
});

test('resume after a reboot of the live system: the mount point it made is gone, so mkdir runs again before the mount (the beta machine of the e2e test failed here)', async () => {
  const mkdir: Step = { id: 'mkdir:/', title: 'mount point', argv: ['mkdir', '-p', '--', '/mnt/t'], risk: 'create', runtime: true, check: { device: '/mnt/t', probe: {}, directory: '/mnt/t' }, after: [] };
  const mount: Step = { id: 'mount:/', title: 'mount /', argv: ['mount', '/dev/vdb2', '/mnt/t'], risk: 'create', runtime: true, check: { device: '', probe: {}, mountpoint: '/mnt/t' }, after: ['mkdir:/'] };
  const p: Plan = { ...plan, steps: [mkdir, mount] };
  const file = join(dir, 'reboot-mkdir', 'journal.jsonl');
  await applyPlan(new FakeRunner({ commands: { 'mkdir -p -- /mnt/t': '', 'mount /dev/vdb2 /mnt/t': '' } }), p, { journal: await Journal.open(file), secret: async () => '' });
  const rebooted = new FakeRunner({ commands: { 'mkdir -p -- /mnt/t': '', 'mount /dev/vdb2 /mnt/t': '', 'findmnt --noheadings --mountpoint /mnt/t': { exitCode: 1, stdout: '' } } });
  assert.deepEqual(await applyPlan(rebooted, p, { journal: await Journal.open(file), secret: async () => '' }), { ran: 2, skipped: 0, outstanding: [] });
  assert.deepEqual(rebooted.mutations, [mkdir.argv, mount.argv]);
  // No reboot: the directory is there and mounted; nothing runs.
  const same = new FakeRunner({ commands: { 'findmnt --noheadings --mountpoint /mnt/t': '/mnt/t /dev/vdb2 ext4 rw\n' }, dirs: ['/mnt/t'] });
  assert.deepEqual(await applyPlan(same, p, { journal: await Journal.open(file), secret: async () => '' }), { ran: 0, skipped: 2, outstanding: [] });
});

test('an ensure step is skipped even the first time when its check already holds (md --create left the array running: no --assemble)', async () => {
  const assemble: Step = { id: 'md-assemble:md0', title: 'assemble', argv: ['mdadm', '--assemble', '--run', '/dev/md/0'], risk: 'create', runtime: true, ensure: true, check: { device: '/dev/md/0', probe: {} }, after: [] };
  const running = new FakeRunner({ commands: { 'blkid -p -o export /dev/md/0': 'TYPE=ext4\n' }, files: { '/dev/md/0': '' } });
  assert.deepEqual(await applyPlan(running, { ...plan, steps: [assemble] }, { journal: await Journal.open(join(dir, 'ensure1', 'journal.jsonl')), secret: async () => '' }), { ran: 0, skipped: 1, outstanding: [] });
  assert.deepEqual(running.mutations, []);
  const stopped = new FakeRunner({ commands: { 'mdadm --assemble --run /dev/md/0': '' } });
  assert.deepEqual(await applyPlan(stopped, { ...plan, steps: [{ ...assemble, waitFor: [] }] }, { journal: await Journal.open(join(dir, 'ensure2', 'journal.jsonl')), secret: async () => '' }), { ran: 1, skipped: 0, outstanding: [] });
});

test('a long step: its output lines are followed (printable, trimmed) and a tick reports the time so far with the latest line; other steps run without', async () => {
  class Talking extends FakeRunner {
    withLines: string[] = [];
    override async mutate(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
      if (options.onLine) {
        this.withLines.push(argv[0]!);
        options.onLine('Get:1 file:/m bookworm/main amd64 hello 2.10-3\n');
        await new Promise((r) => setTimeout(r, 60));
        options.onLine('   \n');
        options.onLine(`Unpacking ${'x'.repeat(300)}\n`);
        await new Promise((r) => setTimeout(r, 60));
      }
      return super.mutate(argv, options);
    }
  }
  const long: Plan = { ...plan, steps: [{ id: 'packages:install', title: 'apt', argv: ['apt-apply'], risk: 'create', after: [], long: true }, { id: 'x', title: 'short', argv: ['true'], risk: 'create', after: [] }] };
  const runner = new Talking({ commands: { 'apt-apply': '', true: '' } });
  const events: string[] = [];
  await applyPlan(runner, long, { journal: await Journal.open(join(dir, 'long', 'journal.jsonl')), secret: async () => '', tickMs: 25, onEvent: (e) => events.push(e.type === 'output' || e.type === 'tick' ? `${e.type}:${e.step.id}:${e.line ?? ''}` : `${e.type}:${e.step.id}`) });
  assert.deepEqual(runner.withLines, ['apt-apply'], 'only the long step is followed');
  const outputs = events.filter((e) => e.startsWith('output:'));
  assert.deepEqual(outputs, ['output:packages:install:Get:1 file:/m bookworm/main amd64 hello 2.10-3', `output:packages:install:Unpacking ${'x'.repeat(147)}...`]);
  const ticks = events.filter((e) => e.startsWith('tick:'));
  assert.ok(ticks.length >= 2, events.join('\n'));
  assert.ok(ticks.every((t) => t.startsWith('tick:packages:install:Get:1') || t.startsWith('tick:packages:install:Unpacking')), ticks.join('\n'));
  const last = events.lastIndexOf('done:packages:install');
  assert.ok(events.slice(last).every((e) => !e.startsWith('tick:')), 'no tick after the step is done');
});

test('a deferrable step that fails is outstanding: the steps after it run, the journal keeps it failed, the rerun runs only it', async () => {
  const path = join(dir, 'deferred', 'journal.jsonl');
  const optional: Step = { id: 'datasets:music', title: 'dataset music', argv: ['restore', 'music'], risk: 'create', after: [], deferrable: true };
  const p = { ...plan, steps: [steps[0]!, optional, { ...steps[2]!, check: undefined }] as Step[] };
  class Unplugged extends CrashingRunner {
    plugged = false;
    override async mutate(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
      if (argv[0] !== 'restore') return super.mutate(argv, options);
      if (!this.plugged) throw new Error('restore music failed (exit 1):\nsysmanifest: music: no reachable target holds a complete snapshot\nhint: mount the disk');
      this.mutations.push([...argv]);
      return { argv, exitCode: 0, stdout: '', stderr: '' };
    }
  }
  const first = new Unplugged(99, {}, '');
  const events: string[] = [];
  const r = await applyPlan(first, p, { journal: await Journal.open(path), secret: async () => '', onEvent: (e) => events.push(`${e.type}:${e.step.id}`) });
  assert.deepEqual(r, { ran: 2, skipped: 0, outstanding: [{ id: 'datasets:music', title: 'dataset music', message: 'music: no reachable target holds a complete snapshot hint: mount the disk' }] });
  assert.deepEqual(first.mutations, [steps[0]!.argv, steps[2]!.argv], 'the step after the outstanding one ran');
  assert.ok(events.includes('deferred:datasets:music'));
  const again = new Unplugged(99);
  again.plugged = true;
  assert.deepEqual(await applyPlan(again, p, { journal: await Journal.open(path), secret: async () => '' }), { ran: 1, skipped: 2, outstanding: [] });
  assert.deepEqual(again.mutations, [['restore', 'music']]);
});
