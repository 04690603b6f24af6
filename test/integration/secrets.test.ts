// Secrets kept apart and encrypted (issue 12, item 7), end to end with the real tools:
//   - capture --root R --secrets-out FILE through the real CLI, no block device (every disk
//     excluded, as root-hostile.test.ts): FILE is a binary age file that decrypts, with a real
//     age-keygen identity, to a tar of the ssh host key, the WireGuard key, a keyfile owned by a
//     user, a hostile symlink (kept as a link, never followed) and shadow/gshadow, each with
//     owner (number and name), mode and mtime; no plaintext in FILE or the manifest repository;
//   - strace -f of that capture: every write(2) of every process to a file is free of the
//     plaintext, while the socketpair to age's stdin carries it (the plaintext never touched a disk);
//   - a wrong identity fails with one clear message; no recipient, a missing `age`: clear errors;
//   - the planned restore step (planSecretsRestore) run into a `cp -a` copy of the cached
//     Debian chroot where the users stage's useradd made alice with ANOTHER uid: files with
//     their modes and mtimes, owners by name, a planted symlink in the target not written
//     through, and the target's /etc/shadow line of alice equal to the original.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lchownSync, lutimesSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import type { Manifest } from '../../src/core/manifest/types.gen.ts';
import { planSecretsMissing, planSecretsRestore } from '../../src/providers/system/secrets/index.ts';
import { copyChroot, ensureChrootCache } from '../lib/chroot.ts';
import { cli, REPO_ROOT } from '../lib/cli.ts';

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'SKIPPED: needs root (capture, chroot, chown)';
  for (const tool of ['age', 'age-keygen', 'strace', 'ssh-keygen', 'tar']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `SKIPPED: ${tool} is not installed (apt-get install ${tool === 'ssh-keygen' ? 'openssh-client' : tool.startsWith('age') ? 'age' : tool})`;
  }
  return ensureChrootCache();
}
const skip = unavailable();
if (skip) console.error(`secrets integration tests: ${skip}`);

const WG = 'WIREGUARD-PRIVATE-KEY-7d1e9b';
const KEYFILE = 'ALICE-TLS-PRIVATE-KEY-55c2a0';
const ALICE_HASH = '$y$j9T$Ecq7Pj3gK0mQeW3LZ1xYb/$ALICEHASHmxkP0aQ2vY8tZ3nL4sR6uW9oB1cD5eF7g';
const ROOT_HASH = '$y$j9T$rootsaltrootsalt$ROOTHASHqT1pV2wX3yZ4aB5cD6eF7gH8iJ9kL0mN1o';
const MTIME = 1_700_000_000;
const NM = `etc/NetworkManager/system-connections/${'Home-Wifi-'.repeat(10)}.nmconnection`;
const run = (argv: readonly string[], input?: string | Buffer): Buffer => execFileSync(argv[0]!, argv.slice(1), { ...(input === undefined ? {} : { input }), maxBuffer: 64 << 20 });

describe('capture --secrets-out and the restore step', { skip }, () => {
  let tmp = '';
  let R = '';
  let repo = '';
  let target = '';
  let identity = '';
  let recipient = '';
  let wrongIdentity = '';
  let sshKey = Buffer.alloc(0);
  let archive = '';
  const put = (rel: string, content: string | Buffer, mode: number, uid = 0, gid = 0): void => {
    mkdirSync(dirname(join(R, rel)), { recursive: true });
    writeFileSync(join(R, rel), content);
    chmodSync(join(R, rel), mode);
    chownSync(join(R, rel), uid, gid);
    utimesSync(join(R, rel), MTIME, MTIME);
  };
  const disks = (): string[] => JSON.parse(execFileSync('lsblk', ['--json', '-d', '-n', '-o', 'PATH'], { encoding: 'utf8' })).blockdevices.map((d: { path: string }) => d.path);
  const captureArgs = (...extra: string[]): string[] => ['capture', '--root', R, '--repo', repo, '--host', 'vault', ...disks().flatMap((d) => ['--exclude', d]), ...extra];
  const keygen = (file: string): string => {
    run(['age-keygen', '-o', file]);
    return /# public key: (age1\w+)/.exec(readFileSync(file, 'utf8'))![1]!;
  };

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-secrets-'));
    R = join(tmp, 'root');
    repo = join(tmp, 'repo');
    mkdirSync(R);
    identity = join(tmp, 'id.txt');
    wrongIdentity = join(tmp, 'wrong.txt');
    recipient = keygen(identity);
    keygen(wrongIdentity);
    // A real ed25519 host key, made for the test (ssh-keygen writes it into the temp dir).
    run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'root@vault', '-f', join(tmp, 'hostkey')]);
    sshKey = readFileSync(join(tmp, 'hostkey'));

    put('etc/os-release', 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n', 0o644);
    put('etc/hostname', 'vault\n', 0o644);
    put('etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001:Alice:/home/alice:/bin/bash\n', 0o644);
    put('etc/group', 'root:x:0:\nshadow:x:42:\nalice:x:1001:\n', 0o644);
    put('etc/shadow', `root:${ROOT_HASH}:19500:0:99999:7:::\nalice:${ALICE_HASH}:19600:1:90:14:30::\n`, 0o640, 0, 42);
    put('etc/gshadow', 'root:*::\nshadow:*::\nalice:!$y$j9T$grp$ALICEGROUPHASH::alice\n', 0o640, 0, 42);
    put('etc/ssh/ssh_host_ed25519_key', sshKey, 0o600);
    put('etc/ssh/ssh_host_ed25519_key.pub', readFileSync(join(tmp, 'hostkey.pub')), 0o644);
    // A name longer than ustar's 100 bytes: a pax header that GNU tar must read back.
    put(NM, '[wifi-security]\npsk=WIFI-PSK-0b3c\n', 0o600);
    put('etc/wireguard/wg0.conf', `[Interface]\nPrivateKey = ${WG}\nListenPort = 51820\n`, 0o600);
    put('etc/ssl/private/alice.key', `-----BEGIN PRIVATE KEY-----\n${KEYFILE}\n-----END PRIVATE KEY-----\n`, 0o640, 1001, 1001);
    // Hostile: a "secret" that is an absolute symlink to a host file; kept as a link, never read.
    symlinkSync('/etc/hostname', join(R, 'etc/ssl/private/host.key'));
    lchownSync(join(R, 'etc/ssl/private/host.key'), 0, 0);
    lutimesSync(join(R, 'etc/ssl/private/host.key'), MTIME, MTIME);
    put('var/lib/dpkg/status', 'Package: dpkg\nStatus: install ok installed\nPriority: required\nArchitecture: amd64\nVersion: 1.21.22\nDescription: x\n\n', 0o644);
    put('var/lib/dpkg/info/dpkg.list', '/.\n/usr\n', 0o644);
    mkdirSync(join(R, 'root'));
    archive = join(tmp, 'out', 'vault-secrets.age');
    mkdirSync(dirname(archive));
  });
  after(() => {
    if (target) rmSync(dirname(target), { recursive: true, force: true }); // nothing is mounted in it
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('capture writes one age archive; the plaintext never reaches a file (strace of every write)', () => {
    const trace = join(tmp, 'strace.out');
    const argv = [process.execPath, `${REPO_ROOT}bin/sysmanifest.js`, ...captureArgs('--secrets-out', archive, '--secrets-recipient', recipient)];
    // -y: every fd with what it is (a path, or pipe:[n]); -s: whole buffers; -xx would hide the text, so not.
    const t0 = Date.now();
    const r = spawnSync('strace', ['-f', '-qq', '-y', '-s', '1000000', '-e', 'trace=write,writev,pwrite64,pwritev,pwritev2,sendfile,splice,copy_file_range,tee', '-o', trace, ...argv], {
      encoding: 'utf8',
      cwd: REPO_ROOT,
      env: { ...process.env, SYSMANIFEST_NO_HELPER: '' },
    });
    console.error(`capture --secrets-out under strace: ${Date.now() - t0} ms`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /vault-secrets\.age: 7 secret file\(s\), encrypted to 1 recipient\(s\)/);

    const lines = readFileSync(trace, 'utf8').split('\n');
    const plaintext = [WG, KEYFILE, 'ALICEHASH', 'WIFI-PSK-0b3c', sshKey.toString('utf8').split('\n')[1]!];
    const toFiles = lines.filter((l) => /\b(write|writev|pwrite64|pwritev2?|sendfile|splice|copy_file_range|tee)\(\d+<\//.test(l));
    // Node gives a child its stdin as a socketpair (strace: socket:[n]), a shell as a pipe.
    const toPipes = lines.filter((l) => /\b(write|writev)\(\d+<(pipe|socket):/.test(l));
    assert.ok(toFiles.length > 0, 'strace saw writes to files (the manifest, the archive)');
    for (const p of plaintext) {
      assert.deepEqual(toFiles.filter((l) => l.includes(p)), [], `no write of "${p.slice(0, 12)}…" to any file`);
    }
    assert.ok(toPipes.some((l) => l.includes(WG)), 'the plaintext went through a pipe (strace does see it)');
    assert.ok(toFiles.some((l) => l.includes('vault-secrets.age') && /\.tmp>/.test(l)), 'the ciphertext was written to a temp file, then renamed');

    // The archive: binary age, 0600, nothing readable in it; the repository holds no secret.
    const bytes = readFileSync(archive);
    assert.equal(bytes.subarray(0, 22).toString('latin1'), 'age-encryption.org/v1\n');
    assert.equal(statSync(archive).mode & 0o777, 0o600);
    for (const p of [...plaintext, 'ssh_host_ed25519_key', 'PrivateKey']) assert.ok(!bytes.includes(p), `archive does not contain ${p}`);
    const grep = spawnSync('grep', ['-r', '-l', '-a', '-e', WG, '-e', 'ALICEHASH', '-e', KEYFILE, '-e', plaintext[4]!, repo], { encoding: 'utf8' });
    assert.deepEqual([grep.status, grep.stdout], [1, ''], 'nothing secret in the manifest repository (grep finds nothing)');
  });

  test('the archive decrypts with the identity to the entries, owners, modes and mtimes', () => {
    const tar = run(['age', '--decrypt', '-i', identity, archive]);
    const list = run(['tar', '--list', '--verbose', '--numeric-owner', '--full-time', '--file=-'], tar).toString();
    const named = run(['tar', '--list', '--verbose', '--file=-'], tar).toString();
    const rows = list.trim().split('\n').map((l) => l.split(/\s+/));
    assert.deepEqual(
      rows.map((f) => [f[5], f[0], f[1]]),
      [
        [NM, '-rw-------', '0/0'],
        ['etc/gshadow', '-rw-r-----', '0/42'],
        ['etc/shadow', '-rw-r-----', '0/42'],
        ['etc/ssh/ssh_host_ed25519_key', '-rw-------', '0/0'],
        ['etc/ssl/private/alice.key', '-rw-r-----', '1001/1001'],
        ['etc/ssl/private/host.key', 'lrwxrwxrwx', '0/0'],
        ['etc/wireguard/wg0.conf', '-rw-------', '0/0'],
      ],
    );
    assert.match(list, /etc\/ssl\/private\/host\.key -> \/etc\/hostname/, 'the symlink is kept as a link');
    assert.match(named, /root\/shadow .* etc\/shadow/);
    assert.match(named, /alice\/alice .* etc\/ssl\/private\/alice\.key/, 'owner names are the captured system\'s');
    for (const f of rows) assert.equal(`${f[3]} ${f[4]}`.slice(0, 19), new Date(MTIME * 1000).toISOString().slice(0, 19).replace('T', ' '));
    const content = (m: string): Buffer => run(['tar', '--extract', '--to-stdout', '--file=-', m], tar);
    assert.deepEqual(content('etc/ssh/ssh_host_ed25519_key'), sshKey);
    assert.deepEqual(content('etc/shadow'), readFileSync(join(R, 'etc/shadow')));
  });

  test('a wrong identity fails with one clear message', () => {
    const r = cli(['secrets', 'restore', '--archive', archive, '--identity', wrongIdentity, '--target', tmp]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /age --decrypt -i .*wrong\.txt .* failed \(exit 1\):\n\s+age: error: no identity matched any of the recipients/);
    assert.match(r.stderr, /hint: this identity is not one the archive was encrypted to/);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  });

  test('no recipient, a bad recipient, and a missing age are clear errors; nothing is written', () => {
    const out = join(tmp, 'out', 'none.age');
    const none = cli(captureArgs('--secrets-out', out));
    assert.equal(none.status, 2, none.stderr);
    assert.match(none.stderr, /--secrets-out needs at least one recipient[\s\S]*hint: pass --secrets-recipient age1/);
    const bad = cli(captureArgs('--secrets-out', out, '--secrets-recipient', 'age1nope'));
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /--secrets-recipient "age1nope": not an age public key/);
    // A PATH where every program is there but age.
    const bin = join(tmp, 'bin-without-age');
    mkdirSync(bin);
    for (const dir of ['/usr/local/bin', '/usr/bin', '/usr/sbin', '/bin', '/sbin']) {
      if (!existsSync(dir) || lstatSync(dir).isSymbolicLink()) continue;
      for (const p of readdirSync(dir)) if (p !== 'age' && !existsSync(join(bin, p))) symlinkSync(join(dir, p), join(bin, p));
    }
    const missing = cli(captureArgs('--secrets-out', out, '--secrets-recipient', recipient), { env: { PATH: bin } });
    assert.equal(missing.status, 1, missing.stderr);
    assert.match(missing.stderr, /age is not installed\nhint: install it: apt-get install age/);
    assert.equal(existsSync(out), false);
  });

  test('the recipients file in the host folder is used', () => {
    writeFileSync(join(repo, 'hosts/vault/secrets.recipients'), `# the admin's key\n${recipient}\n`);
    const out = join(tmp, 'out', 'from-file.age');
    const r = cli(captureArgs('--secrets-out', out));
    assert.equal(r.status, 0, r.stderr);
    assert.match(run(['tar', '--list', '--file=-'], run(['age', '--decrypt', '-i', identity, out])).toString(), /etc\/wireguard\/wg0\.conf/);
  });

  test('the planned restore step restores files, owners, modes and hashes into a Debian chroot', () => {
    target = copyChroot();
    // What the users stage does: alice, with a uid other than the captured one (1001).
    run(['chroot', target, 'useradd', '--create-home', '--shell', '/bin/bash', 'alice']);
    const aliceUid = Number(/^alice:x:(\d+):/m.exec(readFileSync(join(target, 'etc/passwd'), 'utf8'))![1]);
    assert.notEqual(aliceUid, 1001);
    // A symlink planted in the target where a key goes: tar must replace it, not write through it.
    const outside = join(tmp, 'outside-file');
    writeFileSync(outside, 'untouched\n');
    mkdirSync(join(target, 'etc/ssh'), { recursive: true });
    symlinkSync(outside, join(target, 'etc/ssh/ssh_host_ed25519_key'));

    const manifest = parse(readFileSync(join(repo, 'hosts/vault/manifest.yaml'), 'utf8')) as Manifest;
    const ctx = { manifest, target, hostDir: join(repo, 'hosts/vault'), mirrors: [], cacheDir: join(tmp, 'cache'), inputs: { secrets: archive, identity } };
    const steps = planSecretsRestore(ctx, { self: [process.execPath, `${REPO_ROOT}bin/sysmanifest.js`], after: ['users:accounts'] });
    assert.equal(steps.length, 1);
    const step = steps[0]!;
    assert.equal(step.stage, 'users');
    for (const secret of [WG, KEYFILE, 'ALICEHASH']) assert.ok(!JSON.stringify(step).includes(secret), 'no secret in the plan');
    const t0 = Date.now();
    const r = spawnSync(step.argv[0]!, step.argv.slice(1), { encoding: 'utf8' });
    console.error(`restore step: ${Date.now() - t0} ms`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /restored 5 secret file\(s\)/);
    assert.match(r.stdout, /password hashes set: alice, root; group hashes set: alice/);

    const st = (rel: string) => lstatSync(join(target, rel));
    assert.equal(readFileSync(outside, 'utf8'), 'untouched\n', 'the planted symlink was not written through');
    assert.ok(st('etc/ssh/ssh_host_ed25519_key').isFile());
    assert.deepEqual(readFileSync(join(target, 'etc/ssh/ssh_host_ed25519_key')), sshKey);
    assert.deepEqual([st('etc/ssh/ssh_host_ed25519_key').mode & 0o7777, st('etc/ssh/ssh_host_ed25519_key').uid], [0o600, 0]);
    assert.deepEqual([st('etc/wireguard/wg0.conf').mode & 0o7777, st('etc/wireguard/wg0.conf').mtimeMs / 1000], [0o600, MTIME]);
    assert.deepEqual([st('etc/ssl/private/alice.key').mode & 0o7777, st('etc/ssl/private/alice.key').uid], [0o640, aliceUid], 'owner by name: the target\'s alice');
    assert.equal(readFileSync(join(target, 'etc/ssl/private/alice.key'), 'utf8').includes(KEYFILE), true);
    assert.ok(st('etc/ssl/private/host.key').isSymbolicLink());
    assert.equal(readFileSync(join(target, NM), 'utf8'), '[wifi-security]\npsk=WIFI-PSK-0b3c\n', 'the long (pax) name is restored');
    const line = (file: string, name: string): string | undefined => readFileSync(join(target, file), 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
    const orig = (file: string, name: string): string | undefined => readFileSync(join(R, file), 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
    assert.equal(line('etc/shadow', 'alice'), orig('etc/shadow', 'alice'), 'alice\'s shadow entry equals the original (hash and aging)');
    assert.equal(line('etc/shadow', 'root'), orig('etc/shadow', 'root'));
    assert.equal(line('etc/gshadow', 'alice')?.split(':')[1], '!$y$j9T$grp$ALICEGROUPHASH');
    assert.deepEqual([st('etc/shadow').mode & 0o7777, st('etc/shadow').gid], [0o640, 42], 'the target\'s shadow keeps its own mode and group');

    // Run again (a resume): idempotent, nothing to change.
    const again = spawnSync(step.argv[0]!, step.argv.slice(1), { encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /password hashes set: none changed/);
  });

  test('without --secrets: every secret not restored is listed, and the accounts are locked', () => {
    const manifest = parse(readFileSync(join(repo, 'hosts/vault/manifest.yaml'), 'utf8')) as Manifest;
    const ctx = { manifest, target: target || '/mnt/t', hostDir: join(repo, 'hosts/vault'), mirrors: [], cacheDir: '', inputs: {} };
    const report = planSecretsMissing(ctx, { accounts: ['alice'] });
    assert.deepEqual(report.notRestored.map((x) => x.path), [`/${NM}`, '/etc/gshadow', '/etc/shadow', '/etc/ssh/ssh_host_ed25519_key', '/etc/ssl/private/alice.key', '/etc/ssl/private/host.key', '/etc/wireguard/wg0.conf']);
    assert.deepEqual(report.steps.map((s) => s.argv), [['chroot', ctx.target, 'usermod', '--lock', 'alice']]);
    assert.match(report.notice, /7 secret\(s\) not restored[\s\S]*accounts locked until a password is set .*: alice/);
    if (target) {
      const r = spawnSync(report.steps[0]!.argv[0]!, report.steps[0]!.argv.slice(1), { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(readFileSync(join(target, 'etc/shadow'), 'utf8'), /^alice:!\$y\$/m, 'usermod --lock put "!" before the restored hash');
    }
  });
});
