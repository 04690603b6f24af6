// `capture --root DIR` end to end on a debootstrapped Debian chroot (a copy of the cached
// one, test/lib/chroot.ts), storage from one loop disk:
//   - the captured manual package set is the chroot's own `apt-mark showmanual`
//   - files changed, added and removed in its /etc: after `capture --commit --root` the /etc
//     repository's new commit holds exactly those changes
//   - planted secrets (shadow hash, ssh host private key, a *.key, a WireGuard config) are in
//     no object of the manifest repository nor of the /etc repository
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { ensureChrootCache, copyChroot, run } from '../lib/chroot.ts';
import { cli } from '../lib/cli.ts';
import { integrationUnavailable, LoopLab, type LoopDisk } from '../lib/loop.ts';

const skip = integrationUnavailable() ?? ensureChrootCache();
if (skip) console.error(`root-chroot integration tests: SKIPPED: ${skip}`);

const MARKERS = {
  shadow: 'PLANTEDSHADOWHASH',
  sshKey: 'PLANTED-SSH-HOST-PRIVATE-KEY',
  apiKey: 'PLANTED-API-KEY-MATERIAL',
  wireguard: 'PLANTED-WIREGUARD-PRIVATE-KEY',
};

/** Every object of a git repository, contents included (git cat-file --batch-all-objects --batch). */
function allObjects(gitDir: string): string {
  return run(['git', `--git-dir=${gitDir}`, 'cat-file', '--batch-all-objects', '--batch']);
}

describe('capture --root on a debootstrapped chroot', { skip }, () => {
  let lab: LoopLab;
  let disk: LoopDisk;
  let root = '';
  let tmp = '';
  const repo = (): string => join(tmp, 'repo');
  const etcGit = (): string => join(root, 'var/lib/sysmanifest/etc.git');
  const etcRepo = (...args: string[]): string => run(['git', `--git-dir=${etcGit()}`, ...args]);
  const put = (rel: string, content: string): void => {
    mkdirSync(dirname(join(root, 'etc', rel)), { recursive: true });
    writeFileSync(join(root, 'etc', rel), content);
  };
  const capture = (...extra: string[]) => cli(['capture', '--root', root, '--disk', disk.path, '--repo', repo(), '--host', 'chroot', ...extra], { env: { HOME: join(tmp, 'home') } });

  before(() => {
    lab = new LoopLab('sysmanifest-rootchroot-');
    disk = lab.disk(64 << 20);
    run(['sfdisk', '--quiet', disk.path], 'label: gpt\nsize=20M, type=linux, name=root\n');
    lab.rescan(disk);
    run(['mkfs.ext4', '-q', '-L', 'chroot-root', `${disk.path}p1`]);
    root = copyChroot();
    tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-rootrepo-'));
    mkdirSync(join(tmp, 'home'));
  });
  after(() => {
    lab?.cleanup();
    if (root) rmSync(dirname(root), { recursive: true, force: true });
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('the captured manual package set is the chroot’s own apt-mark showmanual', () => {
    const r = capture();
    assert.equal(r.status, 0, r.stderr);
    const manifest = parse(readFileSync(join(repo(), 'hosts/chroot/manifest.yaml'), 'utf8')) as { packages: { manual: string[] }; storage: { filesystems: Array<{ label?: string }> } };
    const showmanual = run(['chroot', root, 'apt-mark', 'showmanual']).trim().split('\n');
    assert.deepEqual(manifest.packages.manual, showmanual);
    assert.ok(showmanual.includes('hello') && showmanual.includes('less'), 'the packages installed after debootstrap are manual');
    assert.deepEqual(manifest.storage.filesystems.map((f) => f.label), ['chroot-root']);
  });

  test('/etc changes, additions and removals land in the /etc repository exactly; planted secrets nowhere', () => {
    // Secrets, planted before the first commit of the /etc repository.
    put('shadow', `root:$y$j9T$${MARKERS.shadow}$abcdefghijklmnop:19000:0:99999:7:::\n`);
    put('ssh/ssh_host_ed25519_key', `-----BEGIN OPENSSH PRIVATE KEY-----\n${MARKERS.sshKey}\n-----END OPENSSH PRIVATE KEY-----\n`);
    put('ssl/private/service.key', `${MARKERS.apiKey}\n`);
    put('wireguard/wg0.conf', `[Interface]\nPrivateKey = ${MARKERS.wireguard}=\nAddress = 10.0.0.2/24\n`);
    put('to-be-changed.conf', 'setting = 1\n');
    put('to-be-removed.conf', 'gone soon\n');
    const first = capture('--commit');
    assert.equal(first.status, 0, first.stderr);
    const c1 = etcRepo('rev-parse', 'HEAD').trim();

    // The test's changes: one changed, one added, one removed (all owned by no package).
    put('to-be-changed.conf', 'setting = 2\n');
    put('added.d/new.conf', 'new = yes\n');
    unlinkSync(join(root, 'etc/to-be-removed.conf'));
    const second = capture('--commit');
    assert.equal(second.status, 0, second.stderr);
    const c2 = etcRepo('rev-parse', 'HEAD').trim();
    assert.notEqual(c2, c1);
    assert.equal(etcRepo('rev-parse', `${c2}~1`).trim(), c1, 'one commit on top of the first');
    const changed = etcRepo('diff', '--name-status', '--no-renames', c1, c2).trim().split('\n');
    // The metadata file (owner/group/mode lines) moves with the added and removed files.
    assert.deepEqual(changed, ['M\t.sysmanifest-metadata', 'A\tadded.d/new.conf', 'M\tto-be-changed.conf', 'D\tto-be-removed.conf']);
    assert.equal(etcRepo('show', `${c2}:to-be-changed.conf`), 'setting = 2\n');

    // The manifest records the /etc commit, and the manifest commit says what moved.
    const manifest = parse(readFileSync(join(repo(), 'hosts/chroot/manifest.yaml'), 'utf8')) as { repos: { etc: { commit: string; dirty: boolean; restoreFromElsewhere: Array<{ path: string }> } } };
    assert.equal(manifest.repos.etc.commit, c2);
    assert.equal(manifest.repos.etc.dirty, false);
    const restore = manifest.repos.etc.restoreFromElsewhere.map((r) => r.path);
    for (const p of ['/etc/shadow', '/etc/ssh/ssh_host_ed25519_key', '/etc/ssl/private/service.key', '/etc/wireguard/wg0.conf']) assert.ok(restore.includes(p), `${p} is listed as restore-from-elsewhere`);
    const body = run(['git', '-C', repo(), 'log', '-1', '--format=%B']);
    assert.match(body, /^chroot: \/etc: 3 files \+ metadata · storage: unchanged$/m);
    assert.match(body, /^ {2}A \/etc\/added\.d\/new\.conf\n {2}M \/etc\/to-be-changed\.conf\n {2}D \/etc\/to-be-removed\.conf$/m);

    // No planted secret in any object of either repository (history included).
    const objects = { manifest: allObjects(join(repo(), '.git')), etc: allObjects(etcGit()) };
    assert.ok(objects.etc.includes('setting = 2'), 'the object dump does hold file contents');
    for (const [where, dump] of Object.entries(objects)) {
      for (const m of Object.values(MARKERS)) assert.equal(dump.includes(m), false, `${m} found in the ${where} repository`);
    }
  });
});
