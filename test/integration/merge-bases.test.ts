// Merge bases recorded by `capture --root` (issue 15), on a copy of the cached bookworm release
// tree (test/lib/release-trees.ts; its apt cache holds the .debs of the non-essential packages):
//   - hosts/HOST/bases/index.json lists exactly the modified and deleted conffiles (plus the
//     ucf-managed sshd_config), each with dpkg's package, version and md5; every blob's md5 is
//     dpkg's record and its sha256 its name; /etc/skel files are there;
//   - a second capture changes nothing; a .deb missing from the cache is `unavailable` with
//     the reason, and the capture still succeeds; the running system's path (download of the
//     exact version with apt-get) fetches one the cache lacks;
//   - a hostile tree (symlinks to the host's files, a FIFO) never makes capture read outside it.
// The oracle is dpkg itself (dpkg-query --admindir), not the parser under test.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { confinedRunner } from '../../src/core/confine/index.ts';
import { hostReadOnlyRunner } from '../../src/core/runner/exec.ts';
import { readOnlyPipeline } from '../../src/core/runner/pipe.ts';
import { captureBases, debArchiveName } from '../../src/providers/system/etc/bases.ts';
import { cli } from '../lib/cli.ts';
import { copyReleaseTree, ensureReleaseTree, type ReleaseTreeCopy } from '../lib/release-trees.ts';

function why(): string | undefined {
  if (process.getuid?.() !== 0) return 'SKIPPED: needs root (capture, the release tree)';
  const tree = ensureReleaseTree('bookworm');
  return typeof tree === 'string' ? undefined : tree.skip;
}
const skip = why();
if (skip) console.error(`merge-bases integration tests: ${skip}`);

const ENV = { ...process.env, LC_ALL: 'C' };
const sh = (argv: readonly string[]): string => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: ENV, maxBuffer: 64 << 20 });
const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Entry {
  package: string;
  version: string;
  md5: string;
  sha256?: string;
  unavailable?: string;
}
interface Index {
  format: number;
  etc: Record<string, Entry>;
  skel: Record<string, { sha256: string }>;
}

/** dpkg's own view of ROOT: conffile → {package, md5}, package → version. */
function dpkgOracle(root: string): { conffiles: Map<string, { pkg: string; md5: string }>; version: (pkg: string) => string } {
  const admindir = join(root, 'var/lib/dpkg');
  const out = sh(['dpkg-query', `--admindir=${admindir}`, '-W', '-f', '${Package}\\t${db:Status-Abbrev}\\n${Conffiles}\\n']);
  const conffiles = new Map<string, { pkg: string; md5: string }>();
  let pkg = '';
  for (const line of out.split('\n')) {
    if (!line.startsWith(' ')) {
      pkg = line.split('\t')[0]!;
      continue;
    }
    const [path, sum, flag] = line.trim().split(' ');
    if (path && sum && sum !== 'newconffile' && flag === undefined) conffiles.set(path, { pkg, md5: sum });
  }
  return { conffiles, version: (p) => sh(['dpkg-query', `--admindir=${admindir}`, '-W', '-f', '${Version}', p]) };
}

describe('merge bases recorded by capture --root', { skip }, () => {
  let tree: ReleaseTreeCopy | undefined;
  let tmp = '';
  const root = (): string => tree!.root;
  const edit = (rel: string, extra: string): void => writeFileSync(join(root(), rel), readFileSync(join(root(), rel), 'utf8') + extra);
  const capture = (repo: string, ...extra: string[]) => cli(['capture', '--root', root(), '--repo', repo, '--host', 'merge', ...extra], { env: { HOME: join(tmp, 'home') }, timeoutMs: 300_000 });
  const indexOf = (repo: string): Index => JSON.parse(readFileSync(join(repo, 'hosts/merge/bases/index.json'), 'utf8')) as Index;
  const blob = (repo: string, name: string): Buffer => readFileSync(join(repo, 'hosts/merge/bases', name));

  before(() => {
    tree = copyReleaseTree('bookworm');
    tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-bases-'));
    mkdirSync(join(tmp, 'home'));
    // The release tree keeps every .deb (--skip=essential/unlink); two are taken out of this
    // copy's cache, so that the bases of login.defs and skel's .bashrc are unavailable as they
    // are on a system whose apt cache was cleaned.
    const archives = join(root(), 'var/cache/apt/archives');
    for (const f of readdirSync(archives)) if (f.startsWith('bash_') || f.startsWith('login_')) unlinkSync(join(archives, f));
    // The administrator's changes.
    edit('etc/ssh/sshd_config', 'PasswordAuthentication no\n'); // ucf-managed (not a dpkg conffile)
    edit('etc/sysctl.conf', 'vm.swappiness = 10\n'); // procps conffile
    edit('etc/apt/apt.conf.d/01autoremove', '// keep my kernels\n'); // apt conffile
    edit('etc/login.defs', 'UMASK 027\n'); // login: essential, its .deb is not in the cache
    unlinkSync(join(root(), 'etc/logrotate.d/apt')); // a deleted apt conffile
    edit('etc/skel/.bashrc', "alias ll='ls -l'\n"); // a bash conffile and a skel file
    mkdirSync(join(root(), 'etc/skel/.config/app'), { recursive: true });
    writeFileSync(join(root(), 'etc/skel/.config/app/settings.ini'), '[ui]\ntheme = dark\n');
  });
  after(() => {
    tree?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('index.json: exactly the modified and deleted conffiles (and ucf’s sshd_config), verified against dpkg; skel files', () => {
    const repo = join(tmp, 'repo');
    const r = capture(repo, '--commit');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^merge bases: 4 \/etc file\(s\) recorded, 2 unavailable \(see .*\), 4 \/etc\/skel file\(s\)$/m);
    const index = indexOf(repo);

    // The oracle: every conffile dpkg knows whose file now differs or is gone.
    const dpkg = dpkgOracle(root());
    const changed = [...dpkg.conffiles]
      .filter(([path, c]) => !existsSync(join(root(), path)) || md5(readFileSync(join(root(), path))) !== c.md5)
      .map(([path]) => path);
    assert.deepEqual(changed.sort(), ['/etc/apt/apt.conf.d/01autoremove', '/etc/login.defs', '/etc/logrotate.d/apt', '/etc/skel/.bashrc', '/etc/sysctl.conf']);
    assert.deepEqual(Object.keys(index.etc).sort(), [...changed, '/etc/ssh/sshd_config'].sort());

    for (const path of changed) {
      const e = index.etc[path]!;
      const c = dpkg.conffiles.get(path)!;
      assert.equal(e.package, c.pkg, path);
      assert.equal(e.md5, c.md5, path);
      assert.equal(e.version, dpkg.version(c.pkg), path);
    }
    // Bases from the apt cache: the pristine bytes (dpkg's md5, the content's sha256 as name).
    for (const path of ['/etc/apt/apt.conf.d/01autoremove', '/etc/logrotate.d/apt', '/etc/sysctl.conf']) {
      const e = index.etc[path]!;
      assert.ok(e.sha256, `${path}: ${e.unavailable}`);
      const bytes = blob(repo, e.sha256);
      assert.equal(md5(bytes), e.md5, path);
      assert.equal(sha256(bytes), e.sha256, path);
    }
    assert.match(readFileSync(join(repo, 'hosts/merge/bases', index.etc['/etc/sysctl.conf']!.sha256!), 'utf8'), /^#\s*\/etc\/sysctl\.conf/m);
    // .debs not in the cache (taken out above): unavailable, and said why.
    for (const path of ['/etc/login.defs', '/etc/skel/.bashrc']) {
      assert.equal(index.etc[path]!.sha256, undefined);
      assert.match(index.etc[path]!.unavailable ?? '', /_amd64\.deb is not in \/var\/cache\/apt\/archives \(the apt configuration of a --root tree is never run/);
    }
    // sshd_config: ucf's pristine copy, verified by ucf's hashfile.
    const ssh = index.etc['/etc/ssh/sshd_config']!;
    assert.equal(ssh.package, 'openssh-server');
    assert.equal(ssh.version, dpkg.version('openssh-server'));
    assert.equal(md5(blob(repo, ssh.sha256!)), readFileSync(join(root(), 'var/lib/ucf/hashfile'), 'utf8').split(/\s+/)[0]);
    assert.doesNotMatch(blob(repo, ssh.sha256!).toString(), /PasswordAuthentication no\n$/);

    // Skel: every regular file, by sha256 of what is there now.
    assert.deepEqual(Object.keys(index.skel).sort(), ['.bash_logout', '.bashrc', '.config/app/settings.ini', '.profile']);
    for (const [rel, { sha256: name }] of Object.entries(index.skel)) {
      assert.equal(sha256(readFileSync(join(root(), 'etc/skel', rel))), name, rel);
      assert.ok(blob(repo, name).equals(readFileSync(join(root(), 'etc/skel', rel))), rel);
    }
    // Nothing else in bases/, nothing of it in the manifest; committed.
    const referenced = new Set([...Object.values(index.etc).flatMap((e) => (e.sha256 ? [e.sha256] : [])), ...Object.values(index.skel).map((s) => s.sha256)]);
    assert.deepEqual(readdirSync(join(repo, 'hosts/merge/bases')).sort(), [...referenced, 'index.json'].sort());
    assert.doesNotMatch(readFileSync(join(repo, 'hosts/merge/manifest.yaml'), 'utf8'), /bases/);
    assert.equal(sh(['git', '-C', repo, 'status', '--porcelain']), '');
    assert.match(sh(['git', '-C', repo, 'ls-files', 'hosts/merge/bases']), /index\.json/);
    assert.match(sh(['git', '-C', repo, 'log', '-1', '--format=%B']), /^merge bases: 4 \/etc file\(s\) recorded, 2 unavailable, 4 \/etc\/skel file\(s\) \(8 written, 0 removed\)$/m);

    // A second capture of the unchanged tree: the same bytes, nothing to commit.
    const before = readFileSync(join(repo, 'hosts/merge/bases/index.json'));
    const again = capture(repo, '--commit');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /unchanged, nothing committed/);
    assert.ok(readFileSync(join(repo, 'hosts/merge/bases/index.json')).equals(before));
    assert.equal(sh(['git', '-C', repo, 'status', '--porcelain']), '');
  });

  test("apt's own cache file names are debArchiveName of each .deb's fields; the extraction pipeline is bounded", async () => {
    const archives = join(root(), 'var/cache/apt/archives');
    const debs = readdirSync(archives).filter((f) => f.endsWith('.deb'));
    assert.ok(debs.length > 50, `${debs.length} .debs in the cache`);
    for (const f of debs) {
      const [p, v, a] = sh(['dpkg-deb', '--field', join(archives, f), 'Package', 'Version', 'Architecture']).split('\n').map((l) => l.replace(/^[A-Za-z]+: /, ''));
      assert.equal(debArchiveName(p!, v!, a!), f);
    }
    const ssh = join(archives, debs.find((f) => f.startsWith('openssh-server_'))!);
    await assert.rejects(readOnlyPipeline([['dpkg-deb', '--fsys-tarfile', ssh]], { maxBytes: 4096, timeoutMs: 60_000 }), /more than 4096 bytes of output/);
    await assert.rejects(readOnlyPipeline([['dpkg-deb', '--fsys-tarfile', ssh], ['tar', '--extract', '--to-stdout', '--file=-', '--no-wildcards', '--', './etc/none']], { maxBytes: 4096, timeoutMs: 60_000 }), /tar .* failed \(exit 2\):\n  tar: \.\/etc\/none: Not found in archive/);
  });

  test('a .deb missing from the cache: the entry is unavailable with the reason, the capture succeeds', () => {
    const archives = join(root(), 'var/cache/apt/archives');
    const deb = readdirSync(archives).find((f) => f.startsWith('procps_'))!;
    const moved = join(tmp, deb);
    copyFileSync(join(archives, deb), moved);
    unlinkSync(join(archives, deb));
    try {
      const repo = join(tmp, 'repo-nocache');
      const r = capture(repo);
      assert.equal(r.status, 0, r.stderr);
      const e = indexOf(repo).etc['/etc/sysctl.conf']!;
      assert.equal(e.sha256, undefined);
      assert.equal(e.package, 'procps');
      assert.equal(e.unavailable, `${deb} is not in /var/cache/apt/archives (the apt configuration of a --root tree is never run to download it)`);
      // The repository that recorded it while the .deb was there keeps it (same version, same md5).
      const kept = capture(join(tmp, 'repo'));
      assert.equal(kept.status, 0, kept.stderr);
      assert.ok(indexOf(join(tmp, 'repo')).etc['/etc/sysctl.conf']!.sha256);
      assert.equal(sh(['git', '-C', join(tmp, 'repo'), 'status', '--porcelain']), '');
    } finally {
      copyFileSync(moved, join(archives, deb));
    }
  });

  test('the running system’s path: a version the cache lacks is downloaded (apt-get download) and verified', async (t) => {
    // The tree's login and bash versions are the ones this host's apt lists offer (same mirror);
    // captureBases with download: true is what capture of "/" does for a .deb not in the cache.
    const probe = mkdtempSync(join(tmpdir(), 'sysmanifest-probe-'));
    try {
      execFileSync('apt-get', ['-q', '-o', 'APT::Sandbox::User=root', '--print-uris', 'download', `login=${dpkgOracle(root()).version('login')}`], { cwd: probe, env: ENV, stdio: 'pipe' });
    } catch (e) {
      t.skip(`SKIPPED: this host's apt cannot download the tree's login version: ${String((e as { stderr?: string }).stderr ?? e).trim()}`);
      return;
    } finally {
      rmSync(probe, { recursive: true, force: true });
    }
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith('sysmanifest-base-'));
    const got = await captureBases({ runner: confinedRunner(hostReadOnlyRunner(), root()), root: root(), download: true });
    const login = got.index.etc['/etc/login.defs']!;
    assert.ok(login.sha256, login.unavailable);
    assert.equal(md5(got.blobs.get(login.sha256)!), dpkgOracle(root()).conffiles.get('/etc/login.defs')!.md5);
    assert.deepEqual(readdirSync(tmpdir()).filter((f) => f.startsWith('sysmanifest-base-')), before, 'the download directories are removed');
  });

  test('no network: one failed download, the other packages are not tried; the capture goes on', async () => {
    // apt-get takes its proxy from http_proxy when apt.conf names none: a closed port is a mirror it cannot reach.
    const saved = process.env.http_proxy;
    process.env.http_proxy = 'http://127.0.0.1:9';
    try {
      const got = await captureBases({ runner: confinedRunner(hostReadOnlyRunner(), root()), root: root(), download: true, downloadTimeoutMs: 60_000 });
      const reasons = ['/etc/skel/.bashrc', '/etc/login.defs'].map((p) => got.index.etc[p]!.unavailable ?? '');
      // bash sorts first: its download fails, login's is not attempted.
      assert.match(reasons[0]!, /^bash_.*\.deb is not in \/var\/cache\/apt\/archives, and apt-get download bash:amd64=\S+ failed: .*(127\.0\.0\.1|Failed to fetch)/);
      assert.match(reasons[1]!, /^login_.*\.deb is not in \/var\/cache\/apt\/archives; not downloaded, since an earlier download failed: /);
      assert.ok(got.index.etc['/etc/sysctl.conf']!.sha256, 'bases from the cache are still recorded');
    } finally {
      if (saved === undefined) delete process.env.http_proxy;
      else process.env.http_proxy = saved;
    }
  });

  test('a hostile tree: symlinks to the host’s files and a FIFO are never read', () => {
    const hostShadow = readFileSync('/etc/shadow');
    const hostPasswd = readFileSync('/etc/passwd');
    const outside = mkdtempSync(join(tmpdir(), 'sysmanifest-outside-'));
    try {
      // A .deb in the cache that is a symlink to a valid .deb outside the tree (absolute: it
      // means ROOT/…, where nothing is).
      const archives = join(root(), 'var/cache/apt/archives');
      const apt = readdirSync(archives).find((f) => f.startsWith('apt_'))!;
      copyFileSync(join(archives, apt), join(outside, apt));
      unlinkSync(join(archives, apt));
      symlinkSync(join(outside, apt), join(archives, apt));
      symlinkSync('/etc/shadow', join(root(), 'etc/skel/x'));
      symlinkSync('../../../../../../../../etc/passwd', join(root(), 'etc/skel/y'));
      sh(['mkfifo', join(root(), 'etc/skel/fifo')]);
      // A conffile replaced by a symlink to the host's /etc/passwd, and ucf's cache by one to the host's sshd_config.
      unlinkSync(join(root(), 'etc/sysctl.conf'));
      symlinkSync('/../../../../etc/passwd', join(root(), 'etc/sysctl.conf'));
      const ucf = join(root(), 'var/lib/ucf/cache/:etc:ssh:sshd_config');
      const ucfCopy = join(outside, 'ucf');
      copyFileSync(ucf, ucfCopy);
      unlinkSync(ucf);
      symlinkSync('/etc/ssh/sshd_config', ucf);

      // dpkg's status naming a conffile path no index may hold (it is "deleted": nothing is there).
      const status = join(root(), 'var/lib/dpkg/status');
      const statusCopy = join(outside, 'status');
      copyFileSync(status, statusCopy);
      writeFileSync(status, readFileSync(status, 'utf8').replace(/^ \/etc\/cron\.daily\/apt-compat ([0-9a-f]{32})$/m, ' /etc/cron.daily/apt-compat $1\n /etc/../etc/evil $1'));
      assert.match(readFileSync(status, 'utf8'), /\/etc\/\.\.\/etc\/evil/);

      const repo = join(tmp, 'repo-hostile');
      const r = capture(repo);
      assert.equal(r.status, 0, r.stderr);
      const index = indexOf(repo);
      assert.deepEqual(Object.keys(index.skel).sort(), ['.bash_logout', '.bashrc', '.config/app/settings.ini', '.profile']);
      assert.match(index.etc['/etc/apt/apt.conf.d/01autoremove']!.unavailable ?? '', /is not in \/var\/cache\/apt\/archives/);
      assert.equal(index.etc['/etc/sysctl.conf'], undefined, 'a conffile that is now a symlink is not a modified file');
      assert.ok(Object.keys(index.etc).every((k) => !k.includes('..')), 'a path with ".." is left out');
      // ucf's cache resolved inside the tree: the administrator's sshd_config, which is not pristine.
      assert.match(index.etc['/etc/ssh/sshd_config']!.unavailable ?? '', /has md5 [0-9a-f]{32}, not the [0-9a-f]{32} of ucf's hashfile/);
      for (const name of readdirSync(join(repo, 'hosts/merge/bases'))) {
        const bytes = blob(repo, name);
        assert.ok(!bytes.equals(hostShadow) && !bytes.equals(hostPasswd), `${name} holds a host file`);
      }
      // Put the tree back for any later test.
      unlinkSync(join(archives, apt));
      copyFileSync(join(outside, apt), join(archives, apt));
      for (const f of ['x', 'y', 'fifo']) unlinkSync(join(root(), 'etc/skel', f));
      unlinkSync(ucf);
      copyFileSync(ucfCopy, ucf);
      copyFileSync(statusCopy, status);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
