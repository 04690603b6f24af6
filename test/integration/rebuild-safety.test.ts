// Every refusal happens before a single write. Each case runs the real `sysmanifest rebuild`
// against a loop target that must not be used, checks the exit status (1) and the message,
// and proves the target is byte-for-byte unchanged: sha256 of its whole backing file before
// and after. `sysmanifest plan` (read-only) changes nothing either. The running root's disk
// (this sandbox's /dev/vda, which cannot even be read) is refused under strace: no process
// that writes is started and /dev/vda is never opened for writing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Inventory, BlockDevice } from '../../src/providers/storage/types.ts';
import { preflightProblems, rootDisks } from '../../src/services/rebuild/preflight.ts';
import type { Disk } from '../../src/core/manifest/types.gen.ts';
import { cli, REPO_ROOT } from '../lib/cli.ts';
import { integrationUnavailable, LoopLab, sh, type LoopDisk } from '../lib/loop.ts';

const MiB = 1024 * 1024;
const skip = integrationUnavailable();

const SOURCE_SCRIPT = `label: gpt
label-id: 5E1F0A2B-3C4D-4E5F-8A9B-0C1D2E3F4A5B

start=2048, size=8192, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=E5E5E5E5-0000-4000-8000-000000000001, name="esp"
start=10240, size=40960, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=E5E5E5E5-0000-4000-8000-000000000002, name="data"
`;
/** What a target of the source layout looks like after someone used it: p1 ext4, p2 swap. */
const USED_SCRIPT = `label: gpt

size=8192, type=L
size=8192, type=S
`;

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('rebuild refuses before any write', { skip }, () => {
  let lab: LoopLab;
  let tmp: string;
  let manifest: string;
  let n = 0;

  before(() => {
    lab = new LoopLab('sysmanifest-safety-');
    tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-safety-state-'));
    const src = lab.disk(64 * MiB, { name: 'source' });
    sh(['sfdisk', '-q', '--no-reread', '--no-tell-kernel', src.path], SOURCE_SCRIPT);
    lab.rescan(src);
    const cap = cli(['capture', '--disk', src.path, '--repo', join(tmp, 'repo'), '--host', 't']);
    assert.equal(cap.status, 0, cap.stderr);
    manifest = join(tmp, 'repo/hosts/t/manifest.yaml');
    // The source's disk GUID and PARTUUIDs are what a rebuild recreates: with the source still
    // attached every rebuild here would be refused for that (identity-clash.test.ts) instead.
    lab.detach(src);
  });
  after(() => {
    try {
      lab?.cleanup();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  function rebuild(...args: string[]) {
    const state = join(tmp, `state-${++n}`);
    const r = cli(['rebuild', manifest, '--stage', 'storage', '--yes', '--state', state, '--target', join(tmp, 'mnt'), ...args]);
    return { ...r, state };
  }

  /** Runs `act` and asserts that it exits 1 with `message` and leaves `disk` byte-for-byte unchanged. */
  function refused(disk: LoopDisk, message: RegExp, ...args: string[]): string {
    const before = sha256(disk.file);
    const r = rebuild(...args);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, message);
    assert.equal(sha256(disk.file), before, `${disk.path} unchanged`);
    assert.equal(existsSync(join(r.state, 'journal.jsonl')), false, 'no step was started');
    assert.equal(existsSync(join(r.state, 'plan.json')), false, 'no plan was saved');
    assert.doesNotMatch(r.stdout, /^\[1\//m, 'no step ran');
    return r.stderr;
  }

  function used(name: string): LoopDisk {
    const d = lab.disk(64 * MiB, { name });
    sh(['sfdisk', '-q', '--no-reread', '--no-tell-kernel', d.path], USED_SCRIPT);
    lab.rescan(d);
    sh(['mkfs.ext4', '-q', '-F', '-L', 'old', `${d.path}p1`]);
    return d;
  }

  test('a target with a mounted filesystem (even with --wipe)', () => {
    const d = used('mounted');
    // Read-only, so that the mount itself writes nothing to the disk while we compare.
    const dir = lab.mount(`${d.path}p1`, ['ro']);
    try {
      refused(d, new RegExp(`refusing to rebuild; nothing was written:\\n- disk0 → ${d.path}: ${d.path}p1 is mounted on ${dir}; unmount it first\\n`), '--map', `disk0=${d.path}`, '--wipe', 'disk0');
    } finally {
      lab.umount(dir);
    }
  });

  test('active swap on the target (even with --wipe)', () => {
    const d = used('swap');
    sh(['mkswap', '-q', `${d.path}p2`]);
    sh(['swapon', '--priority', '-2', `${d.path}p2`]);
    try {
      refused(d, new RegExp(`- disk0 → ${d.path}: ${d.path}p2 is active swap; swapoff ${d.path}p2 first\\n`), '--map', `disk0=${d.path}`, '--wipe', 'disk0');
    } finally {
      sh(['swapoff', `${d.path}p2`]);
    }
  });

  test('a filesystem signature without --wipe is refused; with --wipe the rebuild proceeds and erases it', () => {
    const d = lab.disk(64 * MiB, { name: 'ext4' });
    sh(['mkfs.ext4', '-q', '-F', '-L', 'whole', d.path]);
    refused(d, new RegExp(`^sysmanifest: refusing to rebuild; nothing was written:\\n- disk0 → ${d.path}: is not blank \\(${d.path}: ext4\\); pass --wipe disk0 to hand it over for erasing\\n$`), '--map', `disk0=${d.path}`);
    const r = rebuild('--map', `disk0=${d.path}`, '--wipe', 'disk0');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\[DESTROY\] GPT partition table on .* \(disk0\): 2 partitions; erases what the disk holds/);
    assert.match(r.stdout, /verify: the disks match the manifest/);
    // The ext4 superblock is gone: blkid sees the new table only, and blank partitions.
    assert.equal(sh(['blkid', '-p', '-o', 'export', d.path]), `DEVNAME=${d.path}\nPTUUID=5e1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b\nPTTYPE=gpt\n`);
    for (const p of [1, 2]) assert.doesNotMatch(sh(['blkid', '-p', '-o', 'export', `${d.path}p${p}`]), /^TYPE=/m);
    // It now carries the manifest's identities: later rebuilds here would be refused for that.
    lab.detach(d);
  });

  test('a disk that matches nothing (no --map, no serial in the manifest): the message lists the candidates', () => {
    const d = lab.disk(64 * MiB, { name: 'unmatched' });
    const msg = refused(d, /^sysmanifest: cannot match the manifest's disks to this machine's disks:\n- disk0 \(64 MiB\): no disk here has its identity \(the manifest records none\); choose the target with --map disk0=\/dev\/…; candidates:\n {2}\/dev\/\S+, /);
    // Every whole disk of this machine is listed with its size.
    for (const k of readFileSync('/proc/partitions', 'utf8').split('\n').slice(2).map((l) => l.trim().split(/\s+/)[3]).filter((k): k is string => !!k && /^(vd|sd|nvme\d+n\d+$)[a-z]*$/.test(k))) {
      assert.match(msg, new RegExp(`\\n {2}/dev/${k}, `), k);
    }
  });

  test('partitions that do not fit: a smaller target, with the exact shortfall', () => {
    const d = lab.disk(48 * MiB, { name: 'small' });
    // The source disk was 64 MiB: its last usable LBA 131038 plus the 33-sector backup GPT.
    refused(d, new RegExp(`- disk0 → ${d.path}: is 48 MiB \\(50331648 bytes\\) but the manifest needs 67108864 bytes: 16777216 bytes \\(16 MiB\\) short\\n`), '--map', `disk0=${d.path}`);
  });

  test('plan is read-only: the target is unchanged after `sysmanifest plan`, even for a --wipe plan', () => {
    const d = used('plan');
    const before = sha256(d.file);
    const p = cli(['plan', manifest, '--map', `disk0=${d.path}`, '--wipe', 'disk0']);
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stdout, /\[DESTROY\] GPT partition table on /);
    const j = cli(['plan', manifest, '--map', `disk0=${d.path}`, '--wipe', 'disk0', '--json']);
    assert.equal(j.status, 0, j.stderr);
    assert.deepEqual((JSON.parse(j.stdout) as { steps: { id: string }[] }).steps.map((s) => s.id), ['sfdisk:disk0', 'table:disk0']);
    assert.equal(sha256(d.file), before);
  });

  test('the running root\'s disk is refused without being opened for writing, and nothing that writes is started', (t) => {
    const root = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === '/');
    const source = root?.split(' - ')[1]?.split(' ')[1];
    if (source !== '/dev/vda') {
      t.skip(`this test names the sandbox's root disk /dev/vda; here / is on ${source}`);
      return;
    }
    const trace = join(tmp, 'strace.txt');
    const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=execve,openat,open', '-o', trace, process.execPath, `${REPO_ROOT}src/cli/main.ts`, 'rebuild', manifest, '--stage', 'storage', '--yes', '--state', join(tmp, 'state-root'), '--target', join(tmp, 'mnt'), '--map', 'disk0=/dev/vda', '--wipe', 'disk0'], { encoding: 'utf8', cwd: REPO_ROOT });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^sysmanifest: refusing to rebuild; nothing was written:\n/);
    assert.match(r.stderr, /\n- disk0 → \/dev\/vda: holds the root filesystem of the running system; it is never a target\n/);
    assert.match(r.stderr, /\n- disk0 → \/dev\/vda: \/dev\/vda is mounted on \/; unmount it first\n/);
    const lines = readFileSync(trace, 'utf8').split('\n');
    // The inventory tries to open every disk read-only to learn whether it can be read (here:
    // EPERM, so it is marked unreadable and never probed); nothing opens it for writing.
    const opened = lines.filter((l) => /open(at)?\(.*"\/dev\/vda"/.test(l));
    assert.deepEqual(opened.filter((l) => /O_WRONLY|O_RDWR/.test(l) || !/O_RDONLY/.test(l)), [], '/dev/vda never opened for writing');
    const programs = lines.map((l) => /execve\("([^"]+)"/.exec(l)?.[1]).filter((p): p is string => p !== undefined).map((p) => p.split('/').pop()!);
    assert.ok(programs.includes('blkid'), `strace follows the CLI's children (started: ${[...new Set(programs)].join(', ')})`);
    for (const writer of ['sfdisk', 'partx', 'wipefs', 'mkfs', 'dd', 'blkdiscard']) assert.ok(!programs.some((p) => p === writer || p.startsWith(`${writer}.`)), `${writer} not started (started: ${[...new Set(programs)].join(', ')})`);
    assert.equal(existsSync(join(tmp, 'state-root', 'journal.jsonl')), false);
  });
});

// Root-disk refusal at unit level, beyond the plain partition case of preflight.test.ts: the
// root on LVM over a partition, and on btrfs (mountinfo reports an anonymous 0:N device).
const dev = (kname: string, extra: Partial<BlockDevice> = {}): BlockDevice => ({
  kname, path: `/dev/${kname}`, kind: 'disk', majMin: `8:${kname.length}`, sizeBytes: 1 << 30, logicalSectorSize: 512, physicalSectorSize: 512,
  slaves: [], holders: [], removable: false, readOnly: false, probe: {}, ...extra,
});
const disk0: Disk = { id: 'disk0', match: { sizeBytes: 1 << 30 }, logicalSectorSize: 512, physicalSectorSize: 512 };

test('preflight: the disk under a root on LVM (dm → partition → disk) is refused, with --wipe too', () => {
  const inv: Inventory = {
    devices: {
      sda: dev('sda', { probe: { PTTYPE: 'gpt' } }),
      sda2: dev('sda2', { kind: 'part', parent: 'sda', partitionNumber: 2, majMin: '8:2', holders: ['dm-0'], probe: { TYPE: 'LVM2_member' } }),
      'dm-0': dev('dm-0', { kind: 'dm', path: '/dev/mapper/vg-root', majMin: '254:0', slaves: ['sda2'], dm: { name: 'vg-root', uuid: 'LVM-x' }, probe: { TYPE: 'ext4' } }),
      sdb: dev('sdb'),
    },
    mounts: [{ majMin: '254:0', root: '/', mountpoint: '/', fstype: 'ext4', source: '/dev/mapper/vg-root', options: 'rw' }],
    swaps: [],
  };
  assert.deepEqual([...rootDisks(inv)], ['sda']);
  const p = preflightProblems({ inventory: inv, targets: { disk0: 'sda' }, disks: [disk0], wipe: new Set(['disk0']) });
  assert.ok(p.includes('disk0 → /dev/sda: holds the root filesystem of the running system; it is never a target'), p.join('\n'));
  assert.deepEqual(preflightProblems({ inventory: inv, targets: { disk0: 'sdb' }, disks: [disk0], wipe: new Set() }), []);
});

test('preflight: the disk under a btrfs root (anonymous 0:N in mountinfo) is refused', () => {
  const inv: Inventory = {
    devices: {
      nvme0n1: dev('nvme0n1', { probe: { PTTYPE: 'gpt' } }),
      nvme0n1p2: dev('nvme0n1p2', { kind: 'part', parent: 'nvme0n1', partitionNumber: 2, majMin: '259:2', probe: { TYPE: 'btrfs', UUID: 'u' } }),
    },
    mounts: [{ majMin: '0:31', root: '/@', mountpoint: '/', fstype: 'btrfs', source: '/dev/nvme0n1p2', options: 'rw' }],
    swaps: [],
  };
  assert.deepEqual([...rootDisks(inv)], ['nvme0n1']);
  const p = preflightProblems({ inventory: inv, targets: { disk0: 'nvme0n1' }, disks: [disk0], wipe: new Set(['disk0']) });
  assert.ok(p.includes('disk0 → /dev/nvme0n1: holds the root filesystem of the running system; it is never a target'), p.join('\n'));
});
