// The /etc repository against real git, on a fake system tree in a temp dir: a ROOT with an
// /etc, a dpkg database for three packages made up for this test (status Conffiles, info/*.list,
// *.md5sums), users and groups. We change, add and remove files and check that the repository
// then holds exactly those; planted secrets must appear in no object of the repository.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hostMutatingRunner, hostReadOnlyRunner } from '../../src/core/runner/exec.ts';
import { describeEtcRepo } from '../../src/providers/system/etc/capture.ts';
import { syncEtcRepo } from '../../src/providers/system/etc/sync.ts';

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'SKIPPED: needs root (files owned by other users, as on a real /etc)';
  try {
    execFileSync('git', ['--version']);
  } catch {
    return 'SKIPPED: git is not installed';
  }
  return undefined;
}
const skip = unavailable();
if (skip) console.error(`etc-repo integration tests: ${skip}`);

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const SHIPPED = {
  'fakeutils.conf': 'verbose = no\n',
  'fakeutils.d/defaults.conf': 'x = 1\n',
  'cron.daily/fakecron': '#!/bin/sh\nexec fakecron --daily\n',
  'fakecron/README': 'read me\n',
  'ssh/sshd_config': 'PermitRootLogin prohibit-password\n',
  'ssh/moduli': '2023 moduli\n',
};

/** Secrets planted in /etc; none of these strings may reach the repository. */
const SECRETS = {
  shadow: 'root:$y$j9T$PLANTEDHASHrootAAAA$abcdefghijklmnop:19000:0:99999:7:::\nalice:$y$j9T$PLANTEDHASHalice$qrstuvw:19000:0:99999:7:::\n',
  gshadow: 'shadow:PLANTED-GSHADOW-HASH::\n',
  'ssh/ssh_host_ed25519_key': '-----BEGIN OPENSSH PRIVATE KEY-----\nPLANTED-SSH-HOST-PRIVATE-KEY\n-----END OPENSSH PRIVATE KEY-----\n',
  'ssl/private/server.pem': '-----BEGIN PRIVATE KEY-----\nPLANTED-TLS-PRIVATE-KEY\n-----END PRIVATE KEY-----\n',
  'app/api.key': 'PLANTED-API-KEY\n',
  'wireguard/wg0.conf': '[Interface]\nPrivateKey = PLANTED-WIREGUARD-PRIVATE-KEY=\nAddress = 10.0.0.2/24\n',
  'NetworkManager/system-connections/home.nmconnection': '[wifi-security]\npsk=PLANTED-WIFI-PSK\n',
  'app/token.txt': 'PLANTED-USER-EXCLUDED-TOKEN\n',
};
const MARKERS = ['PLANTEDHASH', 'PLANTED-GSHADOW-HASH', 'PLANTED-SSH-HOST-PRIVATE-KEY', 'PLANTED-TLS-PRIVATE-KEY', 'PLANTED-API-KEY', 'PLANTED-WIREGUARD-PRIVATE-KEY', 'PLANTED-WIFI-PSK', 'PLANTED-USER-EXCLUDED-TOKEN'];
const EXCLUDE = ['/etc/app/token.txt'];

describe('the /etc repository (sysmanifest kind)', { skip }, () => {
  let root = '';
  const etc = (rel: string): string => join(root, 'etc', rel);
  const put = (rel: string, content: string, mode = 0o644): void => {
    mkdirSync(dirname(etc(rel)), { recursive: true });
    writeFileSync(etc(rel), content);
    chmodSync(etc(rel), mode);
  };
  const gitDir = (): string => join(root, 'var/lib/sysmanifest/etc.git');
  const git = (...args: string[]): string => execFileSync('git', [`--git-dir=${gitDir()}`, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const headFiles = (): string[] => git('ls-tree', '-r', '--name-only', '--full-tree', 'HEAD').split('\n').filter((l) => l !== '');
  const sync = () => syncEtcRepo({ runner: hostMutatingRunner(), root, exclude: EXCLUDE, hostname: 'testhost' });

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'sysmanifest-etc-'));
    // Users and groups of the captured system (not the host's).
    put('passwd', 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n');
    put('group', 'root:x:0:\nshadow:x:42:\nalice:x:1000:\n');
    put('hostname', 'testhost\n');
    put('fstab', 'UUID=1234 / ext4 defaults 0 1\n');
    put('local.conf', 'admin made this\n');
    mkdirSync(etc('alternatives'), { recursive: true });
    symlinkSync('/usr/bin/vim.basic', etc('alternatives/editor'));
    mkdirSync(etc('empty.d'), { mode: 0o750 });
    put('vcsd/.git/config', '[core]\n'); // a nested repository's internals are never taken
    put('vcsd/keep.conf', 'kept\n');
    // Shipped files, two of them changed by the administrator.
    for (const [rel, content] of Object.entries(SHIPPED)) put(rel, content, rel.startsWith('cron.daily/') ? 0o755 : 0o644);
    put('ssh/sshd_config', 'PermitRootLogin no\n');
    put('ssh/moduli', '2023 moduli, regenerated\n');
    put('ssh/ssh_host_ed25519_key.pub', 'ssh-ed25519 AAAAPUBLIC root@testhost\n');
    for (const [rel, content] of Object.entries(SECRETS)) put(rel, content, 0o600);
    chmodSync(etc('shadow'), 0o640);
    chownSync(etc('shadow'), 0, 42);
    chownSync(etc('local.conf'), 1000, 1000);

    const dpkg = join(root, 'var/lib/dpkg');
    mkdirSync(join(dpkg, 'info'), { recursive: true });
    writeFileSync(
      join(dpkg, 'status'),
      [
        'Package: fakeutils',
        'Status: install ok installed',
        'Architecture: all',
        'Version: 1.0',
        'Conffiles:',
        ` /etc/fakeutils.conf ${md5(SHIPPED['fakeutils.conf'])}`,
        ` /etc/fakeutils.d/defaults.conf ${md5(SHIPPED['fakeutils.d/defaults.conf'])}`,
        ' /etc/fakeutils.old 0123456789abcdef0123456789abcdef obsolete',
        'Description: test package',
        ' mentions /etc/fakeutils.conf in a description line',
        '',
        'Package: fakecron',
        'Status: install ok installed',
        'Architecture: amd64',
        'Multi-Arch: same',
        'Version: 2.0',
        'Conffiles:',
        ` /etc/cron.daily/fakecron ${md5(SHIPPED['cron.daily/fakecron'])}`,
        'Description: test package',
        '',
        'Package: fakessh',
        'Status: install ok installed',
        'Architecture: amd64',
        'Version: 3.0',
        'Conffiles:',
        ` /etc/ssh/sshd_config ${md5(SHIPPED['ssh/sshd_config'])}`,
        'Description: test package',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dpkg, 'info/fakeutils.list'), '/.\n/etc\n/etc/fakeutils.conf\n/etc/fakeutils.d\n/etc/fakeutils.d/defaults.conf\n/usr/bin/fakeutils\n');
    writeFileSync(join(dpkg, 'info/fakeutils.md5sums'), `${md5('binary')}  usr/bin/fakeutils\n`);
    writeFileSync(join(dpkg, 'info/fakecron:amd64.list'), '/.\n/etc\n/etc/cron.daily\n/etc/cron.daily/fakecron\n/etc/fakecron\n/etc/fakecron/README\n');
    writeFileSync(join(dpkg, 'info/fakecron:amd64.md5sums'), `${md5(SHIPPED['fakecron/README'])}  etc/fakecron/README\n`);
    writeFileSync(join(dpkg, 'info/fakessh.list'), '/.\n/etc\n/etc/ssh\n/etc/ssh/sshd_config\n/etc/ssh/moduli\n');
    writeFileSync(join(dpkg, 'info/fakessh.md5sums'), `${md5(SHIPPED['ssh/moduli'])}  etc/ssh/moduli\n`);
  });

  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('first sync: creates the repository outside /etc and commits exactly the changed and unowned files', async () => {
    const etcBefore = readdirSync(join(root, 'etc')).sort();
    const r = await sync();
    assert.equal(r.created, true);
    assert.equal(r.committed, true);
    assert.deepEqual(readdirSync(join(root, 'etc')).sort(), etcBefore, '/etc is not littered');
    assert.equal(existsSync(etc('.git')), false);
    assert.deepEqual(headFiles(), [
      '.sysmanifest-metadata',
      'alternatives/editor',
      'fstab',
      'group',
      'hostname',
      'local.conf',
      'passwd',
      'ssh/moduli',
      'ssh/ssh_host_ed25519_key.pub',
      'ssh/sshd_config',
      'vcsd/keep.conf',
    ]);
    assert.equal(git('cat-file', '-p', 'HEAD:ssh/sshd_config'), 'PermitRootLogin no\n');
    assert.match(git('ls-tree', 'HEAD', 'alternatives/editor'), /^120000 blob /);
    assert.equal(git('log', '-1', '--format=%an <%ae>|%cn <%ce>|%s'), 'sysmanifest <root@testhost>|sysmanifest <root@testhost>|/etc: 10 added, metadata\n');
    assert.deepEqual(r.changes, {
      added: ['alternatives/editor', 'fstab', 'group', 'hostname', 'local.conf', 'passwd', 'ssh/moduli', 'ssh/ssh_host_ed25519_key.pub', 'ssh/sshd_config', 'vcsd/keep.conf'],
      modified: [],
      removed: [],
      metadata: true,
    });
    assert.equal(r.repo.kind, 'sysmanifest');
    assert.equal(r.repo.gitDir, '/var/lib/sysmanifest/etc.git');
    assert.equal(r.repo.branch, 'main');
    assert.equal(r.repo.commit, git('rev-parse', 'HEAD').trim());
    assert.equal(r.repo.dirty, false);
    assert.deepEqual(r.repo.restoreFromElsewhere, [
      { path: '/etc/NetworkManager/system-connections/home.nmconnection', why: 'network passwords and PSKs (NetworkManager keyfiles)' },
      { path: '/etc/app/api.key', why: 'private key file' },
      { path: '/etc/app/token.txt', why: 'excluded by repos.etc.exclude (/etc/app/token.txt)' },
      { path: '/etc/gshadow', why: 'group password hashes (gshadow(5))' },
      { path: '/etc/shadow', why: 'password hashes (shadow(5))' },
      { path: '/etc/ssh/ssh_host_ed25519_key', why: 'SSH host private key (sshd(8)); the .pub is kept' },
      { path: '/etc/ssl/private/server.pem', why: 'TLS private keys' },
      { path: '/etc/wireguard/wg0.conf', why: 'WireGuard private keys (PrivateKey= in wg-quick(8) configs)' },
    ]);
    assert.equal(execFileSync('stat', ['-c', '%a', gitDir()], { encoding: 'utf8' }), '700\n');
  });

  test('the metadata file: owners by the captured system\'s names, modes, links, secrets, parents', () => {
    const meta = git('cat-file', '-p', 'HEAD:.sysmanifest-metadata').split('\n');
    assert.deepEqual(meta.slice(2), [
      'dir\t0755\troot\troot\tNetworkManager',
      'dir\t0755\troot\troot\tNetworkManager/system-connections',
      'secret\t0600\troot\troot\tNetworkManager/system-connections/home.nmconnection',
      'dir\t0755\troot\troot\talternatives',
      'link\t0777\troot\troot\talternatives/editor\t-> /usr/bin/vim.basic',
      'dir\t0755\troot\troot\tapp',
      'secret\t0600\troot\troot\tapp/api.key',
      'secret\t0600\troot\troot\tapp/token.txt',
      'dir\t0750\troot\troot\tempty.d',
      'file\t0644\troot\troot\tfstab',
      'file\t0644\troot\troot\tgroup',
      'secret\t0600\troot\troot\tgshadow',
      'file\t0644\troot\troot\thostname',
      'file\t0644\talice\talice\tlocal.conf',
      'file\t0644\troot\troot\tpasswd',
      'secret\t0640\troot\tshadow\tshadow',
      'dir\t0755\troot\troot\tssh',
      'file\t0644\troot\troot\tssh/moduli',
      'secret\t0600\troot\troot\tssh/ssh_host_ed25519_key',
      'file\t0644\troot\troot\tssh/ssh_host_ed25519_key.pub',
      'file\t0644\troot\troot\tssh/sshd_config',
      'dir\t0755\troot\troot\tssl',
      'dir\t0755\troot\troot\tssl/private',
      'secret\t0600\troot\troot\tssl/private/server.pem',
      'dir\t0755\troot\troot\tvcsd',
      'file\t0644\troot\troot\tvcsd/keep.conf',
      'dir\t0755\troot\troot\twireguard',
      'secret\t0600\troot\troot\twireguard/wg0.conf',
      '',
    ]);
  });

  test('an unchanged /etc makes no commit and reads as clean', async () => {
    const before = git('rev-parse', 'HEAD');
    const r = await sync();
    assert.equal(r.committed, false);
    assert.equal(git('rev-parse', 'HEAD'), before);
    assert.equal(git('rev-list', '--count', 'HEAD'), '1\n');
    assert.equal(r.repo.dirty, false);
    const ro = await describeEtcRepo({ runner: hostReadOnlyRunner(), root, exclude: EXCLUDE });
    assert.deepEqual(ro, r.repo, 'the read-only provider sees the same state');
  });

  test('change, add, remove: the repository then holds exactly those', async () => {
    put('fakeutils.conf', 'verbose = yes\n'); // a conffile changed → tracked
    put('new.conf', 'added by admin\n'); // unowned, new → tracked
    unlinkSync(etc('local.conf')); // unowned, deleted → leaves the repository
    put('ssh/sshd_config', SHIPPED['ssh/sshd_config']); // back to the shipped version → leaves the repository
    chmodSync(etc('fstab'), 0o600); // metadata only
    unlinkSync(etc('cron.daily/fakecron')); // a deleted conffile → an `absent` line

    const ro = await describeEtcRepo({ runner: hostReadOnlyRunner(), root, exclude: EXCLUDE });
    assert.equal(ro.dirty, true, 'the read-only view sees the unsynced change');

    const r = await sync();
    assert.equal(r.committed, true);
    assert.deepEqual(r.changes, { added: ['fakeutils.conf', 'new.conf'], modified: [], removed: ['local.conf', 'ssh/sshd_config'], metadata: true });
    assert.deepEqual(headFiles(), [
      '.sysmanifest-metadata',
      'alternatives/editor',
      'fakeutils.conf',
      'fstab',
      'group',
      'hostname',
      'new.conf',
      'passwd',
      'ssh/moduli',
      'ssh/ssh_host_ed25519_key.pub',
      'vcsd/keep.conf',
    ]);
    assert.equal(git('cat-file', '-p', 'HEAD:fakeutils.conf'), 'verbose = yes\n');
    const meta = git('cat-file', '-p', 'HEAD:.sysmanifest-metadata');
    assert.match(meta, /^file\t0600\troot\troot\tfstab$/m);
    assert.match(meta, /^absent\t-\t-\t-\tcron\.daily\/fakecron$/m);
    assert.doesNotMatch(meta, /fakeutils\.old/, 'an obsolete conffile\'s absence means nothing');
    assert.doesNotMatch(meta, /local\.conf/);
    assert.equal(git('log', '-1', '--format=%B'), '/etc: 2 added, 2 removed, metadata\n\nA fakeutils.conf\nD local.conf\nA new.conf\nD ssh/sshd_config\n\n');
    assert.equal(git('rev-list', '--count', 'HEAD'), '2\n');
    assert.equal(r.repo.dirty, false);
  });

  test('a file the user excludes later leaves the tree and is listed to restore from elsewhere', async () => {
    const r = await syncEtcRepo({ runner: hostMutatingRunner(), root, exclude: [...EXCLUDE, 'new.conf'], hostname: 'testhost' });
    assert.equal(r.committed, true);
    assert.deepEqual(r.changes.removed, ['new.conf']);
    assert.equal(headFiles().includes('new.conf'), false);
    assert.deepEqual(
      r.repo.restoreFromElsewhere?.find((x) => x.path === '/etc/new.conf'),
      { path: '/etc/new.conf', why: 'excluded by repos.etc.exclude (new.conf)' },
    );
    assert.deepEqual(r.repo.exclude, ['/etc/app/token.txt', 'new.conf']);
  });

  test('no planted secret is in any object or any commit of the repository', () => {
    const log = git('log', '-p', '--all', '--format=%H%n%B');
    const objects = git('cat-file', '--batch-all-objects', '--batch');
    const count = Number(git('count-objects', '-v').match(/^count: (\d+)/m)![1]) + Number(git('count-objects', '-v').match(/^in-pack: (\d+)/m)![1]);
    assert.ok(count >= 10, `the repository has objects to search (${count})`);
    assert.match(objects, /PermitRootLogin no/, 'the object dump does contain file contents');
    for (const marker of MARKERS) {
      assert.equal(log.includes(marker), false, `${marker} in git log -p`);
      assert.equal(objects.includes(marker), false, `${marker} in an object`);
    }
  });
});

describe('the /etc repository (etckeeper kind): only read', { skip }, () => {
  let root = '';
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'sysmanifest-etckeeper-'));
    const etc = join(root, 'etc');
    mkdirSync(join(etc, 'etckeeper'), { recursive: true });
    writeFileSync(join(etc, 'etckeeper/etckeeper.conf'), 'VCS="git"\n');
    writeFileSync(join(etc, '.etckeeper'), '# etckeeper metadata\n');
    writeFileSync(join(etc, 'hosts'), '127.0.0.1 localhost\n');
    writeFileSync(join(etc, 'shadow'), SECRETS.shadow, { mode: 0o640 });
    writeFileSync(join(etc, 'gshadow'), SECRETS.gshadow, { mode: 0o640 });
    const g = (...a: string[]): string => execFileSync('git', ['-C', etc, ...a], { encoding: 'utf8' });
    g('init', '--quiet', '--initial-branch=master');
    g('remote', 'add', 'origin', 'https://etc:s3cr3t-token@git.example.org/etc.git');
    // etckeeper commits everything that is not in its .gitignore, shadow included.
    g('add', '.etckeeper', 'etckeeper/etckeeper.conf', 'hosts', 'shadow');
    g('-c', 'user.name=etckeeper', '-c', 'user.email=root@x', 'commit', '--quiet', '-m', 'daily autocommit');
  });
  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('its state is reported, nothing is written, tracked secrets are flagged', async () => {
    const head = execFileSync('git', ['-C', join(root, 'etc'), 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const r = await syncEtcRepo({ runner: hostMutatingRunner(), root, hostname: 'testhost' });
    assert.equal(r.committed, false);
    assert.equal(existsSync(join(root, 'var/lib/sysmanifest')), false);
    assert.deepEqual(r.repo, {
      kind: 'etckeeper',
      path: '/etc',
      gitDir: '/etc/.git',
      remote: { name: 'origin', url: 'https://git.example.org/etc.git' },
      branch: 'master',
      commit: head,
      dirty: true, // gshadow is untracked: etckeeper would commit it
      restoreFromElsewhere: [{ path: '/etc/gshadow', why: 'group password hashes (gshadow(5))' }],
      trackedSecrets: ['/etc/shadow'],
    });
  });
});
