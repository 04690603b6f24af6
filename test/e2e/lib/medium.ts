// booty, installed on a loop disk of the lab, captured with its secrets into a manifest
// repository, and put on an offline medium with the bundle: what the live-medium and the
// rehearse tests start from. The loop disk is detached at the end (the machine is gone).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../../lib/cli.ts';
import { type LoopLab, sh } from '../../lib/loop.ts';
import { bootyOn, CACHE } from './booty.ts';

/** booty's mirror on the medium is kept here between runs: a rerun of `medium` only refreshes it. */
export const MIRROR_CACHE = '/var/tmp/sysmanifest-medium-mirror';

export interface BootyMedium {
  /** The bundle archive and its unpacked top directory. */
  readonly tar: string;
  readonly top: string;
  readonly bundleMiB: number;
  readonly repo: string;
  readonly medium: string;
  /** The age identity that opens the medium's secrets. */
  readonly key: string;
  readonly seconds: { readonly bundle: number; readonly install: number; readonly medium: number };
}

export function bootyMedium(lab: LoopLab): BootyMedium {
  mkdirSync(CACHE, { recursive: true });
  let t0 = Date.now();
  const dist = join(lab.dir, 'dist');
  const b = spawnSync(process.execPath, ['scripts/bundle.ts', '--out', dist, '--arch', 'x86_64'], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const tar = join(dist, readdirSync(dist).find((f) => f.endsWith('-linux-x86_64.tar.gz'))!);
  const bundleMiB = statSync(tar).size / 2 ** 20;
  const bundle = (Date.now() - t0) / 1000;
  execFileSync('tar', ['-xzf', tar, '-C', dist]);
  const top = join(dist, readdirSync(dist).find((f) => !f.endsWith('.tar.gz'))!);

  t0 = Date.now();
  const { disk: a, root: rootA } = bootyOn(lab);
  const key = join(lab.dir, 'age.key');
  sh(['age-keygen', '-o', key]);
  const secrets = join(lab.dir, 'booty.secrets.age');
  const repo = join(lab.dir, 'repo');
  const cap = cli(['capture', '--commit', '--root', rootA, '--disk', a.path, '--repo', repo, '--host', 'booty', '--secrets-out', secrets, '--secrets-recipient', sh(['age-keygen', '-y', key]).trim()]);
  assert.equal(cap.status, 0, cap.stderr);
  lab.umount(rootA);
  const install = (Date.now() - t0) / 1000;

  t0 = Date.now();
  const medium = join(lab.dir, 'medium');
  if (existsSync(MIRROR_CACHE)) cpSync(MIRROR_CACHE, join(medium, 'mirror/booty'), { recursive: true, preserveTimestamps: true });
  const med = cli(['medium', '--out', medium, '--repo', repo, '--bundle', tar, '--secrets', secrets], { timeoutMs: 30 * 60_000 });
  assert.equal(med.status, 0, `${med.stdout.slice(-3000)}\n${med.stderr}`);
  assert.match(med.stdout, /hosts booty/);
  rmSync(`${MIRROR_CACHE}.new`, { recursive: true, force: true });
  cpSync(join(medium, 'mirror/booty'), `${MIRROR_CACHE}.new`, { recursive: true, preserveTimestamps: true });
  rmSync(MIRROR_CACHE, { recursive: true, force: true });
  renameSync(`${MIRROR_CACHE}.new`, MIRROR_CACHE);
  for (const f of ['sysmanifest-medium', 'README', 'bundle/live.sh', 'bundle/sysmanifest', 'bundle/node/bin/node', 'repo/hosts/booty/manifest.yaml', 'secrets/booty.secrets.age']) assert.ok(existsSync(join(medium, f)), f);
  lab.detach(a); // the machine's disk is gone
  return { tar, top, bundleMiB, repo, medium, key, seconds: { bundle, install, medium: (Date.now() - t0) / 1000 } };
}

/** The medium's version number, as the bundle's package.json says. */
export function bundleVersion(top: string): string {
  return (JSON.parse(readFileSync(join(top, 'package.json'), 'utf8')) as { version: string }).version;
}
