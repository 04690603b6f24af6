// Issue 11, classes 6 and 7, against the real CLI: every misuse ends with one clear message, the
// right exit status (2 usage, 1 failure, 130 interrupted), no stack trace and nothing left behind;
// a hook's whole process group dies at --hook-timeout; the run lock comes before anything else.
// Captures here read a tiny --root tree and leave every disk out (--exclude each one lsblk lists):
// no block device is opened, none is written; tmpfs mounts (root) stand in for a read-only and a
// full file system.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, REPO_ROOT, type CliResult } from '../lib/cli.ts';

const isRoot = process.getuid?.() === 0;
const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-hostile-'));
const mounts: string[] = [];
after(() => {
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
  rmSync(dir, { recursive: true, force: true });
});

function assertClean(r: CliResult, status: number, pattern: RegExp): void {
  assert.equal(r.status, status, `exit status (stderr: ${r.stderr})`);
  assert.match(r.stderr, pattern);
  assert.match(r.stderr, /^(\nsysmanifest|sysmanifest): /, 'one message, from sysmanifest');
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+|internal error/, 'no stack trace');
}

/** Every file under `d` (relative), for "nothing left behind". */
function tree(d: string): string[] {
  if (!existsSync(d)) return [];
  return readdirSync(d, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(d.length + 1))
    .sort();
}
const strays = (d: string): string[] => tree(d).filter((f) => /\.tmp$|\.lock$|run\.lock|\.stale\./.test(f));

/** A tiny installed-system tree: enough for capture --root (dpkg with one package, passwd, hostname). */
function makeRoot(name: string, packages: readonly string[] = ['dpkg']): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'var/lib/dpkg/info'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc/hostname'), 'hostile\n');
  writeFileSync(join(root, 'var/lib/dpkg/status'), packages.map((p) => `Package: ${p}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: 1.0\n\n`).join(''));
  return root;
}

/** --exclude for every whole disk here: the capture opens no block device. */
const excludeAll = (): string[] =>
  execFileSync('lsblk', ['-dn', '-o', 'PATH,TYPE'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([p, t]) => p && t === 'disk')
    .flatMap(([p]) => ['--exclude', p!]);

function tmpfs(name: string, options: string): string {
  const m = join(dir, name);
  mkdirSync(m, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', m]);
  mounts.push(m);
  return m;
}

describe('a manifest path that is not a regular file is refused without being read (validate, show, plan, verify, rebuild, diff)', () => {
  const paths: Record<string, string> = {};
  before(() => {
    symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
    symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
    paths['symlink loop'] = join(dir, 'loop-a');
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    paths.FIFO = join(dir, 'fifo');
    paths['/dev/zero'] = '/dev/zero';
    writeFileSync(join(dir, 'big.yaml'), Buffer.alloc(16 * 1024 * 1024 + 1, 0x20));
    paths['a 16 MiB + 1 byte file'] = join(dir, 'big.yaml');
    writeFileSync(join(dir, 'latin1.yaml'), Buffer.from('apiVersion: sysmanifest/v1\nhost: {hostname: caf\xe9}\n', 'latin1'));
    paths['not UTF-8'] = join(dir, 'latin1.yaml');
  });
  const expected: Record<string, RegExp> = {
    'symlink loop': /loop-a: too many levels of symbolic links/,
    FIFO: /fifo: is a FIFO \(named pipe\), not a manifest file; refused without reading it/,
    '/dev/zero': /\/dev\/zero: is a character device, not a manifest file; refused without reading it/,
    'a 16 MiB + 1 byte file': /big\.yaml: 16 MiB is more than the 16 MiB a manifest may have/,
    'not UTF-8': /latin1\.yaml: not UTF-8 text/,
  };
  for (const what of Object.keys(expected)) {
    test(what, () => {
      for (const cmd of [['validate'], ['show'], ['plan'], ['verify'], ...(isRoot ? [['rebuild', '--stage', 'storage', '--state', join(dir, 'state')]] : [])]) {
        const t0 = Date.now();
        const r = cli([...cmd, paths[what]!], { timeoutMs: 20_000 });
        assertClean(r, 1, expected[what]!);
        assert.ok(Date.now() - t0 < 15_000, `${cmd[0]} ended at once`);
      }
    });
  }

  test('a socket', async () => {
    const sock = join(dir, 'sock');
    const server = createServer().listen(sock);
    await new Promise((r) => server.once('listening', r));
    try {
      // spawnSync would block this process, and with it the server: run the CLI asynchronously.
      const r = await new Promise<CliResult>((resolve) => {
        const p = spawn(process.execPath, [`${REPO_ROOT}bin/sysmanifest.js`, 'validate', sock], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (b: Buffer) => (stdout += b));
        p.stderr.on('data', (b: Buffer) => (stderr += b));
        p.on('close', (status) => resolve({ status, stdout, stderr }));
      });
      assertClean(r, 1, /sock: is a socket, not a manifest file/);
    } finally {
      server.close();
    }
  });

  test('diff: the working-tree manifest replaced by a FIFO', { skip: !isRoot && 'needs root (capture)' }, () => {
    const repo = join(dir, 'diff-repo');
    const root = makeRoot('diff-root');
    const c = cli(['capture', '--root', root, ...excludeAll(), '--repo', repo, '--host', 'h', '--commit'], { env: { HOME: dir } });
    assert.equal(c.status, 0, c.stderr);
    const file = join(repo, 'hosts/h/manifest.yaml');
    rmSync(file);
    execFileSync('mkfifo', [file]);
    assertClean(cli(['diff', '--repo', repo, 'HEAD'], { timeoutMs: 20_000 }), 1, /manifest\.yaml: is a FIFO/);
    assertClean(cli(['diff', '--repo', repo, '--host', '../../etc', 'HEAD']), 2, /--host "\.\.\/\.\.\/etc": a host name may only hold/);
    assertClean(cli(['diff', '--repo', repo, '--', '--output=/tmp/x']), 2, /diff --output=\/tmp\/x: a revision cannot start with "-"/);
  });
});

describe('capture: repository, host and root misuse', { skip: !isRoot && 'needs root (capture, tmpfs)' }, () => {
  let root = '';
  let exclude: string[] = [];
  const capture = (repo: string, ...extra: string[]): CliResult => cli(['capture', '--root', root, ...exclude, '--repo', repo, '--host', 'h', ...extra], { env: { HOME: dir }, timeoutMs: 60_000 });
  before(() => {
    root = makeRoot('root');
    exclude = excludeAll();
  });

  test('--repo is a regular file, or below one', () => {
    writeFileSync(join(dir, 'plain'), 'x');
    assertClean(capture(join(dir, 'plain')), 1, /plain is not a directory\nhint: --repo names the directory/);
    assertClean(capture(join(dir, 'plain', 'repo')), 1, /plain\/repo: a component of the path is not a directory/);
    assert.equal(readFileSync(join(dir, 'plain'), 'utf8'), 'x');
  });

  test('--repo on a read-only file system: said so (not ENOENT), new or existing', () => {
    const ro = tmpfs('ro', 'ro,size=1m');
    assertClean(capture(join(ro, 'repo')), 1, /ro\/repo: read-only file system\nhint: .*remount it read-write/);
    const rw = tmpfs('rw-then-ro', 'size=4m');
    assert.equal(capture(join(rw, 'repo')).status, 0);
    const before = tree(join(rw, 'repo'));
    execFileSync('mount', ['-o', 'remount,ro', rw]);
    assertClean(capture(join(rw, 'repo')), 1, /read-only file system/);
    assert.deepEqual(tree(join(rw, 'repo')), before);
  });

  test('a full disk while writing the manifest: a clean failure, the previous manifest intact, no temp file', () => {
    const full = tmpfs('full', 'size=1m');
    const repo = join(full, 'repo');
    const first = capture(repo);
    assert.equal(first.status, 0, first.stderr);
    const file = join(repo, 'hosts/h/manifest.yaml');
    const previous = readFileSync(file, 'utf8');
    // Leave a few pages (lock, status) but less than the new manifest needs.
    writeFileSync(join(root, 'var/lib/dpkg/status'), ['dpkg', ...Array.from({ length: 1500 }, (_, i) => `pkg-${i}-${'x'.repeat(20)}`)].map((p) => `Package: ${p}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: 1.0\n\n`).join(''));
    try {
      const free = Number(execFileSync('df', ['--output=avail', '-B1', full], { encoding: 'utf8' }).split('\n')[1]);
      writeFileSync(join(full, 'filler'), Buffer.alloc(Math.max(0, free - 16 * 1024)));
      const r = capture(repo);
      assertClean(r, 1, /no space left on the file system\nhint: free space .*the manifest already there is unchanged/);
      assert.equal(readFileSync(file, 'utf8'), previous);
      assert.deepEqual(strays(repo), []);
    } finally {
      makeRoot('root');
    }
  });

  test('a half-initialised repository: an empty .git is initialised, a broken one or a .git file is refused', () => {
    const half = join(dir, 'half');
    mkdirSync(join(half, '.git'), { recursive: true });
    const r = capture(half);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^created manifest repository /m);
    assert.equal(execFileSync('git', ['-C', half, 'rev-parse', '--is-inside-work-tree'], { encoding: 'utf8' }).trim(), 'true');
    // hosts/ removed by hand: written again.
    rmSync(join(half, 'hosts'), { recursive: true });
    assert.equal(capture(half).status, 0);
    assert.ok(existsSync(join(half, 'hosts/h/manifest.yaml')));

    const broken = join(dir, 'broken');
    mkdirSync(join(broken, '.git'), { recursive: true });
    writeFileSync(join(broken, '.git/HEAD'), 'garbage\n');
    assertClean(capture(broken), 1, /broken has a \.git directory that git cannot use: fatal: not a git repository/);
    assert.equal(existsSync(join(broken, 'hosts')), false, 'nothing written');

    const gitfile = join(dir, 'gitfile');
    mkdirSync(gitfile);
    writeFileSync(join(gitfile, '.git'), 'gitdir: /nonexistent\n');
    assertClean(capture(gitfile), 1, /gitfile\/\.git is not a directory/);
    assert.deepEqual(tree(gitfile), ['.git']);
  });

  test('--host: empty, 300 characters, a path: usage errors, nothing created', () => {
    const repo = join(dir, 'host-repo');
    for (const [host, why] of [
      ['', /--host "": a host name is empty/],
      ['a'.repeat(300), /--host "a{60}"… \(300 characters\): a host name is 300 characters long; at most 63/],
      ['../x', /--host "\.\.\/x": a host name may only hold/],
      ['-x', /a host name may only hold/],
    ] as const) {
      const r = cli(['capture', '--root', root, ...exclude, '--repo', repo, `--host=${host}`]);
      assertClean(r, 2, why);
      assertClean(cli(['capture', '--stdout', '--root', root, ...exclude, `--host=${host}`]), 2, why);
    }
    assert.equal(existsSync(repo), false);
    // 63 characters is the limit.
    assert.equal(capture(repo, `--host=${'b'.repeat(63)}`).status, 0);
  });

  test('class 10: the manifest\'s schema comment resolves offline to the schemas capture keeps in the repository', () => {
    const repo = join(dir, 'schema-repo');
    const r = capture(repo, '--commit');
    assert.equal(r.status, 0, r.stderr);
    const manifest = join(repo, 'hosts/h/manifest.yaml');
    const first = readFileSync(manifest, 'utf8').split('\n')[0]!;
    assert.equal(first, '# yaml-language-server: $schema=../../schemas/manifest.json');
    const entry = join(repo, 'hosts/h', '../../schemas/manifest.json');
    assert.equal(JSON.parse(readFileSync(entry, 'utf8')).$ref, 'manifest.schema.json');
    assert.deepEqual(readFileSync(join(repo, 'schemas/storage/disks.schema.json')), readFileSync(join(REPO_ROOT, 'schemas/storage/disks.schema.json')));
    const committed = execFileSync('git', ['-C', repo, 'ls-files', 'schemas'], { encoding: 'utf8' }).trim().split('\n');
    assert.ok(committed.includes('schemas/manifest.json') && committed.includes('schemas/storage/disks.schema.json'), committed.join(' '));
    // Deterministic: a second capture of the unchanged tree changes nothing, commits nothing.
    const again = capture(repo, '--commit');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^unchanged, nothing committed$/m);
    assert.equal(execFileSync('git', ['-C', repo, 'status', '--porcelain'], { encoding: 'utf8' }), '');
  });

  test('--root on a tree without dpkg data says what was expected', () => {
    const empty = join(dir, 'not-a-root');
    mkdirSync(join(empty, 'etc'), { recursive: true });
    writeFileSync(join(empty, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
    const r = cli(['capture', '--stdout', '--root', empty, ...exclude, '--host', 'h']);
    assertClean(r, 2, /not-a-root has no package database: it is not the root of an installed system\nhint: expected .*var\/lib\/dpkg\/status/);
    mkdirSync(join(empty, 'var/lib/dpkg'), { recursive: true });
    writeFileSync(join(empty, 'var/lib/dpkg/status'), '');
    assertClean(cli(['capture', '--stdout', '--root', empty, ...exclude, '--host', 'h']), 2, /incomplete dpkg database: .*var\/lib\/dpkg\/info is missing/);
  });
});

test('plan: the same manifest disk given twice to --map is an error, not last-one-wins', () => {
  const m = join(REPO_ROOT, 'manifests/laptop-luks-lvm.yaml');
  const r = cli(['plan', m, '--map', 'disk0=/dev/null', '--map', 'disk0=/dev/zero']);
  assertClean(r, 1, /--map disk0=\/dev\/zero: disk0 is already mapped by --map disk0=\/dev\/null/);
});

describe('signals, hooks and the run lock', { skip: !isRoot && 'needs root (capture)' }, () => {
  let root = '';
  let exclude: string[] = [];
  before(() => {
    root = makeRoot('sig-root');
    exclude = excludeAll();
  });

  /** Starts a capture; resolves with its exit status, stderr and duration. */
  function start(repo: string, extra: readonly string[]): { pid: number; done: Promise<CliResult & { ms: number }> } {
    const t0 = Date.now();
    const p = spawn(process.execPath, [`${REPO_ROOT}bin/sysmanifest.js`, 'capture', '--root', root, ...exclude, '--repo', repo, '--host', 'h', ...extra], {
      env: { ...process.env, HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b));
    p.stderr.on('data', (b: Buffer) => (stderr += b));
    return { pid: p.pid!, done: new Promise((resolve) => p.on('close', (status, signal) => resolve({ status: status ?? (signal ? -1 : null), stdout, stderr, ms: Date.now() - t0 }))) };
  }

  /** Processes whose command line holds `marker` (read from /proc; none is signalled here). */
  function running(marker: string): number[] {
    const out: number[] = [];
    for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) out.push(Number(pid));
      } catch {
        /* gone */
      }
    }
    return out;
  }

  async function until(cond: () => boolean, ms: number): Promise<void> {
    for (const t0 = Date.now(); !cond(); ) {
      if (Date.now() - t0 > ms) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  function hook(name: string, body: string): string {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, 0o755);
    return p;
  }

  test('--hook-timeout kills the hook and the children it started; the lock is released at once', async () => {
    const repo = join(dir, 'hook-repo');
    const marker = '61.4242';
    const h = hook('slow-hook', `[ "$1" = run.begin ] || exit 0\nsleep ${marker} &\nsleep ${marker}`);
    const { done } = start(repo, ['--hook', h, '--hook-timeout', '1']);
    const r = await done;
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /run cancelled: the run\.begin hook .*slow-hook failed: .*timed out after 1000 ms/);
    assert.ok(r.ms < 10_000, `ended near the timeout (${r.ms} ms)`);
    await until(() => running(marker).length === 0, 3000).catch(() => undefined);
    assert.deepEqual(running(marker), [], 'no sleep of the hook is left');
    assert.deepEqual(strays(repo), [], 'the lock is released');
  });

  test('SIGINT during capture: "interrupted", exit 130, no lock, no temp file, no hook left', async () => {
    const repo = join(dir, 'sigint-repo');
    const marker = '62.4242';
    const flag = join(dir, 'hook-started');
    const h = hook('wait-hook', `[ "$1" = run.begin ] || exit 0\ntouch ${flag}\nsleep ${marker} &\nsleep ${marker}`);
    const { pid, done } = start(repo, ['--hook', h]);
    await until(() => existsSync(flag), 30_000);
    assert.ok(existsSync(join(repo, '.git/sysmanifest/run.lock')), 'the run holds its lock');
    process.kill(pid, 'SIGINT');
    const r = await done;
    assert.equal(r.status, 130, r.stderr);
    assert.match(r.stderr, /^\nsysmanifest: interrupted \(SIGINT\)\n$/);
    assert.deepEqual(strays(repo), []);
    await until(() => running(marker).length === 0, 3000).catch(() => undefined);
    assert.deepEqual(running(marker), [], "the hook's process group was killed");
    // The next run is not blocked by anything the interrupted one left.
    const next = await start(repo, []).done;
    assert.equal(next.status, 0, next.stderr);
  });

  test('20 concurrent first captures into a new repository: each succeeds or meets the lock, never another error', async () => {
    const repo = join(dir, 'race-repo');
    const runs = await Promise.all(Array.from({ length: 20 }, () => start(repo, []).done));
    const ok = runs.filter((r) => r.status === 0);
    const locked = runs.filter((r) => r.status === 1 && /^sysmanifest: another capture \(pid \d+\) is running since .* \(lock .*run\.lock\)\nhint: wait for it to finish, or pass --wait SECONDS/.test(r.stderr));
    const other = runs.filter((r) => !ok.includes(r) && !locked.includes(r));
    assert.deepEqual(other.map((r) => `${r.status}: ${r.stderr}`), []);
    assert.ok(ok.length >= 1);
    assert.equal(ok.filter((r) => /^created manifest repository /m.test(r.stdout)).length, 1, 'exactly one run created the repository');
    assert.equal(execFileSync('git', ['-C', repo, 'rev-parse', '--git-dir'], { encoding: 'utf8' }).trim(), '.git');
    assert.deepEqual(strays(repo), []);
    assert.equal(cli(['validate', join(repo, 'hosts/h/manifest.yaml')]).status, 0);
    // With --wait every one of them gets its turn.
    const repo2 = join(dir, 'race-repo-wait');
    const waited = await Promise.all(Array.from({ length: 8 }, () => start(repo2, ['--wait', '120']).done));
    assert.deepEqual(waited.map((r) => r.status), Array(8).fill(0), waited.map((r) => r.stderr).join(''));
  });
});
