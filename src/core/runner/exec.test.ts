// The real runner's refusals and error messages (no process: the read-only policy refuses
// before spawning, and an empty search path makes every spawn fail with ENOENT), and what it
// does when its spawn helper dies mid-command (real processes, below).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isUserError } from '../errors.ts';
import { commandFailed, hintFor, hostMutatingRunner, hostReadOnlyRunner } from './exec.ts';
import { isReadOnlyInvocation } from './policy.ts';

const empty = mkdtempSync(join(tmpdir(), 'sysmanifest-nopath-'));
after(() => rmSync(empty, { recursive: true, force: true }));

test('a missing tool names the Debian package that provides it', async () => {
  const r = hostReadOnlyRunner(1, empty);
  for (const [argv, pkg] of [
    [['xfs_info', '/dev/x'], 'xfsprogs'],
    [['cryptsetup', 'luksDump', '/dev/x'], 'cryptsetup-bin'],
    [['sfdisk', '--json', '/dev/x'], 'fdisk'],
    [['mdadm', '--detail', '/dev/md0'], 'mdadm'],
  ] as const) {
    await assert.rejects(r.run(argv), (e: unknown) => {
      assert.ok(isUserError(e));
      assert.equal(e.code, 'TOOL_MISSING');
      assert.equal(e.message, `${argv[0]} is not installed`);
      assert.equal(e.hint, `install it: apt-get install ${pkg}`);
      return true;
    });
  }
});

test('the read-only runner refuses anything that could write, before spawning', () => {
  const r = hostReadOnlyRunner(1, empty);
  for (const argv of [['mkfs.ext4', '/dev/x'], ['sfdisk', '/dev/x'], ['tune2fs', '-L', 'x', '/dev/x'], ['cryptsetup', 'luksFormat', '/dev/x'], ['lvm', 'lvcreate'], ['mdadm', '--create', '/dev/md0'], ['btrfs', 'subvolume', 'create', '/x'], ['git', 'commit']]) {
    assert.equal(isReadOnlyInvocation(argv), false, argv.join(' '));
    assert.throws(() => r.run(argv), /refused a command that is not known to be read-only/);
  }
  for (const argv of [['blkid', '-p', '-o', 'export', '/dev/x'], ['sfdisk', '--json', '/dev/x'], ['tune2fs', '-l', '/dev/x'], ['cryptsetup', 'luksDump', '/dev/x']]) {
    assert.equal(isReadOnlyInvocation(argv), true, argv.join(' '));
  }
});

test('a failed command names argv, exit code and the tail of stderr, with a hint when known', () => {
  const e = commandFailed({ argv: ['wipefs', '-a', '/dev/sdz'], exitCode: 1, stdout: '', stderr: 'line 1\nwipefs: error: /dev/sdz: probing initialization failed: Device or resource busy\n' });
  assert.equal(e.code, 'COMMAND_FAILED');
  assert.equal(e.message, 'wipefs -a /dev/sdz failed (exit 1):\n  line 1\n  wipefs: error: /dev/sdz: probing initialization failed: Device or resource busy');
  assert.match(e.hint ?? '', /unmount it, swapoff it, close its LUKS mapping/);
  assert.equal(hintFor('all fine'), undefined);
});

// Real processes: the helper (perl) is a child of this test process, the "tools" are scripts
// in a temp dir that note each run and take a second. Killing the helper mid-command must
// never make the runner run a disk-changing command a second time; a read-only one it reruns.
function fakeTools(): { dir: string; runs: () => number } {
  const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-helper-'));
  for (const tool of ['blkid', 'mkfs.fake']) {
    writeFileSync(join(dir, tool), `#!/bin/sh\necho run >> "${dir}/runs"\nexec /bin/sleep 1\n`, { mode: 0o755 });
  }
  const runs = (): number => (existsSync(join(dir, 'runs')) ? readFileSync(join(dir, 'runs'), 'utf8').split('\n').filter(Boolean).length : 0);
  return { dir, runs };
}

/** The newest perl child of this process: the helper of the runner under test. */
function newestPerlChild(): number {
  const children = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [comm, rest] = [stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), stat.slice(stat.lastIndexOf(')') + 2).split(' ')];
        return comm === 'perl' && Number(rest[1]) === process.pid ? [{ pid: Number(pid), started: Number(rest[19]) }] : [];
      } catch {
        return []; // exited meanwhile
      }
    });
  assert.ok(children.length > 0, 'a helper is running');
  return children.sort((a, b) => a.started - b.started || a.pid - b.pid).at(-1)!.pid;
}

async function killHelperDuring<T>(pending: Promise<T>, started: () => boolean): Promise<{ ok: T } | { error: unknown }> {
  const settled = pending.then(
    (ok) => ({ ok }),
    (error: unknown) => ({ error }),
  );
  for (let i = 0; i < 300 && !started(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(started(), 'the command started');
  process.kill(newestPerlChild(), 'SIGKILL');
  return settled;
}

test('the helper dies while a disk-changing command runs: it fails as not known to have finished, and is not run again', async () => {
  const { dir, runs } = fakeTools();
  try {
    const out = await killHelperDuring(hostMutatingRunner(1, dir).mutate(['mkfs.fake', '/dev/x'], { input: 'y\n' }), () => runs() === 1);
    assert.ok('error' in out, 'it failed');
    const error = out.error;
    assert.ok(isUserError(error), String(error));
    assert.equal(error.code, 'COMMAND_FAILED');
    assert.match(error.message, /^mkfs\.fake \/dev\/x: the helper process that ran it died .*whether the command finished is not known$/);
    assert.match(error.hint ?? '', /--resume/);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(runs(), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the helper dies while a read-only command runs: the runner runs it again itself', async () => {
  const { dir, runs } = fakeTools();
  try {
    const out = await killHelperDuring(hostReadOnlyRunner(1, dir).run(['blkid', '-p', '/dev/x']), () => runs() === 1);
    assert.ok('ok' in out, `it succeeded: ${'error' in out ? String(out.error) : ''}`);
    assert.equal(runs(), 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('onLine: each line of stdout and stderr as it comes, with its newline; the result still holds the whole output', async () => {
  const lines: string[] = [];
  const r = await hostMutatingRunner().mutate(['sh', '-c', 'echo one; echo two >&2; printf "three"; exit 0'], { onLine: (l) => lines.push(l) });
  assert.deepEqual([...lines].sort(), ['one\n', 'three', 'two\n']);
  assert.equal(r.stdout, 'one\nthree');
  assert.equal(r.stderr, 'two\n');
});

test('onLine in a process group of its own too: each line comes while the command still runs (it waits for what onLine does)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-online-'));
  try {
    const flag = join(dir, 'seen');
    const lines: string[] = [];
    const r = await hostMutatingRunner().mutate(['sh', '-c', `echo first; i=0; while [ ! -e '${flag}' ]; do i=$((i+1)); [ $i -lt 200 ] || exit 7; sleep 0.05; done; echo second >&2`], { processGroup: true, timeoutMs: 60_000, okExitCodes: [7], onLine: (l) => { lines.push(l); if (l === 'first\n') writeFileSync(flag, ''); } });
    assert.equal(r.exitCode, 0, 'the first line reached onLine before the command ended');
    assert.deepEqual(lines, ['first\n', 'second\n']);
    assert.equal(r.stdout, 'first\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('onLine: a progress meter\'s rewrites (\\r) are lines of their own; the result keeps the bytes as they came', async () => {
  const lines: string[] = [];
  const r = await hostMutatingRunner().mutate(['sh', '-c', 'printf "  10%%\\r  50%%\\r 100%%\\ndone\\r\\n"'], { onLine: (l) => lines.push(l) });
  assert.deepEqual(lines, ['  10%', '  50%', ' 100%\n', 'done']);
  assert.equal(r.stdout, '  10%\r  50%\r 100%\ndone\r\n');
});

test('stdin as bytes through execa too (a timeout sends the command there): exact', async () => {
  const r = await hostMutatingRunner().mutate(['od', '-An', '-tx1'], { input: new Uint8Array([0, 255, 10, 128]), timeoutMs: 10_000 });
  assert.equal(r.stdout.trim(), '00 ff 0a 80');
});
