// The cached release trees the merge tests start from (test/lib/release-trees.ts): what they
// are built to hold, and the release differences the merge tests rely on, checked with dpkg
// itself so that a rebuilt cache (a newer point release) that loses one fails here, loudly.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RELEASE_PACKAGES, RELEASE_USER, copyReleaseTree, ensureReleaseTree, type Codename } from '../lib/release-trees.ts';

const trees = new Map<Codename, string>();
const reasons: string[] = [];
if (process.getuid?.() !== 0) reasons.push('SKIPPED: needs root (mmdebstrap, chroot)');
else
  for (const c of ['bookworm', 'trixie'] as const) {
    const t = ensureReleaseTree(c);
    if (typeof t === 'string') trees.set(c, t);
    else reasons.push(t.skip);
  }
const skip = reasons.length ? reasons.join('; ') : undefined;
if (skip) console.error(`release-trees tests: ${skip}`);

const query = (root: string, format: string, ...pkgs: string[]): string =>
  execFileSync('dpkg-query', [`--admindir=${join(root, 'var/lib/dpkg')}`, '-W', '-f', format, ...pkgs], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });

describe('cached Debian release trees', { skip }, () => {
  test('both: the packages installed, alice’s home from /etc/skel, the os-release of the codename', () => {
    for (const [codename, root] of trees) {
      const states = query(root, '${Package} ${db:Status-Abbrev}\n', ...RELEASE_PACKAGES).trim().split('\n');
      assert.deepEqual(states.map((l) => l.trim()).sort(), RELEASE_PACKAGES.map((p) => `${p} ii`).sort(), codename);
      assert.match(readFileSync(join(root, 'etc/os-release'), 'utf8'), new RegExp(`VERSION_CODENAME=${codename}`));
      assert.match(readFileSync(join(root, 'etc/passwd'), 'utf8'), new RegExp(`^${RELEASE_USER}:x:\\d+:\\d+:.*:/home/${RELEASE_USER}:/bin/bash$`, 'm'));
      for (const f of readdirSync(join(root, 'etc/skel'))) assert.ok(readFileSync(join(root, 'home', RELEASE_USER, f)).equals(readFileSync(join(root, 'etc/skel', f))), `${codename}: ~/${f} is the skel file`);
      assert.equal(existsSync(join(root, 'proc/self')), false, `${codename}: nothing is left mounted`);
    }
  });

  test('both keep the .debs of their packages, the Essential set’s included (the merge bases come from there)', () => {
    for (const root of trees.values()) {
      const debs = readdirSync(join(root, 'var/cache/apt/archives'));
      for (const p of ['openssh-server', 'procps', 'apt', 'adduser', 'git', 'less', 'bash', 'login', 'dpkg', 'base-files']) {
        const version = query(root, '${Version}', p).replace(':', '%3a');
        assert.ok(debs.some((f) => f.startsWith(`${p}_${version}_`)), `${root}: ${p} ${version} in the cache`);
      }
    }
  });

  test('bookworm → trixie: /etc/sysctl.conf is gone, login.defs moved to its own package, sshd_config (ucf) changed', () => {
    const [bookworm, trixie] = [trees.get('bookworm')!, trees.get('trixie')!];
    assert.match(query(bookworm, '${Conffiles}\n', 'procps'), /^ \/etc\/sysctl\.conf [0-9a-f]{32}$/m);
    // trixie's procps no longer ships it: dpkg removes an unmodified one on upgrade.
    assert.match(query(trixie, '${Conffiles}\n', 'procps'), /^ \/etc\/sysctl\.conf newconffile remove-on-upgrade$/m);
    assert.equal(existsSync(join(trixie, 'etc/sysctl.conf')), false);
    assert.match(query(bookworm, '${Conffiles}\n', 'login'), /^ \/etc\/login\.defs /m);
    assert.match(query(trixie, '${Conffiles}\n', 'login.defs'), /^ \/etc\/login\.defs /m);
    const ucf = (root: string): string => readFileSync(join(root, 'var/lib/ucf/registry'), 'utf8');
    assert.match(ucf(bookworm), /^openssh-server\s+\/etc\/ssh\/sshd_config$/m);
    assert.match(ucf(trixie), /^openssh-server\s+\/etc\/ssh\/sshd_config$/m);
    assert.notEqual(readFileSync(join(bookworm, 'etc/ssh/sshd_config'), 'utf8'), readFileSync(join(trixie, 'etc/ssh/sshd_config'), 'utf8'));
  });

  test('copyReleaseTree: a private copy, removed by its cleanup', () => {
    const copy = copyReleaseTree('trixie');
    try {
      assert.ok(statSync(join(copy.root, 'var/lib/dpkg/status')).isFile());
      assert.notEqual(copy.root, trees.get('trixie'));
    } finally {
      copy.cleanup();
    }
    assert.equal(existsSync(copy.root), false);
  });
});
