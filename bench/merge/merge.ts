// npm run bench merge: `sysmanifest merge etc` over 3,000 /etc files and `merge home` over a
// 20,000-file home (the bundle, as users run it), against a plain script that runs
// `git merge-file -p --diff3` over the same triples (already extracted as files for it),
// interleaved. Issue 15's target: ≤ 1.0× — the merge skips what is unchanged on one side by
// hashes before any merge runs, where the script merges every triple.
// The triples, per file (the same mix for /etc and the home): 70 % the new release left the
// default as it was (theirs = base: the user's file is kept), 20 % the new system already has
// the user's version (ours = theirs), 9 % both changed in different places (a clean merge),
// 1 % both changed the same line (a conflict). Config-like text of 40 lines.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeBases, type BasesIndex } from '../../src/core/repo/bases.ts';
import { median, row } from '../lib/stats.ts';

const CLI = new URL('../../bin/sysmanifest.js', import.meta.url).pathname;
const ETC_FILES = 3000;
const HOME_FILES = 20000;

function text(i: number, variant: (lines: string[]) => void): string {
  const lines = Array.from({ length: 40 }, (_, n) => (n % 8 === 0 ? `# section ${n / 8} of file ${i}` : `key_${n} = value ${i * 41 + n}`));
  variant(lines);
  return `${lines.join('\n')}\n`;
}

interface Triple {
  readonly rel: string;
  readonly base: string;
  readonly ours: string;
  readonly theirs: string;
}

function triples(count: number, prefix: (i: number) => string): Triple[] {
  const out: Triple[] = [];
  for (let i = 0; i < count; i++) {
    const rel = `${prefix(i)}/file${i}.conf`;
    const base = text(i, () => {});
    const ours = text(i, (l) => (l[5] = 'key_5 = mine'));
    const k = i % 100;
    const theirs = k < 70 ? base : k < 90 ? ours : k < 99 ? text(i, (l) => (l[30] = 'key_30 = new default')) : text(i, (l) => (l[5] = 'key_5 = new default'));
    out.push({ rel, base, ours, theirs });
  }
  return out;
}

const put = (file: string, content: string): void => {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
};
const git = (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string =>
  execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 30 }).trim();
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

export async function benchMerge(runs: number): Promise<{ sm: number[]; script: number[]; etc: number; home: number }> {
  const dir = mkdtempSync('/var/tmp/sysmanifest-bench-merge-');
  try {
    const etc = triples(ETC_FILES, (i) => `pkg${i % 150}`);
    const home = triples(HOME_FILES, (i) => `.config/app${i % 400}`);
    // The manifest repository: the /etc commit (ours), the bases (recorded pristine files).
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    git(repo, ['init', '-q']);
    const etcOurs = join(dir, 'etc-ours');
    for (const t of etc) put(join(etcOurs, t.rel), t.ours);
    const index = join(dir, 'index');
    git(repo, [`--work-tree=${etcOurs}`, 'add', '-A', '.'], { GIT_INDEX_FILE: index });
    const tree = git(repo, ['write-tree'], { GIT_INDEX_FILE: index });
    const commit = git(repo, ['commit-tree', '-m', 'etc', tree]);
    git(repo, ['update-ref', 'refs/sysmanifest/etc/bench', commit]);
    const hostDir = join(repo, 'hosts/bench');
    mkdirSync(hostDir, { recursive: true });
    const bases: BasesIndex = { format: 1, etc: {}, skel: {} };
    const blobs = new Map<string, Uint8Array>();
    for (const [i, t] of etc.entries()) {
      bases.etc[`/etc/${t.rel}`] = { package: `pkg${i % 150}`, version: '1.0', md5: md5(t.base), sha256: sha256(t.base) };
      blobs.set(sha256(t.base), Buffer.from(t.base));
    }
    await writeBases(hostDir, bases, blobs);
    // The dotfiles repository: the base first, then the user's versions.
    const dot = join(dir, 'dotfiles/bench');
    mkdirSync(dot, { recursive: true });
    git(dot, ['init', '-q']);
    for (const t of home) put(join(dot, t.rel), t.base);
    git(dot, ['add', '-A']);
    git(dot, ['commit', '-qm', 'first']);
    for (const t of home) put(join(dot, t.rel), t.ours);
    git(dot, ['commit', '-qam', 'mine']);
    const dotCommit = git(dot, ['rev-parse', 'HEAD']);
    const manifest = join(hostDir, 'manifest.yaml');
    writeFileSync(manifest, `apiVersion: sysmanifest/v1\nhost: {hostname: bench}\nrepos:\n  etc: {kind: sysmanifest, path: /etc, gitDir: /var/lib/sysmanifest/etc.git, commit: ${commit}}\n  dotfiles:\n    - {user: bench, home: /home/bench, layout: home, gitDir: /home/bench/.git, workTree: /home/bench, commit: ${dotCommit}}\n`);
    // The fresh system (theirs).
    const fresh = join(dir, 'fresh');
    put(join(fresh, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nbench:x:1000:1000::/home/bench:/bin/sh\n');
    put(join(fresh, 'etc/group'), 'root:x:0:\nbench:x:1000:\n');
    for (const t of etc) put(join(fresh, 'etc', t.rel), t.theirs);
    for (const t of home) put(join(fresh, 'home/bench', t.rel), t.theirs);
    chownSync(join(fresh, 'home/bench'), 1000, 1000);
    // The script's side: the same triples as files, and the list.
    const sides = join(dir, 'script');
    const all = [...etc.map((t) => ({ ...t, rel: `etc/${t.rel}` })), ...home.map((t) => ({ ...t, rel: `home/${t.rel}` }))];
    for (const t of all) {
      put(join(sides, 'base', t.rel), t.base);
      put(join(sides, 'ours', t.rel), t.ours);
      put(join(sides, 'theirs', t.rel), t.theirs);
      mkdirSync(join(sides, 'out', dirname(t.rel)), { recursive: true });
    }
    writeFileSync(join(sides, 'list'), `${all.map((t) => t.rel).join('\n')}\n`);
    const script = 'cd "$1" && while IFS= read -r f; do git merge-file -p --diff3 "ours/$f" "base/$f" "theirs/$f" > "out/$f"; [ $? -lt 128 ] || exit 1; done < list';

    const sm: number[] = [];
    const plain: number[] = [];
    const time = (f: () => void): number => {
      const t0 = performance.now();
      f();
      return Math.round(performance.now() - t0);
    };
    for (let r = 0; r < runs; r++) {
      rmSync(join(fresh, 'var'), { recursive: true, force: true });
      sm.push(time(() => {
        for (const args of [['merge', 'etc', '--manifest', manifest, '--root', fresh], ['merge', 'home', '--user', 'bench', '--manifest', manifest, '--root', fresh, '--dotfiles-from', join(dir, 'dotfiles')]]) {
          const x = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
          if (x.status !== 0) throw new Error(`sysmanifest ${args.join(' ')} failed: ${x.stderr}`);
        }
      }));
      plain.push(time(() => {
        const x = spawnSync('bash', ['-c', script, 'bench', sides], { encoding: 'utf8' });
        if (x.status !== 0) throw new Error(`the git merge-file script failed: ${x.stderr}`);
      }));
    }
    return { sm, script: plain, etc: etc.length, home: home.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function reportMerge(runs: number): Promise<void> {
  const r = await benchMerge(runs);
  console.log(`\nmerge etc (${r.etc} files) + merge home (${r.home} files): 70 % one side unchanged, 20 % equal, 9 % clean merges, 1 % conflicts; ${runs} interleaved runs, medians:`);
  console.log(row('git merge-file over every triple', r.script));
  console.log(`${row('sysmanifest merge etc + home', r.sm, r.script)}  (target ≤ 1.00×)`);
}
