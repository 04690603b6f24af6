// Offline: `sysmanifest mirror` makes a partial mirror of everything a rebuild of the manifest
// installs; then, with the network cut (unshare --net), `rebuild --mirror file://DIR` installs
// the base and the manual set from it alone.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CHROOT_CACHE, ensureChrootCache } from '../lib/chroot.ts';
import { cli, REPO_ROOT } from '../lib/cli.ts';

const skip = ensureChrootCache();
if (skip) console.error(`!! offline-rebuild: ${skip}`);
const sh = (argv: string[]): string => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
const disks = (): string[] => sh(['lsblk', '-dn', '-o', 'NAME']).split('\n').filter(Boolean);
const mounts = (under: string): string[] => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(under));

describe('rebuild --mirror file://DIR with no network', { skip }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-offline-'));
  after(() => {
    for (const m of mounts(tmp).reverse()) execFileSync('umount', ['-l', m]);
    rmSync(tmp, { recursive: true, force: true });
  });

  test('mirror, then base + packages + verify offline: the same manual set', { timeout: 20 * 60_000 }, () => {
    const repo = join(tmp, 'repo');
    const r = cli(['capture', '--root', CHROOT_CACHE, '--repo', repo, '--host', 'chroot', ...disks().flatMap((d) => ['--exclude', d])]);
    assert.equal(r.status, 0, r.stderr);
    const manifest = join(repo, 'hosts/chroot/manifest.yaml');
    const mirror = join(tmp, 'mirror');
    const m = cli(['mirror', manifest, '--out', mirror]);
    assert.equal(m.status, 0, m.stderr);
    const target = join(tmp, 'target');
    mkdirSync(target);
    const t0 = Date.now();
    const offline = spawnSync('unshare', ['--net', process.execPath, `${REPO_ROOT}bin/sysmanifest.js`, 'rebuild', manifest, '--stage', 'base,packages,verify', '--target', target, '--state', join(tmp, 'state'), '--cache', join(tmp, 'cache'), '--mirror', `file://${mirror}`, '--yes'], { encoding: 'utf8' });
    console.error(`offline-rebuild: base + packages + verify from the mirror, network cut, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(offline.status, 0, `${offline.stdout.slice(-3000)}\n${offline.stderr}`);
    assert.match(offline.stdout, /verify: the target matches the manifest/);
    assert.equal(sh(['chroot', target, 'apt-mark', 'showmanual']), sh(['chroot', CHROOT_CACHE, 'apt-mark', 'showmanual']));
    assert.equal(sh(['chroot', target, 'hello']), 'Hello, world!\n');
    assert.deepEqual(mounts(target), []);
  });
});
