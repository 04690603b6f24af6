// ssh:// targets (src/services/datasets/target-fs.ts) through a real sshd started for this test on
// 127.0.0.1 (its own host key, config, port and authorized key in a temp dir; killed at the end),
// reached with SYSMANIFEST_SSH="ssh -F <test config>": rsync snapshots on the other side (partial
// tree, rename, --link-dest: unchanged files are one inode there), a restic repository over sftp
// and a borg repository over borg's ssh://, each restored exactly; a host that refuses the
// connection is unreachable and does not block the others.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseManifest } from '../../src/core/manifest/load.ts';
import { hostMutatingRunner } from '../../src/core/runner/exec.ts';
import { restoreDataset, syncDatasets } from '../../src/services/datasets/sync.ts';
import { datasetTree } from '../lib/dataset-tree.ts';
import { treeView } from '../lib/tree-view.ts';

const has = (p: string): boolean => spawnSync('sh', ['-c', `command -v ${p}`], { env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` } }).status === 0;
const skip = process.getuid?.() !== 0 ? 'needs root (sshd, owners)' : !existsSync('/usr/sbin/sshd') ? 'sshd is not installed (apt-get install openssh-server)' : !has('ssh') ? 'ssh is not installed' : !has('restic') || !has('borg') ? 'restic and borg are needed' : undefined;
if (skip) console.error(`!! datasets-ssh: SKIPPED: ${skip}`);
const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-ds-ssh-'));
let sshd: ChildProcess | undefined;
let port = 0;
let madeRunSshd = false;

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
const answers = (p: number): Promise<boolean> =>
  new Promise((resolve) => {
    const c = connect(p, '127.0.0.1');
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });

before(async () => {
  if (skip) return;
  port = await freePort();
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'hostkey')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'clientkey')]);
  execFileSync('cp', [join(dir, 'clientkey.pub'), join(dir, 'authorized_keys')]);
  writeFileSync(join(dir, 'sshd_config'), [`Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'hostkey')}`, `PidFile ${join(dir, 'sshd.pid')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'Subsystem sftp /usr/lib/openssh/sftp-server', ''].join('\n'));
  writeFileSync(join(dir, 'ssh_config'), ['Host 127.0.0.1', `  IdentityFile ${join(dir, 'clientkey')}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${join(dir, 'known_hosts')}`, '  StrictHostKeyChecking accept-new', '  LogLevel ERROR', ''].join('\n'));
  // sshd's privilege separation directory (Debian's unit makes it at boot; none here).
  if (!existsSync('/run/sshd')) {
    mkdirSync('/run/sshd', { mode: 0o755 });
    madeRunSshd = true;
  }
  sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  sshd.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  for (let i = 0; i < 200 && !(await answers(port)); i++) await sleep(25);
  if (!(await answers(port))) throw new Error(`sshd did not start: ${err}`);
  process.env.SYSMANIFEST_SSH = `ssh -F ${join(dir, 'ssh_config')}`;
  process.env.RESTIC_PASSWORD = 'correct horse battery staple';
  process.env.BORG_PASSPHRASE = 'correct horse battery staple';
});

after(async () => {
  sshd?.kill('SIGTERM');
  if (sshd && sshd.exitCode === null) await new Promise((r) => sshd!.once('exit', r));
  if (madeRunSshd) rmSync('/run/sshd', { recursive: true, force: true });
  // A session's `borg serve` may still be writing its index when the client has returned: retry.
  rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
});

const manifest = (kind: string, src: string, remote: string): string => `apiVersion: sysmanifest/v1
host:
  hostname: box
datasets:
  - name: photos
    path: ${src}
    role: copy
    kind: ${kind}
    sources: [nas:/photos]
    targets: ["ssh://root@127.0.0.1:1/nowhere", "ssh://root@127.0.0.1:${port}${remote}"]
`;

for (const kind of ['rsync', 'restic', 'borg'] as const) {
  test(`${kind} to an ssh:// target: two snapshots there, the host that refuses reported, restore exact`, { skip, timeout: 5 * 60_000 }, async () => {
    const src = datasetTree(join(dir, `${kind}-src`));
    const remote = join(dir, `${kind}-remote`); // "the other host" is this one, through sshd
    mkdirSync(remote);
    const m = parseManifest(manifest(kind, src, remote), 'm.yaml');
    const run = async (now: string) => (await syncDatasets(hostMutatingRunner(), m, { names: [], dryRun: false, now: new Date(now) }))[0]!;
    const r1 = await run('2026-12-01T10:00:00Z');
    assert.equal(r1.targets[0]!.state, 'unreachable');
    assert.match(r1.targets[0]!.why!, /ssh to root@127\.0\.0\.1 port 1 failed: .*(refused|Connection)/);
    assert.equal(r1.targets[1]!.state, 'done', JSON.stringify(r1.targets[1]));
    writeFileSync(join(src, 'notes.txt'), 'second\n');
    const r2 = await run('2026-12-02T10:00:00Z');
    assert.equal(r2.targets[1]!.state, 'done', JSON.stringify(r2.targets[1]));
    if (kind === 'rsync') {
      const there = join(remote, 'photos');
      assert.deepEqual(readdirSync(there).sort(), ['20261201T100000Z', '20261202T100000Z'], 'only complete snapshots, no partial tree, no lock');
      assert.equal(r2.targets[1]!.base, '20261201T100000Z');
      const ino = (snap: string, f: string): number => statSync(join(there, snap, f)).ino;
      assert.equal(ino('20261201T100000Z', '2025/summer/a.jpg'), ino('20261202T100000Z', '2025/summer/a.jpg'), 'unchanged: one inode on the other side');
      assert.notEqual(ino('20261201T100000Z', 'notes.txt'), ino('20261202T100000Z', 'notes.txt'));
    } else assert.ok(readdirSync(remote).includes('config'), `a ${kind} repository there`);
    const to = join(dir, `${kind}-back`);
    const back = await restoreDataset(hostMutatingRunner(), m, { name: 'photos', to });
    assert.equal(back.snapshot, '20261202T100000Z');
    assert.equal(treeView(to), treeView(src), 'owners, modes, times, hard links back');
  });
}
