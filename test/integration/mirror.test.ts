// `sysmanifest mirror` end to end (root; network to the Debian mirror this host uses; no loop
// devices): a small bookworm amd64 manifest (manual set hello, less) is mirrored into the
// test cache (test/lib/mirror.ts: the first run downloads, later runs reuse it), mirrored
// again (nothing may be downloaded), and then mmdebstrap installs minbase + hello + less from
// it with the network cut (unshare --net), once from the release suite alone (file://DIR, as
// `mmdebstrap SUITE TARGET URL` reads it) and once from every mirrored suite (DIR/mirror.sources).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { cli } from '../lib/cli.ts';
import { cachedMirror, MMDEBSTRAP_FILE_MIRROR, mirrorManifestYaml, type TestMirror } from '../lib/mirror.ts';
import { writeFileSync } from 'node:fs';

const ENV = { ...process.env, LC_ALL: 'C', PATH: `${process.env.PATH}:/usr/sbin:/sbin` };
const run = (argv: string[], timeoutMs = 15 * 60_000) => spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: ENV, timeout: timeoutMs, killSignal: 'SIGKILL' });

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'SKIPPED: needs root (mmdebstrap, unshare --net, chroot)';
  if (!existsSync('/usr/bin/mmdebstrap')) {
    const r = run(['apt-get', 'install', '-y', '--no-install-recommends', 'mmdebstrap']);
    if (r.status !== 0) return `SKIPPED: mmdebstrap is missing and apt-get install mmdebstrap failed: ${r.stderr.trim().split('\n').pop()}`;
  }
  if (run(['unshare', '--net', 'true']).status !== 0) return 'SKIPPED: unshare --net does not work here (no network namespaces)';
  return undefined;
}

const skip = unavailable();
let mirror: TestMirror | undefined;
let mirrorMs = 0;
let why: string | undefined = skip;
if (!skip) {
  const t0 = performance.now();
  const m = cachedMirror({ manual: ['hello', 'less'] });
  mirrorMs = performance.now() - t0;
  if ('skip' in m) why = m.skip;
  else mirror = m;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

test('mirror: a rerun downloads nothing; the metadata is the archive\'s own, signed and byte-identical', { skip: why }, (t) => {
  const m = mirror!;
  // The archive moves on its own (bookworm-security and -updates are republished several times a
  // day; the cache may be hours old): what the archive republished since the cached run may be
  // fetched, nothing else. Before the rerun: each suite's InRelease and the pool's files.
  const inReleaseOf = (suite: string): string | undefined => {
    const p = join(m.dir, 'dists', suite, 'InRelease');
    return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
  };
  const suitesBefore = readdirSync(join(m.dir, 'dists'));
  const signedBefore = new Map(suitesBefore.map((s) => [s, inReleaseOf(s)]));
  const poolBefore = new Set(walk(join(m.dir, 'pool')));
  const r = cli(['mirror', m.manifest, '--out', m.dir, '--json'], { timeoutMs: 10 * 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(result.event, 'result');
  const republished = (result.suites as string[]).filter((s) => signedBefore.get(s) !== inReleaseOf(s));
  for (const suite of result.suites as string[]) {
    if (!republished.includes(suite)) assert.equal(result.indexesBySuite[suite], 0, `${suite}: its InRelease did not change, so a rerun must download none of its index files`);
  }
  assert.equal(result.indexesDownloaded, Object.values(result.indexesBySuite as Record<string, number>).reduce((a, b) => a + b, 0));
  const newFiles = walk(join(m.dir, 'pool')).filter((p) => !poolBefore.has(p));
  assert.equal(result.downloaded, newFiles.length, `a rerun downloads only packages the mirror did not have (new: ${newFiles.join(' ') || 'none'})`);
  if (republished.length === 0) {
    assert.equal(result.downloaded, 0, 'the archive did not change: a rerun must download no package');
    assert.equal(result.indexesDownloaded, 0, 'the archive did not change: a rerun must download no index file');
    assert.equal(result.pruned, 0);
  } else t.diagnostic(`the archive republished ${republished.join(' ')} since the cached run: ${result.indexesDownloaded} index file(s) and ${result.downloaded} new package(s) fetched, ${result.pruned} pruned`);
  const debs = walk(join(m.dir, 'pool')).filter((p) => p.endsWith('.deb'));
  assert.equal(debs.length, result.debs);
  assert.ok(debs.some((p) => p.endsWith('/pool/main/h/hello/hello_2.10-3_amd64.deb')), 'hello at its archive path');
  t.diagnostic(`first mirror call ${(mirrorMs / 1000).toFixed(1)} s (a download only when the cache was empty); rerun ${(result.ms / 1000).toFixed(1)} s; ${result.debs} .debs (${(result.debBytes / 1048576).toFixed(1)} MiB); DIR ${(result.dirBytes / 1048576).toFixed(1)} MiB; suites ${result.suites.join(' ')}`);

  // InRelease verifies with the archive keyring, and every index it lists that the mirror holds has its hash.
  for (const suite of result.suites as string[]) {
    const inRelease = join(m.dir, 'dists', suite, 'InRelease');
    const v = run(['gpgv', '--keyring', '/usr/share/keyrings/debian-archive-keyring.gpg', '--output', '-', inRelease]);
    assert.equal(v.status, 0, v.stderr);
    const packagesXz = join(m.dir, 'dists', suite, 'main/binary-amd64/Packages.xz');
    const listed = new RegExp(`^ ${sha256(packagesXz)}\\s+${statSync(packagesXz).size} main/binary-amd64/Packages\\.xz$`, 'm');
    assert.match(v.stdout, listed, `${suite}: Packages.xz is byte-identical to what InRelease signs`);
  }
});

function mmdebstrapOffline(t: { diagnostic(s: string): void }, source: string, what: string): void {
  const tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-mirror-'));
  const root = join(tmp, 'root');
  try {
    const t0 = performance.now();
    // --mount: the hook's bind mount of the mirror lives and dies in a private namespace.
    const r = run(['unshare', '--mount', '--net', 'mmdebstrap', '--variant=minbase', '--include=hello,less', MMDEBSTRAP_FILE_MIRROR, 'bookworm', root, source]);
    const ms = performance.now() - t0;
    assert.equal(r.status, 0, `mmdebstrap offline from ${what} failed:\n${r.stderr.slice(-3000)}`);
    t.diagnostic(`mmdebstrap --variant=minbase --include=hello,less offline from ${what}: ${(ms / 1000).toFixed(1)} s`);
    const hello = run(['chroot', root, 'hello']);
    assert.equal(hello.stdout, 'Hello, world!\n');
    const q = run(['dpkg-query', `--admindir=${join(root, 'var/lib/dpkg')}`, '-W', '-f', '${db:Status-Abbrev} ${Package}\n', 'hello', 'less', 'apt']);
    assert.equal(q.stdout, 'ii  apt\nii  hello\nii  less\n'); // dpkg-query sorts by name
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

test('mirror: mmdebstrap installs minbase + hello + less from file://DIR with no network', { skip: why, timeout: 15 * 60_000 }, (t) => {
  mmdebstrapOffline(t, mirror!.url, 'file://DIR (the release suite)');
});

test('mirror: mmdebstrap installs from every mirrored suite (DIR/mirror.sources) with no network', { skip: why, timeout: 15 * 60_000 }, (t) => {
  mmdebstrapOffline(t, mirror!.sourcesFile, 'DIR/mirror.sources (release, -updates, -security)');
});

test('mirror: a release the archive does not have is one clear error, and leaves no directory', { skip: skip }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-mirror-'));
  try {
    const manifest = join(tmp, 'm.yaml');
    writeFileSync(manifest, mirrorManifestYaml({ codename: 'nosuchrelease', manual: ['hello'] }));
    const r = cli(['mirror', manifest, '--out', join(tmp, 'out')], { timeoutMs: 5 * 60_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /could not download http\S+\/dists\/nosuchrelease\/InRelease/);
    assert.match(r.stderr, /hint: the archive has no such suite/);
    assert.doesNotMatch(r.stderr, /internal error|at .*\.ts:\d+/);
    assert.equal(existsSync(join(tmp, 'out')), false);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('mirror: an architecture the release does not carry is refused in words', { skip: skip }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-mirror-'));
  try {
    const manifest = join(tmp, 'm.yaml');
    writeFileSync(manifest, mirrorManifestYaml({ architecture: 'sparc64', manual: ['hello'] }));
    const r = cli(['mirror', manifest, '--out', join(tmp, 'out')], { timeoutMs: 5 * 60_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the archive's suite bookworm has no architecture sparc64/);
    assert.equal(existsSync(join(tmp, 'out')), false);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
