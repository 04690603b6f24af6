// `sysmanifest medium --out DIR`: everything the worst day needs on one stick, so that a rebuild
// needs no network at all:
//   DIR/sysmanifest-medium     what this is (version, hosts, when) — live.sh recognises a medium by it
//   DIR/README                 how to start, step by step
//   DIR/bundle/                the self-contained sysmanifest (its own Node), live.sh beside it
//   DIR/repo/                  the manifest repository, with its /etc history (refs/sysmanifest/*)
//   DIR/mirror/HOST/           each host's partial package mirror (`sysmanifest mirror`), with
//                              the packages the live system's tools come in (lvm2, mdadm …)
//   DIR/secrets/HOST.secrets.age  the encrypted secrets archives given with --secrets (never a key)
// A rerun copies only what changed: the bundle's files by size and content, the repository by
// git fetch, the mirror by its own reuse of what it holds. `capture --commit --medium DIR` runs
// it for the captured host after each commit.
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../core/errors.ts';
import { loadManifest } from '../core/manifest/load.ts';
import { PROJECT_ROOT } from '../core/paths.ts';
import type { MutatingRunner } from '../core/runner/types.ts';
import type { ApplyEvent } from '../core/plan/apply.ts';
import { DEFAULT_KEYRING, mirrorManifest, parseVariant, type MirrorResult } from './mirror/index.ts';
import { liveTools } from './rebuild/tools.ts';

export const MEDIUM_MARKER = 'sysmanifest-medium';

export interface MediumOptions {
  readonly out: string;
  readonly repo: string;
  /** Hosts to put on it (default: every host of the repository). */
  readonly hosts: readonly string[];
  /** The bundle: an unpacked directory (default: this installation when it is one, else dist/'s newest archive unpacked by the caller). */
  readonly bundle: string;
  /** Encrypted secrets archives to carry, written as secrets/HOST.secrets.age. */
  readonly secrets: readonly { readonly host: string; readonly file: string }[];
  readonly mirror?: string;
  readonly securityMirror?: string;
  readonly keyring?: string;
}

export interface MediumResult {
  readonly hosts: readonly string[];
  readonly bundleFiles: { copied: number; kept: number };
  readonly mirrors: Readonly<Record<string, MirrorResult>>;
  readonly version: string;
}

const sha = async (p: string): Promise<string> => createHash('sha256').update(await readFile(p)).digest('hex');

/** Copies a tree, skipping files whose size and content are already there; keeps modes. */
async function syncTree(from: string, to: string, counts: { copied: number; kept: number }): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from, { withFileTypes: true })) {
    const a = join(from, e.name);
    const b = join(to, e.name);
    if (e.isDirectory()) await syncTree(a, b, counts);
    else if (e.isFile()) {
      const sa = await stat(a);
      const sb = await stat(b).catch(() => undefined);
      if (sb && sb.size === sa.size && (await sha(a)) === (await sha(b))) {
        counts.kept++;
        continue;
      }
      await copyFile(a, `${b}.part`);
      await chmod(`${b}.part`, sa.mode & 0o777);
      await rename(`${b}.part`, b);
      counts.copied++;
    }
  }
}

/** The bundle this installation is (when run from an unpacked bundle), or undefined. */
export function runningBundle(): string | undefined {
  return existsSync(join(PROJECT_ROOT, 'node/bin/node')) && existsSync(join(PROJECT_ROOT, 'live.sh')) ? PROJECT_ROOT : undefined;
}

export async function writeMedium(runner: MutatingRunner, o: MediumOptions, onEvent: (e: ApplyEvent) => void = () => {}): Promise<MediumResult> {
  const out = resolve(o.out);
  if (!existsSync(join(o.repo, 'hosts'))) throw new UserError('USAGE', `${o.repo} has no hosts/ directory: not a manifest repository`, { hint: 'give --repo DIR (the one capture --commit writes)' });
  if (!existsSync(join(o.bundle, 'bin/sysmanifest.js')) || !existsSync(join(o.bundle, 'live.sh'))) throw new UserError('USAGE', `${o.bundle} is not an unpacked sysmanifest bundle (bin/sysmanifest.js, live.sh)`, { hint: 'npm run bundle, or run medium from the bundle itself' });
  const all = (await readdir(join(o.repo, 'hosts'), { withFileTypes: true })).filter((e) => e.isDirectory() && existsSync(join(o.repo, 'hosts', e.name, 'manifest.yaml'))).map((e) => e.name).sort();
  const hosts = o.hosts.length ? [...o.hosts] : all;
  for (const h of hosts) if (!all.includes(h)) throw new UserError('USAGE', `--host ${h}: the repository has no hosts/${h}/manifest.yaml (it has: ${all.join(', ') || 'none'})`);
  for (const s of o.secrets) if (!all.includes(s.host)) throw new UserError('USAGE', `--secrets ${s.file}: no host ${s.host} in the repository (name it HOST.secrets.age)`);
  await mkdir(out, { recursive: true });
  const pkg = JSON.parse(await readFile(join(o.bundle, 'package.json'), 'utf8')) as { version: string };

  // The bundle.
  const bundleFiles = { copied: 0, kept: 0 };
  await syncTree(o.bundle, join(out, 'bundle'), bundleFiles);

  // The manifest repository with its /etc history: a clone, then every ref fetched again on a rerun.
  const repo = join(out, 'repo');
  const git = (...a: string[]): Promise<unknown> => runner.mutate(['git', '-c', 'safe.directory=*', ...a]);
  if (!existsSync(join(repo, '.git'))) await git('clone', '--quiet', '--no-hardlinks', o.repo, repo);
  await git('-C', repo, 'fetch', '--quiet', '--force', o.repo, '+refs/heads/*:refs/remotes/origin/*', '+refs/sysmanifest/*:refs/sysmanifest/*');
  await git('-C', repo, 'reset', '--quiet', '--hard', 'refs/remotes/origin/HEAD');

  // Each host's mirror, with the packages the live system's tools come in.
  const mirrors: Record<string, MirrorResult> = {};
  for (const h of hosts) {
    const file = join(repo, 'hosts', h, 'manifest.yaml');
    const m = await loadManifest(file);
    if (m.packages?.manager !== 'apt') continue;
    const tools = [...new Set(liveTools(m).map((t) => t.debian))];
    mirrors[h] = await mirrorManifest(runner, file, {
      out: join(out, 'mirror', h),
      variant: parseVariant('minbase'),
      include: tools,
      recommends: true,
      keyring: o.keyring ?? DEFAULT_KEYRING,
      ...(o.mirror ? { mirror: o.mirror } : {}),
      ...(o.securityMirror ? { securityMirror: o.securityMirror } : {}),
    }, onEvent);
  }

  for (const s of o.secrets) {
    await mkdir(join(out, 'secrets'), { recursive: true, mode: 0o700 });
    await copyFile(s.file, join(out, 'secrets', `${s.host}.secrets.age`));
  }
  await writeFile(join(out, MEDIUM_MARKER), `${JSON.stringify({ version: pkg.version, hosts, written: new Date().toISOString() }, null, 2)}\n`);
  await writeFile(join(out, 'README'), readme(pkg.version, hosts));
  return { hosts, bundleFiles, mirrors, version: pkg.version };
}

function readme(version: string, hosts: readonly string[]): string {
  return `sysmanifest ${version} — offline rebuild medium for: ${hosts.join(', ')}

Everything a rebuild needs is here: the program with its own runtime (bundle/), the manifest
repository (repo/), each host's packages (mirror/HOST/) and, if you put them here, the
encrypted secrets archives (secrets/). No network is needed.

1. Boot the machine from any Linux live system (Debian live, GRML, the Arch ISO …).
2. Attach or mount this medium, open a root shell, and run:
     sh /PATH/TO/MEDIUM/bundle/live.sh --host HOST --identity /PATH/TO/YOUR/age.key
   It checks and installs the tools the rebuild needs (from this medium first), shows the disks
   it sees and the mapping it proposes, then starts the rebuild, which shows its plan and asks
   before it writes anything. Give your own mapping after --:  -- --map disk0=/dev/nvme0n1
3. If the live system reboots half-way, run the same command again with  -- --resume
   (the state is kept in state/HOST on this medium when it is writable).
4. When it says the target matches the manifest, reboot into the rebuilt machine.
`;
}
