// merge etc / merge home / status / resolve / apply / undo through the CLI, on a fresh tree
// made by the test (test/lib/merge-fixture.ts): every case of the issue on small files whose
// three versions are in the fixture. Real git, real files; root (owners are kept and checked).
import assert from 'node:assert/strict';
import { lstatSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cli } from '../lib/cli.ts';
import { makeMergeFixture, NEW_SKEL_BASHRC, type MergeFixture } from '../lib/merge-fixture.ts';

const skip = process.getuid?.() === 0 ? undefined : 'needs root (owners)';
if (skip) console.error(`!! merge: SKIPPED: ${skip}`);
let fx: MergeFixture;
before(async () => {
  if (!skip) fx = await makeMergeFixture();
});
after(() => {
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

/** Every file and link under dir: path → bytes, mode, owner (the staging area left out). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (r === 'var' || r.startsWith('var/')) continue; // the staging area (var/lib/sysmanifest/merge)
      const st = lstatSync(join(dir, r));
      if (st.isDirectory()) {
        out.set(`${r}/`, `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`);
        walk(r);
      }
      else out.set(r, `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${readFileSync(join(dir, r)).toString('base64')}`);
    }
  };
  walk('');
  return out;
}

const run = (...args: string[]) => cli(args, { timeoutMs: 60_000 });
const json = <T>(r: { status: number | null; stdout: string; stderr: string }): T => {
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
};
type Area = { entries: Array<{ path: string; outcome: string; why: string; resolved?: string }>; unchanged: number };
const outcomes = (a: Area): Record<string, string> => Object.fromEntries(a.entries.map((e) => [e.path, e.outcome]));

test('merge etc and merge home: each case decided as the three versions say; apply refused while decisions are open; resolve; apply; undo gives the fresh files back byte for byte', { skip }, () => {
  const before_ = snapshot(fx.fresh);
  const etc = json<Area>(run('merge', 'etc', '--manifest', fx.manifest, '--root', fx.fresh, '--json'));
  assert.deepEqual(outcomes(etc), {
    '/etc/deleted.conf': 'deleted', // the user deleted it, the new release ships the old default: stays deleted
    '/etc/hostname': 'ours', // no base, the machine's identity: the capture's
    '/etc/machine-id': 'clutter',
    '/etc/motd': 'conflict', // both changed line 2
    '/etc/nobase.conf': 'review', // both changed, no base recorded
    '/etc/passwd': 'skipped', // accounts
    '/etc/ssh/sshd_config': 'merged', // the user's line and the new default's lines in different places
    '/etc/sysctl.d/99-local.conf': 'ours', // the user's own file, absent from the fresh system
  });
  assert.equal(etc.unchanged, 1, 'apt/apt.conf.d/50same is the same on both sides');
  assert.deepEqual(snapshot(fx.fresh), before_, 'merge wrote nothing into the fresh system');

  const home = json<Area>(run('merge', 'home', '--user', 'alice', '--manifest', fx.manifest, '--root', fx.fresh, '--json'));
  assert.deepEqual(outcomes(home), {
    '/home/alice/.bashrc': 'merged', // base = the old /etc/skel file (recorded), the user's alias + the new header
    '/home/alice/.cache/junk/x': 'clutter',
    '/home/alice/.config/app/settings.json': 'ours',
    '/home/alice/.vimrc': 'ours',
  });

  const status = run('merge', 'status', '--root', fx.fresh);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /conflicts and files to review \(a decision is needed before apply\): 2/);
  assert.match(status.stdout, /sysmanifest merge resolve \/etc\/motd --ours\|--theirs\|--edit/);

  // apply is refused as a whole while a decision is open, naming each with its command.
  const refused = run('merge', 'apply', '--root', fx.fresh);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /\/etc\/motd: .*\n\s+sysmanifest merge resolve \/etc\/motd/);
  assert.doesNotMatch(refused.stderr, /at .*\.ts:\d+/, 'no stack trace');
  assert.deepEqual(snapshot(fx.fresh), before_);

  assert.equal(run('merge', 'resolve', '/etc/motd', '--ours', '--root', fx.fresh).status, 0);
  assert.equal(run('merge', 'resolve', '/etc/nobase.conf', '--theirs', '--root', fx.fresh).status, 0);
  const applied = run('merge', 'apply', '--root', fx.fresh);
  assert.equal(applied.status, 0, applied.stderr);
  const f = (p: string): string => readFileSync(join(fx.fresh, p), 'utf8');
  assert.equal(f('etc/ssh/sshd_config'), '# sshd (new)\nPort 22\n#PermitRootLogin prohibit-password\nPermitRootLogin no\nUsePAM yes\nKbdInteractiveAuthentication no\n');
  assert.equal(lstatSync(join(fx.fresh, 'etc/ssh/sshd_config')).mode & 0o7777, 0o644, "the fresh file's mode is kept");
  assert.equal(f('etc/motd'), 'A\nB-user\nC\n');
  assert.equal(f('etc/nobase.conf'), 'new\n');
  assert.equal(f('etc/hostname'), 'old\n');
  assert.equal(f('etc/sysctl.d/99-local.conf'), 'vm.swappiness = 10\n');
  assert.equal(f('etc/only-new.conf'), 'fresh\n', 'a file new in the fresh install is kept');
  assert.throws(() => lstatSync(join(fx.fresh, 'etc/deleted.conf')), /ENOENT/);
  assert.equal(f('etc/machine-id'), 'ffffffffffffffffffffffffffffffff\n');
  assert.equal(f('home/alice/.bashrc'), `${NEW_SKEL_BASHRC}alias gs="git status"\n`);
  assert.equal(f('home/alice/.vimrc'), 'set number\n');
  assert.equal(lstatSync(join(fx.fresh, 'home/alice/.config/app/settings.json')).uid, 1000, "a new home file is the user's");
  assert.equal(lstatSync(join(fx.fresh, 'home/alice/.config')).uid, 1000, "and so are the directories made for it");
  assert.throws(() => lstatSync(join(fx.fresh, 'home/alice/.cache')), /ENOENT/, 'clutter is not brought back');

  const undo = run('merge', 'undo', '--root', fx.fresh);
  assert.equal(undo.status, 0, undo.stderr);
  assert.deepEqual(snapshot(fx.fresh), before_, 'undo: the fresh files back byte for byte, with modes and owners; what apply created is gone');
});

test('merge apply refuses a file changed since the merge, and never writes through a symbolic link', { skip }, () => {
  rmSync(join(fx.fresh, 'var/lib/sysmanifest'), { recursive: true, force: true });
  json<Area>(run('merge', 'home', '--user', 'alice', '--manifest', fx.manifest, '--root', fx.fresh, '--json'));
  writeFileSync(join(fx.fresh, 'home/alice/.bashrc'), 'edited meanwhile\n');
  const r = run('merge', 'apply', 'home', '--user', 'alice', '--root', fx.fresh);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\/home\/alice\/\.bashrc changed since the merge looked at it; nothing was changed/);
  assert.equal(readFileSync(join(fx.fresh, 'home/alice/.bashrc'), 'utf8'), 'edited meanwhile\n');
  // A home whose .config is a link elsewhere: listed for review, nothing followed.
  rmSync(join(fx.fresh, 'var/lib/sysmanifest'), { recursive: true, force: true });
  symlinkSync(fx.dir, join(fx.fresh, 'home/alice/.config'));
  const a = json<Area>(run('merge', 'home', '--user', 'alice', '--manifest', fx.manifest, '--root', fx.fresh, '--json'));
  const e = a.entries.find((x) => x.path === '/home/alice/.config/app/settings.json');
  assert.equal(e?.outcome, 'review');
  assert.match(e?.why ?? '', /symbolic link/);
  rmSync(join(fx.fresh, 'home/alice/.config'));
  // Without --user: every user the manifest has dotfiles for.
  rmSync(join(fx.fresh, 'var/lib/sysmanifest'), { recursive: true, force: true });
  const all = json<Array<{ area: string }>>(run('merge', 'home', '--manifest', fx.manifest, '--root', fx.fresh, '--json'));
  assert.deepEqual(all.map((x) => x.area), ['home-alice']);
});
