// Dotfiles repositories against real git, in a fake system tree: a bare repository with
// $HOME as work tree and a token in its remote URL, ~/.git, a separate ~/.dotfiles, a bare
// repository found through a relative core.worktree, and repositories that must be ignored.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hostReadOnlyRunner } from '../../src/core/runner/exec.ts';
import { captureAllDotfiles, provider } from '../../src/providers/system/dotfiles/index.ts';

function unavailable(): string | undefined {
  try {
    execFileSync('git', ['--version']);
  } catch {
    return 'SKIPPED: git is not installed';
  }
  return undefined;
}
const skip = unavailable();
if (skip) console.error(`dotfiles integration tests: ${skip}`);

const TOKEN = 'ghp_PLANTEDTOKEN0123456789';

describe('dotfiles repositories', { skip }, () => {
  let root = '';
  const heads: Record<string, string> = {};
  const git = (args: string[], cwd?: string): string =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@x', '-c', 'init.defaultBranch=main', ...args], { encoding: 'utf8', ...(cwd ? { cwd } : {}) }).trim();

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'sysmanifest-dotfiles-'));
    const h = (p: string): string => join(root, p);
    mkdirSync(h('etc'));
    writeFileSync(
      h('etc/passwd'),
      [
        'root:x:0:0:root:/root:/bin/bash',
        'svc:x:999:999::/var/lib/svc:/bin/sh',
        'alice:x:1000:1000::/home/alice:/bin/bash',
        'bob:x:1001:1001::/home/bob:/bin/bash',
        'carol:x:1002:1002::/home/carol:/bin/bash',
        'gone:x:1003:1003::/home/gone:/bin/bash',
        '',
      ].join('\n'),
    );
    writeFileSync(h('etc/hostname'), 'laptop\n');

    // alice: the bare-repository pattern, per-host branch over main, token in the remote URL.
    const alice = h('home/alice');
    mkdirSync(alice, { recursive: true });
    const cfg = join(alice, '.cfg');
    git(['init', '--quiet', '--bare', cfg]);
    const a = (...args: string[]): string => git([`--git-dir=${cfg}`, `--work-tree=${alice}`, ...args]);
    writeFileSync(join(alice, '.bashrc'), 'alias ll="ls -l"\n');
    a('add', '.bashrc');
    a('commit', '--quiet', '-m', 'common');
    a('checkout', '--quiet', '-b', 'host/laptop');
    writeFileSync(join(alice, '.bashrc'), 'alias ll="ls -l"\nexport HOSTONLY=1\n');
    a('commit', '--quiet', '-am', 'laptop');
    a('remote', 'add', 'origin', `https://alice:${TOKEN}@github.com/alice/dotfiles.git`);
    a('config', 'branch.host/laptop.remote', 'origin');
    writeFileSync(join(alice, 'untracked-notes.txt'), 'not in the repository\n');
    heads.alice = a('rev-parse', 'HEAD');
    execFileSync('chown', ['-R', '1000:1000', alice]); // another user's repository, read as root

    // bob: ~/.git, a tracked file modified (dirty), ssh remote with a password.
    const bob = h('home/bob');
    mkdirSync(bob, { recursive: true });
    git(['init', '--quiet', bob]);
    writeFileSync(join(bob, '.vimrc'), 'set nu\n');
    git(['-C', bob, 'add', '.vimrc']);
    git(['-C', bob, 'commit', '--quiet', '-m', 'vim']);
    git(['-C', bob, 'remote', 'add', 'upstream', 'ssh://bob:hunter2@git.example.org/bob/dots.git']);
    writeFileSync(join(bob, '.vimrc'), 'set nu\nset list\n');
    heads.bob = git(['-C', bob, 'rev-parse', 'HEAD']);
    if (process.getuid?.() === 0) chownSync(bob, 1001, 1001);

    // carol: a separate ~/.dotfiles repository (stow), plus a bare repository found by its
    // relative core.worktree, and an unrelated bare repository that must not be taken.
    const carol = h('home/carol');
    mkdirSync(join(carol, '.dotfiles'), { recursive: true });
    git(['init', '--quiet', join(carol, '.dotfiles')]);
    writeFileSync(join(carol, '.dotfiles/zshrc'), 'setopt autocd\n');
    git(['-C', join(carol, '.dotfiles'), 'add', 'zshrc']);
    git(['-C', join(carol, '.dotfiles'), 'commit', '--quiet', '-m', 'zsh']);
    heads.carolSeparate = git(['-C', join(carol, '.dotfiles'), 'rev-parse', 'HEAD']);
    git(['init', '--quiet', '--bare', join(carol, '.mydots')]);
    git([`--git-dir=${join(carol, '.mydots')}`, 'config', 'core.worktree', '..']);
    git(['init', '--quiet', '--bare', join(carol, 'projects.git')]);

    // root: the system user's home has no repository; svc (uid 999) is not a person.
    mkdirSync(h('root'));
    mkdirSync(h('var/lib/svc'), { recursive: true });
    git(['init', '--quiet', h('var/lib/svc')]);
  });

  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('every user\'s repository, with layout, branch, pinned commit, dirty flag and a credential-free remote', async () => {
    const repos = await captureAllDotfiles(hostReadOnlyRunner(), root);
    assert.deepEqual(repos, [
      {
        user: 'alice',
        home: '/home/alice',
        layout: 'bare',
        gitDir: '/home/alice/.cfg',
        workTree: '/home/alice',
        remote: { name: 'origin', url: 'https://github.com/alice/dotfiles.git' },
        branch: 'host/laptop',
        commit: heads.alice,
        dirty: false,
        host: 'laptop',
        trunk: 'main',
      },
      {
        user: 'bob',
        home: '/home/bob',
        layout: 'home',
        gitDir: '/home/bob/.git',
        workTree: '/home/bob',
        remote: { name: 'upstream', url: 'ssh://bob@git.example.org/bob/dots.git' },
        branch: 'main',
        commit: heads.bob,
        dirty: true,
      },
      {
        user: 'carol',
        home: '/home/carol',
        layout: 'separate',
        gitDir: '/home/carol/.dotfiles/.git',
        workTree: '/home/carol/.dotfiles',
        branch: 'main',
        commit: heads.carolSeparate,
        dirty: false,
      },
      {
        user: 'carol',
        home: '/home/carol',
        layout: 'bare',
        gitDir: '/home/carol/.mydots',
        workTree: '/home/carol',
        branch: 'main',
      },
    ]);
    const text = JSON.stringify(await provider.contribute({ runner: hostReadOnlyRunner(), root }));
    assert.equal(text.includes(TOKEN), false, 'the token is not in the manifest section');
    assert.equal(text.includes('hunter2'), false, 'the ssh password is not in the manifest section');
    assert.equal(text.includes(root), false, 'paths are the captured system\'s, not the host\'s');
  });
});
