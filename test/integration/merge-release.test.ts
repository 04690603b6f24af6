// Issue 15 end to end on real releases: a Debian 12 (bookworm) system — installed by mmdebstrap
// (test/lib/release-trees.ts) — whose administrator changed conffiles (sshd_config, ssh_config,
// bash.bashrc, sysctl.conf, an apt configuration), deleted two, added their own, and whose user
// alice keeps her dotfiles in git, is captured (`capture --root --commit`: the manifest, the
// /etc repository, the bases). Then a fresh Debian 13 (trixie) system (the same way) gets
// `merge etc` and `merge home`: each file's outcome follows from its three real versions, and
// the conflicts are exactly the files where `git merge-file` on the same triple finds
// overlapping changes; apply puts the user's changes on the new defaults; undo gives the fresh
// files back byte for byte. No loop device, no guest: directories only.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cli } from '../lib/cli.ts';
import { copyReleaseTree, ensureReleaseTree, type ReleaseTreeCopy } from '../lib/release-trees.ts';

const trees = process.getuid?.() === 0 ? [ensureReleaseTree('bookworm'), ensureReleaseTree('trixie')] : [];
const skip = process.getuid?.() !== 0 ? 'needs root (chroot, owners)' : trees.map((t) => (typeof t === 'string' ? undefined : t.skip)).find(Boolean);
if (skip) console.error(`!! merge-release: SKIPPED: ${skip}`);

let old: ReleaseTreeCopy | undefined;
let fresh: ReleaseTreeCopy | undefined;
let tmp = '';
after(() => {
  old?.cleanup();
  fresh?.cleanup();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const sh = (argv: string[], input?: string): string => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input, env: { ...process.env, LC_ALL: 'C' } });
/** A line of a file replaced (the line must be there: the test fails loudly when a release changes it). */
function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.includes(`${from}\n`), `${file} has no line ${JSON.stringify(from)}`);
  writeFileSync(file, text.replace(`${from}\n`, `${to}\n`));
}

function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, r));
      out.set(r, `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.isFile() ? readFileSync(join(dir, r)).toString('base64') : st.isSymbolicLink() ? 'link' : 'dir'}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

type Entry = { path: string; rel: string; outcome: string; why: string; base?: string };
type Area = { entries: Entry[]; unchanged: number };

let manifest = '';
before(() => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-merge-release-'));
  old = copyReleaseTree('bookworm');
  const o = old.root;
  // The administrator's changes to the bookworm system.
  edit(join(o, 'etc/ssh/sshd_config'), '#Port 22', 'Port 2222'); // theirs did not touch it: merged
  edit(join(o, 'etc/ssh/sshd_config'), '#PermitRootLogin prohibit-password', 'PermitRootLogin no');
  edit(join(o, 'etc/ssh/sshd_config'), 'AcceptEnv LANG LC_*', 'AcceptEnv LANG LC_* EDITOR'); // trixie changed this line too: a conflict
  edit(join(o, 'etc/ssh/ssh_config'), '#   ForwardAgent no', '    ForwardAgent yes');
  appendFileSync(join(o, 'etc/bash.bashrc'), '\n# site-wide\nalias ll="ls -l"\n');
  edit(join(o, 'etc/sysctl.conf'), '#net.ipv4.ip_forward=1', 'net.ipv4.ip_forward=1'); // trixie has no /etc/sysctl.conf
  appendFileSync(join(o, 'etc/apt/apt.conf.d/01autoremove'), '// local\n');
  writeFileSync(join(o, 'etc/sysctl.d/99-local.conf'), 'vm.swappiness = 10\n');
  unlinkSync(join(o, 'etc/deluser.conf')); // unchanged in trixie: stays deleted
  unlinkSync(join(o, 'etc/debconf.conf')); // changed in trixie: a decision
  // alice's dotfiles, in git in her home: first as /etc/skel made them, then hers.
  const home = join(o, 'home/alice');
  const git = (...a: string[]): string => sh(['chroot', '--userspec=alice:alice', o, 'env', 'HOME=/home/alice', 'git', '-C', '/home/alice', '-c', 'user.name=alice', '-c', 'user.email=a@example.org', ...a]);
  git('init', '-q', '-b', 'main');
  git('add', '.bashrc', '.profile');
  git('commit', '-qm', 'as skel made them');
  appendFileSync(join(home, '.bashrc'), '\nalias gs="git status"\nexport EDITOR=vim\n');
  writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Alice\n\temail = alice@example.org\n');
  mkdirSync(join(home, '.config/htop'), { recursive: true });
  writeFileSync(join(home, '.config/htop/htoprc'), 'tree_view=1\n');
  mkdirSync(join(home, '.cache/thumbnails'), { recursive: true });
  writeFileSync(join(home, '.cache/thumbnails/x.png'), 'not really a png\n');
  const ids = readFileSync(join(o, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith('alice:'))!.split(':');
  sh(['chown', '-R', `${ids[2]}:${ids[3]}`, home]); // the tree's alice (the host has none)
  git('add', '-A');
  git('commit', '-qm', 'mine');
  // Captured into a manifest repository, with the /etc history and the bases.
  const repo = join(tmp, 'repo');
  const disks = sh(['lsblk', '-dn', '-o', 'NAME']).split('\n').filter(Boolean);
  const r = cli(['capture', '--root', o, '--commit', '--repo', repo, '--host', 'oldbox', ...disks.flatMap((d) => ['--exclude', d])], { env: { HOME: join(tmp) }, timeoutMs: 10 * 60_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  manifest = join(repo, 'hosts/oldbox/manifest.yaml');
  // The fresh trixie install, alice created there too (home from trixie's /etc/skel).
  fresh = copyReleaseTree('trixie');
});

const mergeFileConflicts = (base: string, ours: string, theirs: string): number => {
  const d = mkdtempSync(join(tmp, 'mf-'));
  for (const [n, t] of [['base', base], ['ours', ours], ['theirs', theirs]] as const) writeFileSync(join(d, n), t);
  const r = spawnSync('git', ['merge-file', '-p', '--diff3', join(d, 'ours'), join(d, 'base'), join(d, 'theirs')]);
  rmSync(d, { recursive: true });
  return r.status ?? -1;
};

test('Debian 12 → 13: merge etc and merge home put the user\'s changes on the new defaults; the conflicts are exactly the real overlaps', { skip, timeout: 15 * 60_000 }, (t) => {
  const root = fresh!.root;
  const o = old!.root;
  const before_ = snapshot(join(root, 'etc'));
  const beforeHome = snapshot(join(root, 'home/alice'));
  const r = cli(['merge', 'etc', '--manifest', manifest, '--root', root, '--json'], { timeoutMs: 5 * 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const etc = JSON.parse(r.stdout) as Area;
  const by = new Map(etc.entries.map((e) => [e.path, e]));
  const outcome = (p: string): string | undefined => by.get(p)?.outcome;
  assert.equal(outcome('/etc/ssh/ssh_config'), 'merged', by.get('/etc/ssh/ssh_config')?.why);
  assert.equal(outcome('/etc/bash.bashrc'), 'merged');
  assert.equal(outcome('/etc/ssh/sshd_config'), 'conflict', 'AcceptEnv changed on both sides');
  assert.equal(outcome('/etc/apt/apt.conf.d/01autoremove'), 'ours', 'trixie ships the same default: the user\'s version');
  assert.equal(outcome('/etc/sysctl.d/99-local.conf'), 'ours');
  assert.equal(outcome('/etc/sysctl.conf'), 'review', 'changed by the user, gone from trixie');
  assert.equal(outcome('/etc/deluser.conf'), 'deleted');
  assert.equal(outcome('/etc/debconf.conf'), 'review', 'deleted by the user, changed by trixie');
  for (const e of etc.entries) if (e.outcome === 'merged' || e.outcome === 'conflict') assert.equal(e.base, 'recorded', `${e.path}: its base is the pristine bookworm file`);
  // The conflicts are exactly the files git merge-file finds overlaps in, on the same triples.
  // The same triples through git merge-file: the base is the pristine bookworm file the capture recorded.
  const idx = JSON.parse(readFileSync(join(manifest, '../bases/index.json'), 'utf8')) as { etc: Record<string, { sha256?: string }> };
  const both = etc.entries.filter((x) => x.outcome === 'merged' || x.outcome === 'conflict');
  assert.ok(both.length >= 3);
  for (const e of both) {
    const base = readFileSync(join(manifest, '../bases', idx.etc[e.path]!.sha256!), 'utf8');
    const n = mergeFileConflicts(base, readFileSync(join(o, e.path), 'utf8'), readFileSync(join(root, e.path), 'utf8'));
    assert.equal(n > 0, e.outcome === 'conflict', `${e.path}: ${e.outcome}, git merge-file finds ${n} conflict(s)`);
  }

  const h = cli(['merge', 'home', '--user', 'alice', '--manifest', manifest, '--root', root, '--dotfiles-from', join(o, 'home'), '--json'], { timeoutMs: 5 * 60_000 });
  assert.equal(h.status, 0, h.stderr);
  const home = new Map((JSON.parse(h.stdout) as Area).entries.map((e) => [e.path, e]));
  assert.equal(home.get('/home/alice/.bashrc')?.outcome, 'ours', 'trixie\'s /etc/skel/.bashrc is bookworm\'s: her version');
  assert.equal(home.get('/home/alice/.bashrc')?.base, 'skel');
  assert.equal(home.get('/home/alice/.gitconfig')?.outcome, 'ours');
  assert.equal(home.get('/home/alice/.config/htop/htoprc')?.outcome, 'ours');
  assert.equal(home.get('/home/alice/.cache/thumbnails/x.png')?.outcome, 'clutter');
  assert.equal(home.has('/home/alice/.profile'), false, '.profile is the same on both sides');

  // Decide, apply, look, undo.
  for (const [p, how] of [['/etc/ssh/sshd_config', '--ours'], ['/etc/sysctl.conf', '--ours'], ['/etc/debconf.conf', '--theirs']] as const) {
    const x = cli(['merge', 'resolve', p, how, '--root', root]);
    assert.equal(x.status, 0, x.stderr);
  }
  // What is left is listed for review, never decided silently: files that differ on both
  // sides with no common ancestor (not a package's conffile: generated or written by the
  // installer — sources.list, /etc/shells, pam's common-*), links to what trixie lacks.
  const open = (JSON.parse(cli(['merge', 'status', '--root', root, '--json']).stdout) as Area[]).flatMap((x) => x.entries).filter((e) => (e.outcome === 'review' || e.outcome === 'conflict') && !(e as { resolved?: string }).resolved);
  for (const e of open) assert.match(e.why, /no common ancestor|which the new system does not have/, `${e.path}: ${e.why}`);
  t.diagnostic(`left for review: ${open.map((e) => e.path).join(' ')}`);
  for (const e of open) assert.equal(cli(['merge', 'resolve', e.path, '--theirs', '--root', root]).status, 0);
  const a = cli(['merge', 'apply', '--root', root]);
  assert.equal(a.status, 0, a.stderr);
  const f = (p: string): string => readFileSync(join(root, p), 'utf8');
  assert.match(f('etc/ssh/ssh_config'), /^ {4}ForwardAgent yes$/m);
  assert.match(f('etc/ssh/ssh_config'), /SendEnv LANG LC_\* COLORTERM NO_COLOR/, 'trixie\'s new default kept');
  assert.match(f('etc/bash.bashrc'), /alias ll="ls -l"/);
  assert.match(f('etc/bash.bashrc'), /\[ -z "\$\{PS1-\}" \] && return/, 'trixie\'s new default kept');
  assert.equal(f('etc/sysctl.conf'), readFileSync(join(o, 'etc/sysctl.conf'), 'utf8'));
  assert.throws(() => lstatSync(join(root, 'etc/deluser.conf')), /ENOENT/);
  assert.match(f('home/alice/.bashrc'), /alias gs="git status"/);
  assert.equal(lstatSync(join(root, 'home/alice/.config/htop/htoprc')).uid, lstatSync(join(root, 'home/alice')).uid);
  assert.throws(() => lstatSync(join(root, 'home/alice/.cache/thumbnails')), /ENOENT/);
  const u = cli(['merge', 'undo', '--root', root]);
  assert.equal(u.status, 0, u.stderr);
  assert.deepEqual(snapshot(join(root, 'etc')), before_, '/etc back byte for byte');
  assert.deepEqual(snapshot(join(root, 'home/alice')), beforeHome, 'the home back byte for byte');
});

const mounts = (under: string): string[] => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p === under || p.startsWith(`${under}/`));

test('rebuild --release trixie: the captured bookworm system comes back as Debian 13 with its package set, /etc and the home merged, the conflict left staged', { skip, timeout: 30 * 60_000 }, (t) => {
  const target = join(tmp, 'target');
  mkdirSync(target);
  try {
    const t0 = Date.now();
    const r = cli(['rebuild', manifest, '--stage', 'base,packages,etc,users,homes', '--release', 'trixie', '--target', target, '--state', join(tmp, 'state'), '--cache', '/var/tmp/sysmanifest-apt-cache', '--dotfiles-from', join(old!.root, 'home'), '--yes'], { timeoutMs: 28 * 60_000 });
    assert.equal(r.status, 0, `${r.stdout.slice(-4000)}\n${r.stderr}`);
    assert.match(r.stdout, /--release trixie: Debian trixie with the captured package set/);
    assert.deepEqual(mounts(target), [], 'nothing stays mounted');
    const f = (p: string): string => readFileSync(join(target, p), 'utf8');
    assert.match(f('etc/os-release'), /^VERSION_CODENAME=trixie$/m);
    assert.match(sh(['chroot', target, 'dpkg-query', '-W', '-f', '${Version}', 'openssh-server']), /^1:10\./, 'trixie\'s openssh-server');
    // /etc: merged onto trixie's defaults; the overlap stays staged for merge status.
    assert.match(f('etc/ssh/ssh_config'), /^ {4}ForwardAgent yes$/m);
    assert.match(f('etc/ssh/ssh_config'), /SendEnv LANG LC_\* COLORTERM NO_COLOR/);
    assert.match(f('etc/bash.bashrc'), /alias ll="ls -l"/);
    assert.equal(f('etc/sysctl.d/99-local.conf'), 'vm.swappiness = 10\n');
    assert.match(f('etc/apt/sources.list'), /trixie/, 'the sources are the new release\'s');
    assert.doesNotMatch(f('etc/apt/sources.list'), /bookworm/);
    const status = cli(['merge', 'status', '--root', target, '--json']);
    assert.equal(status.status, 0, status.stderr);
    const areas = JSON.parse(status.stdout) as Array<{ area: string; entries: Array<{ path: string; outcome: string; resolved?: string; applied?: boolean }> }>;
    const sshd = areas.find((a) => a.area === 'etc')!.entries.find((e) => e.path === '/etc/ssh/sshd_config');
    assert.equal(sshd?.outcome, 'conflict');
    assert.equal(sshd?.applied, undefined, 'a conflict is not applied');
    assert.doesNotMatch(f('etc/ssh/sshd_config'), /^<{7}/m, 'the live file has no markers: trixie\'s until resolved');
    // The home: her files on trixie's skel, her repository there, git status clean for what was hers.
    assert.match(f('home/alice/.bashrc'), /alias gs="git status"/);
    assert.equal(f('home/alice/.gitconfig'), readFileSync(join(old!.root, 'home/alice/.gitconfig'), 'utf8'));
    assert.ok(lstatSync(join(target, 'home/alice/.git')).isDirectory());
    assert.throws(() => lstatSync(join(target, 'home/alice/.cache/thumbnails')), /ENOENT/);
    t.diagnostic(`rebuild --release trixie (base, packages, etc, users, homes) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    for (const m of mounts(target).reverse()) spawnSync('umount', ['-l', m]);
  }
});
