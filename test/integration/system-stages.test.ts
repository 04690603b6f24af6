// The base and packages stages on this host, natively (the host kernel holds a plain tree):
// the cached minimal Debian (test/lib/chroot.ts) is captured, then rebuilt into an empty
// directory with the real CLI — mmdebstrap, then one apt transaction of the manual set — and
// the result's manual set, holds and a package's binary are compared with the original. The
// apt archive cache is shared across runs (/var/tmp), as a user's --cache is.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseDocument } from 'yaml';
import { copyChroot, ensureChrootCache } from '../lib/chroot.ts';
import { cli } from '../lib/cli.ts';

const CACHE = '/var/tmp/sysmanifest-apt-cache';
const skip = ensureChrootCache();
if (skip) console.error(`!! system-stages: ${skip}`);

const sh = (argv: string[]): string => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
const mounts = (under: string): string[] => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(under));
const ROOT_UUID = 'a1700700-0000-4000-8000-000000000700';
const ESP_ID = 'A1FA-0001';
const LUKS_UUID = 'a1c0c0a0-0000-4000-8000-0000000c0c0a';
const disks = (): string[] => sh(['lsblk', '-dn', '-o', 'NAME']).split('\n').filter(Boolean);

describe('rebuild --stage base,packages,etc,homes,verify into an empty tree', { skip }, () => {
  let tmp = '';
  let manifest = '';
  let original = '';
  let dotfilesCommit = '';
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-stages-'));
    // The machine: the cached Debian with a changed conffile, a deleted one, an admin file
    // with its own owner and mode, and an empty directory; captured with --commit (the /etc
    // repository and its history in the manifest repository).
    original = copyChroot();
    writeFileSync(join(original, 'etc/motd'), 'rebuilt by sysmanifest\n');
    rmSync(join(original, 'etc/issue.net'));
    writeFileSync(join(original, 'etc/sysmanifest-test.conf'), 'x = 1\n', { mode: 0o640 });
    chownSync(join(original, 'etc/sysmanifest-test.conf'), 0, 4); // root:adm
    mkdirSync(join(original, 'etc/sysmanifest-empty.d'), { mode: 0o750 });
    // A pin (the packages stage writes it before its transaction: apt must accept it).
    writeFileSync(join(original, 'etc/apt/preferences.d/hello'), 'Package: hello\nPin: release a=bookworm\nPin-Priority: 990\n');
    // fstab and crypttab naming storage identities (a clone rewrites them: the last test).
    writeFileSync(join(original, 'etc/fstab'), `UUID=${ROOT_UUID} / ext4 errors=remount-ro 0 1\nUUID=${ESP_ID} /boot/efi vfat umask=0077 0 1\n`);
    writeFileSync(join(original, 'etc/crypttab'), `cr UUID=${LUKS_UUID} none luks\n`, { mode: 0o600 });
    // A user with a dotfiles repository in ~/.git, pushed to a remote (a local path here).
    sh(['chroot', original, 'useradd', '--create-home', '--uid', '1000', '--shell', '/bin/bash', 'alice']);
    const home = join(original, 'home/alice');
    const remote = join(tmp, 'alice-dotfiles.git');
    sh(['git', 'init', '--quiet', '--bare', remote]);
    sh(['git', '-c', 'safe.directory=*', 'init', '--quiet', '--initial-branch', 'laptop', home]);
    writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Alice\n');
    sh(['git', '-c', 'safe.directory=*', '-C', home, 'add', '.gitconfig']);
    sh(['git', '-c', 'safe.directory=*', '-C', home, '-c', 'user.name=Alice', '-c', 'user.email=alice@example.org', 'commit', '--quiet', '-m', 'dotfiles']);
    sh(['git', '-c', 'safe.directory=*', '-C', home, 'remote', 'add', 'origin', remote]);
    sh(['git', '-c', 'safe.directory=*', '-C', home, 'push', '--quiet', 'origin', 'laptop']);
    sh(['chown', '-R', '1000:1000', home]);
    dotfilesCommit = sh(['git', '-c', 'safe.directory=*', '-C', home, 'rev-parse', 'HEAD']).trim();
    const repo = join(tmp, 'repo');
    const r = cli(['capture', '--commit', '--root', original, '--repo', repo, '--host', 'chroot', ...disks().flatMap((d) => ['--exclude', d])]);
    assert.equal(r.status, 0, r.stderr);
    manifest = join(repo, 'hosts/chroot/manifest.yaml');
    // A hold, and a manual package no archive has: reported, the rest installed.
    const doc = parseDocument(readFileSync(manifest, 'utf8'));
    doc.setIn(['packages', 'held'], doc.createNode(['hello']));
    const manual = doc.getIn(['packages', 'manual']) as { items: unknown[] };
    manual.items.push(doc.createNode('sysmanifest-no-such-package'));
    writeFileSync(manifest, doc.toString());
  });
  after(() => {
    for (const m of mounts(tmp).reverse()) execFileSync('umount', ['-l', m]);
    rmSync(tmp, { recursive: true, force: true });
    if (original) rmSync(original, { recursive: true, force: true });
  });

  test('the rebuilt tree has the original manual set, the hold, /etc with its metadata, the dotfiles, and runs its programs; nothing stays mounted', { timeout: 20 * 60_000 }, () => {
    const target = join(tmp, 'target');
    mkdirSync(target);
    const t0 = Date.now();
    const r = cli(['rebuild', manifest, '--stage', 'base,packages,etc,homes,verify', '--target', target, '--state', join(tmp, 'state'), '--cache', CACHE, '--yes']);
    console.error(`system-stages: base + packages + etc + homes + verify in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(r.status, 0, `${r.stdout.slice(-3000)}\n${r.stderr}`);
    assert.match(r.stdout, /verify: the target matches the manifest/);
    assert.match(r.stdout, /mmdebstrap --mode=root --variant=minbase --arch=amd64/);
    assert.match(r.stdout, /write \/etc\/apt\/preferences\.d\/hello/, 'the captured pin is in place before the package transaction');
    assert.equal(sh(['chroot', target, 'apt-mark', 'showmanual']), sh(['chroot', original, 'apt-mark', 'showmanual']), 'apt-mark showmanual');
    // /etc: content, deleted conffile, owner/group/mode, empty directory; the metadata file gone.
    assert.equal(readFileSync(join(target, 'etc/motd'), 'utf8'), 'rebuilt by sysmanifest\n');
    assert.equal(existsSync(join(target, 'etc/issue.net')), false, 'a deleted conffile stays deleted');
    const st = statSync(join(target, 'etc/sysmanifest-test.conf'));
    assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o640, 0, 4]);
    assert.equal(statSync(join(target, 'etc/sysmanifest-empty.d')).mode & 0o7777, 0o750);
    assert.equal(existsSync(join(target, 'etc/.sysmanifest-metadata')), false);
    // homes: alice's dotfiles at the pinned commit on her branch, hers.
    const home = join(target, 'home/alice');
    assert.equal(sh(['git', '-c', 'safe.directory=*', '-C', home, 'rev-parse', 'HEAD']).trim(), dotfilesCommit);
    assert.equal(sh(['git', '-c', 'safe.directory=*', '-C', home, 'symbolic-ref', '--short', 'HEAD']).trim(), 'laptop');
    assert.equal(sh(['git', '-c', 'safe.directory=*', '-C', home, 'status', '--porcelain', '--untracked-files=no']), '');
    assert.equal(readFileSync(join(home, '.gitconfig'), 'utf8'), '[user]\n\tname = Alice\n');
    for (const p of [home, join(home, '.gitconfig'), join(home, '.git'), join(home, '.git/HEAD')]) assert.equal(statSync(p).uid, 1000, p);
    assert.equal(sh(['chroot', target, 'apt-mark', 'showhold']), 'hello\n');
    assert.equal(sh(['chroot', target, 'hello']), 'Hello, world!\n');
    assert.equal(readFileSync(join(target, 'var/log/sysmanifest/missing-packages'), 'utf8'), 'sysmanifest-no-such-package\n');
    // update-initramfs is diverted (built once, in the boot stage) and no service may start.
    assert.match(sh(['chroot', target, 'dpkg-divert', '--list', '/usr/sbin/update-initramfs']), /update-initramfs\.sysmanifest/);
    assert.equal(readFileSync(join(target, 'usr/sbin/policy-rc.d'), 'utf8').trim().split('\n').pop(), 'exit 101');
    assert.deepEqual(mounts(target), [], 'no bind mount is left in the target');

    // verify --root: the same tree checked again from outside a rebuild is clean; each kind of
    // drift an administrator could cause afterwards is named by its manifest path.
    const clean = cli(['verify', manifest, '--root', target]);
    assert.equal(clean.status, 0, `${clean.stdout}\n${clean.stderr}`);
    assert.match(clean.stdout, /matches the manifest \(packages, etc, users, homes, boot\)/);
    writeFileSync(join(target, 'etc/motd'), 'changed afterwards\n');
    chmodSync(join(target, 'etc/sysmanifest-test.conf'), 0o600);
    sh(['chroot', target, 'apt-mark', 'unhold', 'hello']);
    sh(['git', '-c', 'safe.directory=*', '-C', home, '-c', 'user.name=A', '-c', 'user.email=a@b', 'commit', '--quiet', '--allow-empty', '-m', 'later']);
    sh(['chroot', target, 'usermod', '--shell', '/bin/sh', 'alice']);
    const drift = cli(['verify', manifest, '--root', target]);
    assert.notEqual(drift.status, 0);
    const lines = drift.stdout.trim().split('\n').sort();
    assert.equal(lines.length, 6, drift.stdout); // usermod changed /etc/passwd too
    assert.match(lines.find((l) => l.includes('/etc/motd')) ?? '', /^repos\.etc\["\/etc\/motd"\]: expected content 100644 [0-9a-f]{40}, found content 100644 [0-9a-f]{40}$/);
    assert.match(lines.find((l) => l.includes('sysmanifest-test.conf')) ?? '', /metadata\["sysmanifest-test\.conf"\]: expected file\t0640\troot\tadm\t.*found file\t0600\troot\tadm/);
    assert.ok(lines.some((l) => /^packages\.held\.hello: expected held, found \(absent\)$/.test(l)), drift.stdout);
    assert.ok(lines.some((l) => l.startsWith('repos.dotfiles.alice.commit: expected ' + dotfilesCommit)), drift.stdout);
    assert.ok(lines.some((l) => /^users\.users.*shell: expected \/bin\/bash, found \/bin\/sh$/.test(l)), drift.stdout);
    assert.ok(lines.some((l) => l.startsWith('repos.etc["/etc/passwd"]: expected content')), drift.stdout);
    assert.match(drift.stderr, /6 difference\(s\) between the manifest and the system at/);
  });

  test('refusals come before any write: the live root, a non-empty tree, a boot stage for a machine without a boot loader', () => {
    const root = cli(['rebuild', manifest, '--stage', 'base', '--target', '/', '--state', join(tmp, 'state2'), '--yes']);
    assert.equal(root.status, 1);
    assert.match(root.stderr, /is the live system's own root/);
    const full = join(tmp, 'full');
    mkdirSync(join(full, 'etc'), { recursive: true });
    writeFileSync(join(full, 'etc/hostname'), 'x\n');
    const nonEmpty = cli(['rebuild', manifest, '--stage', 'base', '--target', full, '--state', join(tmp, 'state3'), '--yes']);
    assert.equal(nonEmpty.status, 1);
    assert.match(nonEmpty.stderr, /is not empty \(.*etc\/hostname\)/);
    const later = cli(['rebuild', manifest, '--stage', 'boot', '--target', full, '--state', join(tmp, 'state4'), '--yes']);
    assert.equal(later.status, 1);
    // This machine has no boot loader to install (boot.loader none): refused before anything runs.
    assert.match(later.stderr, /boot\.loader: "none" — only GRUB can be installed so far/);
    assert.equal(readFileSync(join(full, 'etc/hostname'), 'utf8'), 'x\n');
  });

  test('a clone (--new-identities, the map of the rebuild that made its disks): the etc stage rewrites fstab and crypttab, verify expects the new ids only with the map', () => {
    const target = join(tmp, 'target');
    const state = join(tmp, 'state-clone');
    mkdirSync(state, { mode: 0o700 });
    const map = {
      version: 1,
      changes: [
        { path: 'storage.filesystems[0].uuid', from: ROOT_UUID, to: '0f0f0f0f-1111-4222-8333-444444444444' },
        { path: 'storage.filesystems[1].uuid', from: ESP_ID, to: 'BEEF-CAFE' },
        { path: 'storage.luks[0].uuid', from: LUKS_UUID, to: '12345678-aaaa-4bbb-8ccc-dddddddddddd' },
      ],
    };
    writeFileSync(join(state, 'identities.json'), JSON.stringify(map));
    const r = cli(['rebuild', manifest, '--stage', 'etc,verify', '--new-identities', '--target', target, '--state', state, '--yes']);
    assert.equal(r.status, 0, `${r.stdout.slice(-3000)}\n${r.stderr}`);
    assert.match(r.stdout, /\/etc's references to the 3 renewed storage identities .* rewritten/);
    assert.equal(readFileSync(join(target, 'etc/fstab'), 'utf8'), 'UUID=0f0f0f0f-1111-4222-8333-444444444444 / ext4 errors=remount-ro 0 1\nUUID=BEEF-CAFE /boot/efi vfat umask=0077 0 1\n');
    assert.equal(readFileSync(join(target, 'etc/crypttab'), 'utf8'), 'cr UUID=12345678-aaaa-4bbb-8ccc-dddddddddddd none luks\n');
    assert.equal(statSync(join(target, 'etc/crypttab')).mode & 0o7777, 0o600, 'the rewritten file keeps its mode');
    assert.match(r.stdout, /verify: the target matches the manifest/);
    const withMap = cli(['verify', manifest, '--root', target, '--only', 'etc', '--identity-map', join(state, 'identities.json')]);
    assert.equal(withMap.status, 0, withMap.stdout + withMap.stderr);
    const without = cli(['verify', manifest, '--root', target, '--only', 'etc']);
    assert.equal(without.status, 1);
    assert.deepEqual(without.stdout.trim().split('\n').map((l) => l.split(':')[0]).sort(), ['repos.etc["/etc/crypttab"]', 'repos.etc["/etc/fstab"]']);
    // Without the storage stage and without a saved map, --new-identities has nothing to go by.
    const none = cli(['rebuild', manifest, '--stage', 'etc', '--new-identities', '--target', target, '--state', join(tmp, 'state-none'), '--yes']);
    assert.equal(none.status, 2, none.stderr);
    assert.match(none.stderr, /--new-identities without the storage stage: there is no .*state-none\/identities\.json/);
  });
});
