// The users stage for real, in a private `cp -a` copy of the cached Debian 12 chroot (root; no
// loop device, nothing mounted). An "original machine" is made in the copy — system accounts
// created in one order (so their dynamic ids are what that order gave), a group, and two human
// users, one with supplementary groups — and captured with the users provider. Then the copy's
// account files are put back to the fresh base, and the same system accounts are created in
// another order, as a fresh install whose packages went in differently would (ids swapped and
// shifted), with files owned by them, one of them set-group-ID. The planned steps run through
// the real applier (core/plan/apply.ts, a host MutatingRunner); the copy captured again must
// verify empty, the files must follow their accounts, and a rerun must change nothing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { confinedRunner } from '../../src/core/confine/index.ts';
import type { Accounts, Manifest } from '../../src/core/manifest/types.gen.ts';
import { applyPlan } from '../../src/core/plan/apply.ts';
import { Journal } from '../../src/core/plan/journal.ts';
import { PLAN_VERSION, type Plan, type Step } from '../../src/core/plan/types.ts';
import { hostMutatingRunner, hostReadOnlyRunner } from '../../src/core/runner/exec.ts';
import { provider as users, verifyUsers } from '../../src/providers/system/users/index.ts';
import { copyChroot, ensureChrootCache } from '../lib/chroot.ts';

const skip = ensureChrootCache();
const ACCOUNT_FILES = ['passwd', 'group', 'shadow', 'gshadow', 'subuid', 'subgid'];

let root: string;
let work: string;

const inRoot = (...argv: string[]): string => execFileSync('chroot', [root, ...argv], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });

async function captureRoot(): Promise<Accounts> {
  const part = await users.contribute({ runner: confinedRunner(hostReadOnlyRunner(), root), root });
  return part.users!;
}

/** A system account as a package's maintainer script makes it (adduser --system / sysusers: next free id from the top). */
function systemAccount(name: string, home: string): void {
  inRoot('groupadd', '-r', name);
  inRoot('useradd', '-r', '-g', name, '-d', home, '-s', '/usr/sbin/nologin', '-c', `${name} daemon`, '-M', name);
}

/** Owner, group and mode of every path under the copy (for "a rerun changes nothing"). */
function ownership(): string {
  return execFileSync('find', [root, '-xdev', '-printf', '%U %G %m %P\\n'], { encoding: 'utf8', maxBuffer: 256 << 20 });
}

const accountBytes = (): string[] => ACCOUNT_FILES.map((f) => (existsSync(join(root, 'etc', f)) ? readFileSync(join(root, 'etc', f), 'utf8') : ''));

async function runSteps(manifest: Manifest, journalName: string, only: (s: Step) => boolean = () => true): Promise<{ ran: number }> {
  const steps = users.plan!({ manifest, target: root, hostDir: work, mirrors: [], cacheDir: join(work, 'cache'), inputs: {} }).filter(only);
  const plan: Plan = { version: PLAN_VERSION, manifestSha256: '0'.repeat(64), host: 'h', disks: {}, wipe: [], steps, target: root };
  const journal = await Journal.open(join(work, journalName));
  return applyPlan(hostMutatingRunner(), plan, { journal, secret: () => Promise.reject(new Error('no secret is asked for')) });
}

before(() => {
  if (skip) return;
  root = copyChroot();
  work = mkdtempSync(join(tmpdir(), 'sysmanifest-users-stage-'));
});

after(() => {
  if (skip) return;
  rmSync(dirname(root), { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

let manifest: Manifest;
let original: Accounts;
const id = (name: string): { uid: number; gid: number } => {
  const u = original.users.find((x) => x.name === name)!;
  return { uid: u.uid, gid: u.gid };
};

/** The original machine, captured: its system accounts made in one order, a group, two human users. */
async function originalMachine(): Promise<void> {
  for (const f of ACCOUNT_FILES) if (existsSync(join(root, 'etc', f))) copyFileSync(join(root, 'etc', f), join(work, f));
  for (const name of ['messagebus', 'systemd-network', 'systemd-timesync']) systemAccount(name, '/nonexistent');
  // The admin put systemd-network into adm and gave it another comment: fields an existing account must get.
  inRoot('usermod', '-a', '-G', 'adm', '-c', 'systemd Network Management', 'systemd-network');
  inRoot('groupadd', '-g', '1500', 'family');
  inRoot('useradd', '-M', '-u', '1000', '-U', '-G', 'sudo,users,family', '-s', '/bin/bash', '-d', '/home/alice', '-c', 'Alice Liddell,Room 1,,', 'alice');
  inRoot('useradd', '-M', '-u', '1001', '-U', '-s', '/bin/sh', '-d', '/home/bob', '-c', 'Bob', 'bob');
  original = await captureRoot();
  manifest = { apiVersion: 'sysmanifest/v1', host: { hostname: 'h' }, users: original };
}

/** The fresh install: base accounts only, then the same system accounts in another order, and files of theirs. */
async function freshInstall(): Promise<void> {
  for (const f of ACCOUNT_FILES) {
    if (existsSync(join(work, f))) copyFileSync(join(work, f), join(root, 'etc', f));
    else rmSync(join(root, 'etc', f), { force: true });
  }
  for (const name of ['systemd-timesync', 'systemd-network', 'messagebus']) systemAccount(name, '/nonexistent');
  const fresh = await captureRoot();
  const freshId = (name: string): number => fresh.users.find((u) => u.name === name)!.uid;
  // The premise: the fresh tree gave these accounts other ids (messagebus and systemd-timesync swapped).
  assert.notEqual(freshId('messagebus'), id('messagebus').uid);
  assert.equal(freshId('messagebus'), id('systemd-timesync').uid);
  // Their files: a state directory of each, and a set-group-ID program of messagebus's group.
  inRoot('mkdir', '-p', '/var/lib/t/bus', '/var/lib/t/net', '/var/lib/t/time');
  for (const n of ['bus', 'net', 'time']) {
    const owner = { bus: 'messagebus', net: 'systemd-network', time: 'systemd-timesync' }[n];
    inRoot('touch', `/var/lib/t/${n}/state`);
    inRoot('chown', '-R', `${owner}:${owner}`, `/var/lib/t/${n}`);
  }
  inRoot('cp', '/bin/true', '/usr/local/bin/bus-helper');
  inRoot('chown', 'root:messagebus', '/usr/local/bin/bus-helper');
  inRoot('chmod', '2755', '/usr/local/bin/bus-helper');
}

/** The rebuilt accounts verify empty, and every file followed its account's id. */
async function assertRebuilt(): Promise<void> {
  assert.deepEqual(verifyUsers(manifest, await captureRoot()), []);
  const st = (p: string) => statSync(join(root, p));
  for (const [dir, owner] of [['bus', 'messagebus'], ['net', 'systemd-network'], ['time', 'systemd-timesync']] as const) {
    for (const p of [`var/lib/t/${dir}`, `var/lib/t/${dir}/state`]) assert.deepEqual([st(p).uid, st(p).gid], [id(owner).uid, id(owner).gid], `${p} belongs to ${owner}`);
  }
  const helper = st('usr/local/bin/bus-helper');
  assert.equal(helper.gid, id('messagebus').gid);
  assert.equal(helper.mode & 0o7777, 0o2755, 'set-group-ID kept through chown');
}

test('users stage: a fresh tree with other dynamic ids becomes the captured accounts; files follow their ids; a rerun changes nothing', { skip }, async () => {
  await originalMachine();
  assert.deepEqual(original.users.find((u) => u.name === 'alice'), { name: 'alice', uid: 1000, gid: 1000, group: 'alice', groups: ['family', 'sudo', 'users'], home: '/home/alice', shell: '/bin/bash', gecos: 'Alice Liddell,Room 1,,', system: false });
  await freshInstall();

  const first = await runSteps(manifest, 'journal-1');
  assert.equal(first.ran, 2 + original.groups.length + original.users.length);
  await assertRebuilt();
  assert.equal(existsSync(join(root, 'home/alice')), false, 'no home: the homes stage makes it');
  assert.match(readFileSync(join(root, 'etc/group'), 'utf8'), /^family:x:1500:alice$/m);
  assert.match(readFileSync(join(root, 'etc/group'), 'utf8'), /^adm:x:4:systemd-network$/m);

  // A rerun (a new journal: every step runs again) finds nothing to do.
  const [filesBefore, ownersBefore] = [accountBytes(), ownership()];
  const second = await runSteps(manifest, 'journal-2');
  assert.equal(second.ran, first.ran);
  assert.deepEqual(accountBytes(), filesBefore);
  assert.equal(ownership(), ownersBefore);
  assert.deepEqual(verifyUsers(manifest, await captureRoot()), []);
});

test('users stage: a crash inside a step, after the files were re-owned and before groupmod/usermod, is finished by the rerun', { skip }, async () => {
  assert.ok(manifest, 'the first test captured the original machine');
  await freshInstall();
  // Up to the crash: the free-gids step, then the first half of group:messagebus (its files re-owned).
  await runSteps(manifest, 'journal-3', (s) => s.id === 'users:free-gids');
  const gidNow = Number(/^messagebus:x:(\d+):/m.exec(readFileSync(join(root, 'etc/group'), 'utf8'))![1]);
  assert.notEqual(gidNow, id('messagebus').gid);
  execFileSync('find', [root, '-xdev', '-gid', String(gidNow), '-exec', 'chown', '-h', `:${id('messagebus').gid}`, '{}', '+']);
  inRoot('chmod', '2755', '/usr/local/bin/bus-helper'); // as reown puts the mode back
  // The rerun: a new journal (the crash lost the step), every step.
  await runSteps(manifest, 'journal-4');
  await assertRebuilt();
});
