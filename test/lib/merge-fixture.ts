// A small old system and a fresh one for the merge tests, in a temp dir: a manifest repository
// (hosts/old/manifest.yaml, the /etc commit under refs/sysmanifest/etc/old, bases recorded as
// capture records them), a dotfiles repository for alice, and a fresh root with its own /etc
// and home. Every file is written by the test: the three versions of each case are in plain view.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeBases, type BasesIndex } from '../../src/core/repo/bases.ts';
import { createHash } from 'node:crypto';

const sha256 = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
const md5 = (s: string | Buffer): string => createHash('md5').update(s).digest('hex');

export const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } }).trim();

export function writeTree(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
}

export const OLD_SKEL_BASHRC = '# ~/.bashrc\nHISTSIZE=1000\nalias ls="ls --color=auto"\n';
export const NEW_SKEL_BASHRC = '# ~/.bashrc (new release)\nHISTSIZE=1000\nalias ls="ls --color=auto"\n';
export const USER_BASHRC = '# ~/.bashrc\nHISTSIZE=1000\nalias ls="ls --color=auto"\nalias gs="git status"\n';

export interface MergeFixture {
  readonly dir: string;
  readonly repo: string;
  readonly manifest: string;
  readonly fresh: string;
  readonly dotfiles: string;
}

export async function makeMergeFixture(): Promise<MergeFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-merge-'));
  const repo = join(dir, 'repo');
  const fresh = join(dir, 'fresh');
  const dotfiles = join(dir, 'dotfiles');
  mkdirSync(repo);
  git(repo, 'init', '-q');

  // The old system's /etc repository commit (what capture --commit keeps in the manifest repository).
  const etcOld = join(dir, 'etc-old');
  writeTree(etcOld, {
    'ssh/sshd_config': '# sshd\nPort 22\n#PermitRootLogin prohibit-password\nPermitRootLogin no\nUsePAM yes\n',
    'sysctl.d/99-local.conf': 'vm.swappiness = 10\n',
    hostname: 'old\n',
    motd: 'A\nB-user\nC\n',
    'apt/apt.conf.d/50same': 'same\n',
    passwd: 'root:x:0:0:root:/root:/bin/bash\n',
    'machine-id': '0123456789abcdef0123456789abcdef\n',
    'nobase.conf': 'user\n',
    '.sysmanifest-metadata': '# sysmanifest /etc metadata\nfile\t0600\troot\troot\tssh/sshd_config\nabsent\t-\t-\t-\tdeleted.conf\n',
  });
  const index = join(dir, 'index');
  const env = { ...process.env, GIT_INDEX_FILE: index };
  execFileSync('git', [`--git-dir=${repo}/.git`, `--work-tree=${etcOld}`, 'add', '-A', '.'], { env });
  const tree = execFileSync('git', [`--git-dir=${repo}/.git`, 'write-tree'], { env, encoding: 'utf8' }).trim();
  const commit = execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', `--git-dir=${repo}/.git`, 'commit-tree', '-m', 'etc of old', tree], { env, encoding: 'utf8' }).trim();
  git(repo, 'update-ref', 'refs/sysmanifest/etc/old', commit);

  // alice's dotfiles: .bashrc first as /etc/skel had it, then her alias; .vimrc once.
  mkdirSync(dotfiles);
  git(dotfiles, 'init', '-q');
  writeTree(dotfiles, { '.bashrc': OLD_SKEL_BASHRC, '.vimrc': 'set number\n' });
  git(dotfiles, 'add', '-A');
  git(dotfiles, 'commit', '-qm', 'first');
  writeTree(dotfiles, { '.bashrc': USER_BASHRC, '.config/app/settings.json': '{\n  // mine\n  "a": 1\n}\n', '.cache/junk/x': 'junk\n' });
  git(dotfiles, 'add', '-A');
  git(dotfiles, 'commit', '-qm', 'mine');
  const dotCommit = git(dotfiles, 'rev-parse', 'HEAD');

  // The bases capture records: pristine conffiles of the old packages, and the old /etc/skel.
  const sshdBase = '# sshd\nPort 22\n#PermitRootLogin prohibit-password\nUsePAM yes\n';
  const bases: Record<string, string> = { sshd: sshdBase, motd: 'A\nB\nC\n', deleted: 'X = 1\n', skel: OLD_SKEL_BASHRC };
  const index_: BasesIndex = {
    format: 1,
    etc: {
      '/etc/ssh/sshd_config': { package: 'openssh-server', version: '1:9.2p1-2+deb12u3', md5: md5(sshdBase), sha256: sha256(sshdBase) },
      '/etc/motd': { package: 'base-files', version: '12.4', md5: md5(bases.motd!), sha256: sha256(bases.motd!) },
      '/etc/deleted.conf': { package: 'x', version: '1', md5: md5(bases.deleted!), sha256: sha256(bases.deleted!) },
    },
    skel: { '.bashrc': { sha256: sha256(OLD_SKEL_BASHRC) } },
  };
  const hostDir = join(repo, 'hosts/old');
  mkdirSync(hostDir, { recursive: true });
  await writeBases(hostDir, index_, new Map(Object.values(bases).map((b) => [sha256(b), Buffer.from(b)])));
  const manifest = join(hostDir, 'manifest.yaml');
  writeFileSync(manifest, [
    'apiVersion: sysmanifest/v1',
    'host: {hostname: old}',
    'repos:',
    `  etc: {kind: sysmanifest, path: /etc, gitDir: /var/lib/sysmanifest/etc.git, commit: ${commit}}`,
    '  dotfiles:',
    `    - {user: alice, home: /home/alice, layout: home, gitDir: /home/alice/.git, workTree: /home/alice, commit: ${dotCommit}, remote: {name: origin, url: ${dotfiles}}}`,
    'merge: {clutter: {home: [.config/app/cache/]}}',
    '',
  ].join('\n'));

  // The fresh system: the new release's /etc and alice's new home.
  writeTree(fresh, {
    'etc/ssh/sshd_config': '# sshd (new)\nPort 22\n#PermitRootLogin prohibit-password\nUsePAM yes\nKbdInteractiveAuthentication no\n',
    'etc/hostname': 'debian\n',
    'etc/motd': 'A\nB-new\nC\n',
    'etc/apt/apt.conf.d/50same': 'same\n',
    'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n',
    'etc/group': 'root:x:0:\nalice:x:1000:\n',
    'etc/machine-id': 'ffffffffffffffffffffffffffffffff\n',
    'etc/nobase.conf': 'new\n',
    'etc/deleted.conf': 'X = 1\n',
    'etc/only-new.conf': 'fresh\n',
    'home/alice/.bashrc': NEW_SKEL_BASHRC,
    'home/alice/.profile': '# profile\n',
  });
  chmodSync(join(fresh, 'etc/ssh/sshd_config'), 0o644);
  for (const f of ['home/alice', 'home/alice/.bashrc', 'home/alice/.profile']) chownSync(join(fresh, f), 1000, 1000);
  return { dir, repo, manifest, fresh, dotfiles };
}
