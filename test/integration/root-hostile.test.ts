// capture --root R on a tree built to attack the host (issue 11, class 2): symlinks inside R
// that point at host files by absolute path, ".." chains that climb out of R, Signed-By
// paths with "..", an fstab that is a symlink to a host file, a conffile symlinked to a host
// secret, a passwd home that climbs out. No block device is touched (--exclude every disk:
// only the --root tree is captured). Proven three ways: the real CLI run under strace never
// opens a host file planted outside R; the host marker is in no file of the repository; and
// nothing is written outside hosts/NAME — with a 0600 key kept 0600.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { REPO_ROOT } from '../lib/cli.ts';

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'SKIPPED: capture needs root';
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'SKIPPED: strace is not installed (it proves which files were opened)';
  }
  return undefined;
}
const skip = unavailable();
if (skip) console.error(`root-hostile integration tests: ${skip}`);

const MARKER = 'HOST-ONLY-SECRET-7f3a';

/** Every file below dir (symlinks not followed), relative. */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

describe('capture --root on a hostile tree', { skip }, () => {
  let tmp = '';
  let R = '';
  let host = '';
  let repo = '';
  const put = (rel: string, content: string, mode = 0o644): void => {
    mkdirSync(dirname(join(R, rel)), { recursive: true });
    writeFileSync(join(R, rel), content);
    chmodSync(join(R, rel), mode);
  };
  const link = (rel: string, target: string): void => {
    mkdirSync(dirname(join(R, rel)), { recursive: true });
    symlinkSync(target, join(R, rel));
  };
  const disks = (): string[] => JSON.parse(execFileSync('lsblk', ['--json', '-d', '-n', '-o', 'PATH'], { encoding: 'utf8' })).blockdevices.map((d: { path: string }) => d.path);
  const capture = (args: readonly string[], trace?: string) => {
    const argv = [process.execPath, `${REPO_ROOT}bin/sysmanifest.js`, 'capture', '--root', R, '--repo', repo, ...disks().flatMap((d) => ['--exclude', d]), ...args];
    const full = trace ? ['strace', '-f', '-qq', '-e', 'trace=open,openat,openat2,execve', '-o', trace, ...argv] : argv;
    return spawnSync(full[0]!, full.slice(1), { encoding: 'utf8', cwd: REPO_ROOT, env: { ...process.env, SYSMANIFEST_NO_HELPER: '' } });
  };

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-hostile-'));
    R = join(tmp, 'root');
    host = join(tmp, 'host'); // stands for the host's own files: outside R
    repo = join(tmp, 'repo');
    mkdirSync(R);
    mkdirSync(join(host, 'keys'), { recursive: true });
    writeFileSync(join(host, 'shadow'), `root:$y$${MARKER}:19000:0:99999:7:::\n`, { mode: 0o600 });
    writeFileSync(join(host, 'keys/host.gpg'), `-----BEGIN PGP PUBLIC KEY BLOCK-----\n${MARKER}\n`);
    writeFileSync(join(host, 'fstab'), `UUID=${MARKER} /host-only ext4 defaults 0 1\n`);
    writeFileSync(join(host, 'hostname'), `${MARKER}\n`);

    put('etc/os-release', 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
    put('etc/hostname', 'hostile\n');
    // mallory's home climbs out of R: never searched for repositories.
    put('etc/passwd', `root:x:0:0:root:/root:/bin/bash\nmallory:x:1000:1000::/home/../../../../../../..${host}:/bin/sh\n`);
    put('etc/group', 'root:x:0:\nmallory:x:1000:\n');
    put('var/lib/dpkg/status', 'Package: dpkg\nStatus: install ok installed\nPriority: required\nArchitecture: amd64\nVersion: 1.21.22\nDescription: x\n\n');
    put('var/lib/dpkg/info/dpkg.list', '/.\n/usr\n');
    mkdirSync(join(R, 'root'));
    // apt sources naming keys: R's own (0600 and through an absolute symlink), and hostile ones.
    put('etc/apt/keyrings/own.gpg', '-----BEGIN PGP PUBLIC KEY BLOCK-----\nR-OWN-KEY\n', 0o600);
    put('usr/share/keyrings/r.gpg', '-----BEGIN PGP PUBLIC KEY BLOCK-----\nR-SHARED-KEY\n');
    link('etc/apt/keyrings/abs.gpg', '/usr/share/keyrings/r.gpg'); // absolute: R's file
    link('etc/apt/keyrings/host.gpg', join(host, 'keys/host.gpg')); // absolute host path: R + it, absent
    link('etc/apt/keyrings/climb.gpg', `../../../../../../../../../..${host}/keys/host.gpg`); // climbs: stops at R
    link('etc/apt/keyrings/up', '..');
    const signedBy = [
      '/etc/apt/keyrings/own.gpg',
      '/etc/apt/keyrings/abs.gpg',
      '/etc/apt/keyrings/host.gpg',
      '/etc/apt/keyrings/climb.gpg',
      `/usr/share/keyrings/../../../../..${host}/shadow`,
      `/etc/apt/keyrings/up/up/up/up/up/up/up/up${host}/shadow`,
    ];
    put('etc/apt/sources.list.d/x.sources', `Types: deb\nURIs: http://deb.example/\nSuites: bookworm\nComponents: main\nSigned-By: ${signedBy.join(' ')}\n`);
    // fstab and a conffile are symlinks to host files; os-release of the host is not R's.
    link('etc/fstab', join(host, 'fstab'));
    link('etc/crypttab', '../../../../../../../../..' + join(host, 'fstab'));
    link('etc/adduser.conf', join(host, 'shadow'));
    link('etc/host-dir', host);
    // /etc/skel (merge bases): links to host files are not skel files; a real one is recorded.
    put('etc/skel/.profile', '# R-SKEL-PROFILE\n');
    link('etc/skel/.bashrc', join(host, 'shadow'));
    link('etc/skel/.config', host);
    link('etc/loop1', 'loop2');
    link('etc/loop2', 'loop1');
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('no host file is opened, nothing is written outside hosts/NAME, modes are kept', () => {
    const trace = join(tmp, 'strace.out');
    const r = capture(['--host', 'hostile'], trace);
    assert.equal(r.status, 0, r.stderr);

    // 1. Which files were opened: none below the "host" directory.
    const opened = readFileSync(trace, 'utf8').split('\n').filter((l) => /\bopen(at2?)?\(/.test(l) && !/ENOENT|ENOTDIR/.test(l));
    assert.ok(opened.length > 100, 'strace saw the capture open files');
    assert.ok(opened.some((l) => l.includes(`${R}/var/lib/dpkg/status`)), 'it did read R');
    assert.deepEqual(opened.filter((l) => l.includes(host)), [], 'no file of the host directory was opened');

    // 2. The repository: only hosts/hostile/, no trace of the host's files.
    // (schemas/ is the package's own copy of the JSON Schemas, for editors: not from the tree)
    const written = files(repo).filter((f) => !f.startsWith('.git/') && !f.startsWith('schemas/'));
    const profile = createHash('sha256').update('# R-SKEL-PROFILE\n').digest('hex');
    assert.deepEqual(written, ['hosts/hostile/apt-keys/etc/apt/keyrings/abs.gpg', 'hosts/hostile/apt-keys/etc/apt/keyrings/own.gpg', `hosts/hostile/bases/${profile}`, 'hosts/hostile/bases/index.json', 'hosts/hostile/manifest.yaml']);
    assert.deepEqual(JSON.parse(readFileSync(join(repo, 'hosts/hostile/bases/index.json'), 'utf8')), { etc: {}, format: 1, skel: { '.profile': { sha256: profile } } });
    for (const f of files(repo)) assert.ok(!readFileSync(join(repo, f)).includes(MARKER), `${f} holds no host data`);

    // 3. The keys: R's own, mode kept; the hostile ones not stored.
    const key = join(repo, 'hosts/hostile/apt-keys/etc/apt/keyrings/own.gpg');
    assert.equal(statSync(key).mode & 0o777, 0o600, 'a 0600 key stays 0600');
    assert.match(readFileSync(key, 'utf8'), /R-OWN-KEY/);
    assert.match(readFileSync(join(repo, 'hosts/hostile/apt-keys/etc/apt/keyrings/abs.gpg'), 'utf8'), /R-SHARED-KEY/, 'an absolute symlink is R\'s file');
    const m = parse(readFileSync(join(repo, 'hosts/hostile/manifest.yaml'), 'utf8'));
    assert.deepEqual(
      m.packages.keys.map((k: { path: string; file?: string; unsupported?: unknown }) => [k.path, k.file ?? 'unsupported']),
      [
        ['/etc/apt/keyrings/abs.gpg', 'apt-keys/etc/apt/keyrings/abs.gpg'],
        ['/etc/apt/keyrings/climb.gpg', 'unsupported'],
        ['/etc/apt/keyrings/host.gpg', 'unsupported'],
        ['/etc/apt/keyrings/own.gpg', 'apt-keys/etc/apt/keyrings/own.gpg'],
        [`/etc/apt/keyrings/up/up/up/up/up/up/up/up${host}/shadow`, 'unsupported'],
      ],
    );
    assert.equal(m.host.hostname, 'hostile');
    assert.deepEqual(m.mounts, { fstab: [], crypttab: [] }, 'the fstab and crypttab symlinked to host files are not read (R has none)');
    assert.equal(m.repos?.dotfiles, undefined, 'a home outside R is not searched');
  });

  test('a symlink loop where a file is read is one clear error, not a stack trace; nothing is written', () => {
    rmSync(join(R, 'etc/os-release'));
    link('etc/os-release', 'os-release');
    try {
      const before = existsSync(join(repo, 'hosts/loop')) ? files(join(repo, 'hosts/loop')) : [];
      const r = capture(['--host', 'loop']);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /os-release.*more than 40 symbolic links/);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
      assert.deepEqual(existsSync(join(repo, 'hosts/loop')) ? files(join(repo, 'hosts/loop')) : [], before);
    } finally {
      rmSync(join(R, 'etc/os-release'));
      put('etc/os-release', 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
    }
  });
});
