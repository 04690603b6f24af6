// capture --commit, diff, lock, hooks, status and push against the real CLI, on a copy of the
// debootstrapped test chroot (--root) and one loop disk (GPT + ext4) — never the host's /etc.
//   - two captures of an unchanged machine: one commit, then none
//   - a package installed (apt-get in the chroot) + the filesystem relabelled (e2label): the
//     commit message and `diff` name exactly those two changes
//   - concurrent captures never corrupt the repository (fsck clean, linear, manifest valid;
//     losers waited or exited 1 with the lock message)
//   - hooks (events, JSON on stdin, a failing run.begin cancels), status, push to a remote
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureChrootCache, copyChroot, run } from '../lib/chroot.ts';
import { cli, REPO_ROOT } from '../lib/cli.ts';
import { integrationUnavailable, LoopLab, type LoopDisk } from '../lib/loop.ts';

const skip = integrationUnavailable() ?? ensureChrootCache();
if (skip) console.error(`versioning integration tests: SKIPPED: ${skip}`);

describe('capture --commit, diff, lock, hooks, status', { skip }, () => {
  let lab: LoopLab;
  let disk: LoopDisk;
  let root = '';
  let tmp = '';
  let home = '';
  const repo = (): string => join(tmp, 'repo');
  const git = (...args: string[]): string => run(['git', '-C', repo(), ...args]);
  // HOME without a git identity: commits fall back to sysmanifest <root@HOST>.
  const sm = (...args: string[]) => cli(args, { env: { HOME: home } });
  const capture = (...extra: string[]) => sm('capture', '--commit', '--root', root, '--disk', disk.path, '--repo', repo(), '--host', 'chroot', ...extra);
  const count = (): number => Number(git('rev-list', '--count', 'HEAD').trim());

  before(() => {
    lab = new LoopLab('sysmanifest-versioning-');
    disk = lab.disk(64 << 20);
    run(['sfdisk', '--quiet', disk.path], 'label: gpt\nsize=20M, type=linux, name=data\n');
    lab.rescan(disk);
    run(['mkfs.ext4', '-q', '-L', 'one', `${disk.path}p1`]);
    root = copyChroot();
    tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-vrepo-'));
    home = join(tmp, 'home');
    mkdirSync(home);
  });
  after(() => {
    lab?.cleanup();
    if (root) rmSync(dirname(root), { recursive: true, force: true });
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('two captures of an unchanged machine: one commit, then none', () => {
    const first = capture();
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^committed [0-9a-f]{10}: chroot: first capture \(1 disk, 1 filesystem, \d+ manual packages\)$/m);
    assert.equal(count(), 1);
    assert.equal(git('log', '-1', '--format=%an <%ae>').trim(), 'sysmanifest <root@chroot>');
    const files = git('ls-files').trim().split('\n');
    assert.deepEqual(files.filter((f) => !f.startsWith('hosts/chroot/apt-keys/') && !f.startsWith('hosts/chroot/bases/') && !f.startsWith('schemas/')), ['hosts/chroot/manifest.yaml']);
    assert.ok(files.includes('hosts/chroot/bases/index.json'), 'the merge bases are committed with the manifest');
    // The schemas its first line points at are committed with it (class 10 of issue 11).
    assert.ok(files.includes('schemas/manifest.json') && files.includes('schemas/manifest.schema.json'), files.join(' '));

    const second = capture();
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /^unchanged, nothing committed$/m);
    assert.equal(count(), 1);
    assert.equal(git('status', '--porcelain').trim(), '');
  });

  test('a package installed and a filesystem relabelled: the commit and `diff` name exactly those two changes', () => {
    run(['chroot', root, 'apt-get', 'install', '-y', '--no-install-recommends', 'tree']); // from the cache's .deb, offline
    run(['e2label', `${disk.path}p1`, 'two']);
    git('config', 'user.name', 'Alice Admin');
    git('config', 'user.email', 'alice@example.org');
    const r = capture();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(count(), 2);
    assert.equal(git('log', '-1', '--format=%s').trim(), 'chroot: packages +tree · storage: disk0p1 relabelled');
    assert.equal(git('log', '-1', '--format=%an <%ae>').trim(), 'Alice Admin <alice@example.org>');

    const d = sm('diff', '--repo', repo(), '--json');
    assert.equal(d.status, 0, d.stderr);
    const report = JSON.parse(d.stdout) as { host: string; changes: Array<{ section: string; path: string; kind: string; what: string; before?: unknown; after?: unknown }> };
    assert.equal(report.host, 'chroot');
    assert.deepEqual(
      report.changes.map((c) => ({ section: c.section, path: c.path, kind: c.kind, what: c.what, before: c.before, after: c.after })),
      [
        { section: 'storage', path: 'storage.filesystems[disk0p1].label', kind: 'changed', what: "ext4 filesystem on disk0p1 relabelled 'one' → 'two'", before: 'one', after: 'two' },
        { section: 'packages', path: 'packages.manual', kind: 'added', what: 'package tree installed (manual)', before: undefined, after: 'tree' },
      ],
    );
    // The human form says the same; one REV compares with the working tree (nothing new).
    const human = sm('diff', '--repo', repo(), 'HEAD~1', 'HEAD');
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /^chroot: packages \+tree · storage: disk0p1 relabelled$/m);
    assert.match(sm('diff', '--repo', repo(), 'HEAD').stdout, /→ working tree\nno changes\n$/);
  });

  test('hooks: events with JSON on stdin; a failing run.begin hook cancels the run; status tells', () => {
    const log = join(tmp, 'hook.log');
    const hooks = join(repo(), 'hooks.d');
    mkdirSync(hooks, { recursive: true });
    writeFileSync(join(hooks, '10-log'), `#!/bin/sh\nprintf '%s ' "$1" >> ${log}\ncat >> ${log}\n`);
    chmodSync(join(hooks, '10-log'), 0o755);
    writeFileSync(join(hooks, 'README.md'), 'not a hook: run-parts names only\n');
    writeFileSync(join(root, 'etc/sysmanifest-test.conf'), 'x = 1\n');
    const r = capture();
    assert.equal(r.status, 0, r.stderr);
    const events = readFileSync(log, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), JSON.parse(l.slice(l.indexOf(' ') + 1))] as const);
    assert.deepEqual(events.map(([e]) => e), ['run.begin', 'capture.committed', 'run.end']);
    const head = git('rev-parse', 'HEAD').trim();
    assert.equal(events[1]![1].commit, head);
    assert.equal(events[1]![1].subject, 'chroot: /etc: 1 file + metadata · storage: unchanged');
    assert.equal(events[2]![1].result, 'committed');
    assert.equal(events[0]![1].event, 'run.begin');

    writeFileSync(join(hooks, '00-veto'), '#!/bin/sh\necho "not on battery" >&2\nexit 3\n');
    chmodSync(join(hooks, '00-veto'), 0o755);
    writeFileSync(join(root, 'etc/sysmanifest-test.conf'), 'x = 2\n');
    const c = capture();
    assert.equal(c.status, 1);
    assert.match(c.stderr, new RegExp(`run cancelled: the run.begin hook ${join(hooks, '00-veto')} failed: .*exit 3.*\\n\\s*not on battery`));
    assert.equal(git('rev-parse', 'HEAD').trim(), head, 'no commit');
    const st = JSON.parse(sm('status', '--repo', repo(), '--json').stdout) as { lastRun: { result: string; error: { code: string }; lastSuccess: { commit: string } } };
    assert.equal(st.lastRun.result, 'cancelled');
    assert.equal(st.lastRun.error.code, 'REFUSED');
    assert.equal(st.lastRun.lastSuccess.commit, head);
    rmSync(hooks, { recursive: true });
  });

  test('a hanging hook is killed after --hook-timeout; a capture killed by SIGKILL leaves a lock the next run breaks', async () => {
    const sleeper = join(tmp, 'sleeper');
    writeFileSync(sleeper, '#!/bin/sh\n[ "$1" = run.begin ] && exec sleep 30\nexit 0\n');
    chmodSync(sleeper, 0o755);
    const t0 = Date.now();
    const r = capture('--hook', sleeper, '--hook-timeout', '1');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /run cancelled: the run.begin hook .*sleeper failed: .*timed out after 1000 ms/);
    assert.ok(Date.now() - t0 < 25_000, 'the hook was killed, not waited for');

    // Hold the lock (a run.begin hook that sleeps), then kill -9 the capture.
    const p = spawn(process.execPath, [`${REPO_ROOT}src/cli/main.ts`, 'capture', '--commit', '--root', root, '--disk', disk.path, '--repo', repo(), '--host', 'chroot', '--hook', sleeper], { env: { ...process.env, HOME: home }, stdio: 'ignore' });
    const lock = join(repo(), '.git/sysmanifest/run.lock');
    for (let i = 0; i < 200 && !existsSync(lock); i++) await new Promise((res) => setTimeout(res, 100));
    assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, p.pid);
    const gone = new Promise((res) => p.on('exit', res));
    p.kill('SIGKILL');
    await gone;
    assert.ok(existsSync(lock), 'a killed process leaves its lock behind');
    const st = sm('status', '--repo', repo());
    assert.match(st.stdout, new RegExp(`^running: +stale lock of pid ${p.pid} `, 'm'));
    const next = capture();
    assert.equal(next.status, 0, next.stderr);
    assert.equal(existsSync(lock), false);
  });

  test('push: to the configured remote; a failed push keeps the commit and exits 1', () => {
    const remote = join(tmp, 'remote.git');
    run(['git', 'init', '--quiet', '--bare', remote]);
    git('remote', 'add', 'origin', remote);
    const r = capture(); // /etc changed in the cancelled run above: committed now
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^pushed to origin$/m);
    assert.equal(run(['git', '--git-dir', remote, 'rev-parse', 'main']).trim(), git('rev-parse', 'HEAD').trim());

    git('remote', 'set-url', 'origin', join(tmp, 'gone.git'));
    writeFileSync(join(root, 'etc/sysmanifest-test.conf'), 'x = 3\n');
    const before = count();
    const f = capture();
    assert.equal(f.status, 1);
    assert.equal(count(), before + 1, 'the commit is kept');
    assert.match(f.stderr, /committed [0-9a-f]{10} locally, but the push to origin failed/);
    const st = JSON.parse(sm('status', '--repo', repo(), '--json').stdout) as { lastRun: { result: string; push: { ok: boolean } } };
    assert.deepEqual([st.lastRun.result, st.lastRun.push.ok], ['committed', false]);
    git('remote', 'remove', 'origin');
  });

  test('concurrent captures never corrupt the repository', async (t) => {
    const spawnCapture = (wait: string): Promise<{ status: number | null; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        const p = spawn(process.execPath, [`${REPO_ROOT}src/cli/main.ts`, 'capture', '--commit', '--root', root, '--disk', disk.path, '--repo', repo(), '--host', 'chroot', '--wait', wait], {
          env: { ...process.env, HOME: home },
        });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (b: Buffer) => (stdout += b));
        p.stderr.on('data', (b: Buffer) => (stderr += b));
        p.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    const check = (): void => {
      assert.equal(run(['git', '-C', repo(), 'fsck', '--strict', '--no-progress']).trim(), '');
      assert.equal(git('rev-list', '--merges', 'HEAD').trim(), '', 'history is linear');
      assert.equal(git('status', '--porcelain').trim(), '');
      const v = sm('validate', join(repo(), 'hosts/chroot/manifest.yaml'));
      assert.equal(v.status, 0, v.stderr);
      assert.equal(run(['git', `--git-dir=${join(root, 'var/lib/sysmanifest/etc.git')}`, 'fsck', '--strict', '--no-progress']).trim(), '');
    };

    // No waiting: whoever does not get the lock says who has it and exits 1.
    writeFileSync(join(root, 'etc/sysmanifest-test.conf'), 'x = 4\n');
    const start = count();
    const fast = await Promise.all([0, 1, 2, 3].map(() => spawnCapture('0')));
    for (const r of fast) {
      if (r.status === 0) continue;
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /^sysmanifest: another capture --commit \(pid \d+\) is running since \d{4}-\d\d-\d\dT[\d:.]+Z \(lock .*run\.lock\)$/m);
    }
    const winners = fast.filter((r) => r.status === 0);
    t.diagnostic(`4 captures at once without --wait: ${winners.length} finished, ${fast.length - winners.length} refused by the lock`);
    assert.ok(winners.length >= 1);
    assert.equal(winners.filter((r) => /^committed /m.test(r.stdout)).length, 1, 'exactly one run committed the change');
    assert.equal(count(), start + 1);
    check();

    // Waiting: every run finishes, one after the other; one commits, the rest find nothing new.
    writeFileSync(join(root, 'etc/sysmanifest-test.conf'), 'x = 5\n');
    const patient = await Promise.all([0, 1, 2].map(() => spawnCapture('120')));
    assert.deepEqual(patient.map((r) => r.status), [0, 0, 0], patient.map((r) => r.stderr).join('\n'));
    assert.equal(patient.filter((r) => /^committed /m.test(r.stdout)).length, 1);
    assert.equal(patient.filter((r) => /^unchanged, nothing committed$/m.test(r.stdout)).length, 2);
    assert.equal(count(), start + 2);
    check();
  });
});
