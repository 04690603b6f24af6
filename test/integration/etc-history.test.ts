// The /etc history survives the loss of the disk it describes: capture --commit fetches the
// commits of sysmanifest's own /etc repository (kept on the captured system) into the manifest
// repository under refs/sysmanifest/etc/HOST and pushes that ref with the manifests.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { copyChroot, ensureChrootCache } from '../lib/chroot.ts';
import { cli } from '../lib/cli.ts';

const skip = ensureChrootCache();
if (skip) console.error(`!! etc-history: ${skip}`);
const git = (...args: string[]): string => execFileSync('git', args, { encoding: 'utf8' }).trim();
const disks = (): string[] => execFileSync('lsblk', ['-dn', '-o', 'NAME'], { encoding: 'utf8' }).split('\n').filter(Boolean);

describe('capture --commit keeps the /etc history in the manifest repository', { skip }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-etc-history-'));
  let root = '';
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('the etc commit is reachable from the manifest repository and its remote, also after the captured disk is gone', () => {
    root = copyChroot();
    const repo = join(tmp, 'repo');
    const remote = join(tmp, 'remote.git');
    git('init', '--quiet', '--bare', remote);
    git('init', '--quiet', repo);
    git('-C', repo, 'remote', 'add', 'origin', remote);
    const capture = (): { commit: string } => {
      const r = cli(['capture', '--commit', '--root', root, '--repo', repo, '--host', 'chroot', ...disks().flatMap((d) => ['--exclude', d])]);
      assert.equal(r.status, 0, r.stderr);
      const m = parse(readFileSync(join(repo, 'hosts/chroot/manifest.yaml'), 'utf8')) as { repos: { etc: { kind: string; commit: string } } };
      assert.equal(m.repos.etc.kind, 'sysmanifest');
      return m.repos.etc;
    };
    const first = capture();
    assert.equal(git('-C', repo, 'rev-parse', 'refs/sysmanifest/etc/chroot'), first.commit);
    assert.equal(git('-C', remote, 'rev-parse', 'refs/sysmanifest/etc/chroot'), first.commit);
    // A changed /etc: a new etc commit, and the ref follows it.
    writeFileSync(join(root, 'etc/motd'), 'rebuilt by sysmanifest\n');
    const second = capture();
    assert.notEqual(second.commit, first.commit);
    assert.equal(git('-C', remote, 'rev-parse', 'refs/sysmanifest/etc/chroot'), second.commit);
    // The captured system's disk is lost: its etc.git with it. The manifest repository's remote has it all.
    rmSync(join(root, 'var/lib/sysmanifest/etc.git'), { recursive: true, force: true });
    const clone = join(tmp, 'clone');
    git('clone', '--quiet', remote, clone);
    git('-C', clone, 'fetch', '--quiet', 'origin', 'refs/sysmanifest/etc/chroot:refs/sysmanifest/etc/chroot');
    assert.equal(git('-C', clone, 'show', `${second.commit}:motd`), 'rebuilt by sysmanifest');
    assert.match(git('-C', clone, 'log', '--format=%H', 'refs/sysmanifest/etc/chroot'), new RegExp(first.commit));
    // The manifests' own history stays clean: the etc commits are on no branch.
    assert.equal(git('-C', clone, 'branch', '--all', '--contains', second.commit), '');
  });
});
