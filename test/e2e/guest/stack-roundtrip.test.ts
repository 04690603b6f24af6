// Round trips of the storage stack in the qemu guest: a layout built with the raw tools →
// `sysmanifest capture` → teardown → `sysmanifest rebuild --stage storage` onto BLANK disks →
// the tools' own views (luksDump, LVM JSON reports, mdadm --detail, sfdisk --json, blkid -p)
// equal the original's, identities included, and `sysmanifest verify` exits 0.
//   (a) LUKS2 ×2 → LVM (linear, striped over 2 PVs, thin pool + thin LV) → ext4 / xfs / btrfs
//   (b) GPT → md RAID1 ×2 → LUKS1 → ext4, and xfs; rebuilt with a SIGKILL after chosen steps in
//       turn (the whole process group, as a power cut would), each time resumed with --resume.
// Runs only inside the test guest (test/e2e/vm.test.ts); skips loudly elsewhere.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { partitionPath } from '../../../src/core/plan/context.ts';
import { diskBySerial, guestUnavailable, holders, run, Steps, Teardown, wipeDisks } from './lib.ts';
import { blkidView, json, luks1View, luks2View, lvmView, mdView, tableView } from './views.ts';

const skip = guestUnavailable();
const TIMEOUT = 900_000;
const NODE = process.execPath;
// The bundle when it is fresh (test/run.sh builds it): Node strips TypeScript slowly under TCG.
const CLI = 'bin/sysmanifest.js';
const KEY = 'e2e-not-a-secret';
const PBKDF = ['--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000'];

const cli = (...args: string[]): string => run([NODE, CLI, ...args]);
/** Slow md resync down while a test runs (TCG: a resync of the rebuilt arrays would eat the CPU). */
function throttleResync(td: Teardown): void {
  run(['modprobe', 'raid1']); // /proc/sys/dev/raid appears with md_mod
  const f = (n: string): string => `/proc/sys/dev/raid/speed_limit_${n}`;
  const old = { min: readFileSync(f('min'), 'utf8'), max: readFileSync(f('max'), 'utf8') };
  writeFileSync(f('min'), '1');
  writeFileSync(f('max'), '1');
  td.add('restore md resync speed', () => {
    writeFileSync(f('max'), old.max);
    writeFileSync(f('min'), old.min);
  });
}

interface Layout {
  readonly tmp: string;
  readonly key: string;
  readonly manifest: string;
  readonly maps: string[];
}

function capture(tmp: string, originals: readonly string[], targets: readonly string[]): Layout {
  const key = `${tmp}/key`;
  writeFileSync(key, KEY, { mode: 0o600 });
  const manifest = `${tmp}/manifest.yaml`;
  writeFileSync(manifest, cli('capture', '--stdout', '--only', 'storage', '--host', 'g', ...originals.flatMap((d) => ['--disk', d])));
  return { tmp, key, manifest, maps: originals.flatMap((d, i) => ['--map', `${d}=${targets[i]}`]) };
}

/** Runs a rebuild to its end; on failure the error carries its stdout too (the verify differences are printed there). */
function rebuild(l: Layout, resume: boolean): string {
  const r = spawnSync(NODE, rebuildArgs(l, resume), { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`rebuild exited ${r.status}:\n${r.stdout.split('\n').slice(-40).join('\n')}\n${r.stderr}`);
  return r.stdout;
}

function rebuildArgs(l: Layout, resume: boolean): string[] {
  return [CLI, 'rebuild', l.manifest, '--stage', 'storage', ...l.maps, '--key-file', l.key, '--yes', '--state', `${l.tmp}/state`, '--target', `${l.tmp}/target`, ...(resume ? ['--resume'] : [])];
}

/**
 * Runs the rebuild in its own process group and SIGKILLs the whole group as soon as the
 * journal says `step` is done (the next step may already be running: that is the point).
 */
async function rebuildKilledAfter(l: Layout, step: string, resume: boolean): Promise<'killed' | 'finished'> {
  const journal = `${l.tmp}/state/journal.jsonl`;
  const child = spawn(NODE, rebuildArgs(l, resume), { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<string>((r) => child.on('exit', (code, signal) => r(signal ?? String(code))));
  let done = false;
  void exited.then(() => (done = true));
  for (;;) {
    if (done) {
      const code = await exited;
      if (code !== '0') throw new Error(`rebuild exited (${code}) before ${step} was done:\n${stderr}`);
      return 'finished';
    }
    const text = existsSync(journal) ? readFileSync(journal, 'utf8') : '';
    if (text.split('\n').some((line) => line.includes(`"step":${JSON.stringify(step)},"event":"done"`))) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await exited;
      return 'killed';
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('guest: LUKS2 ×2 → LVM (linear, striped over 2 PVs, thin pool + thin) → ext4/xfs/btrfs: capture → rebuild on blank disks → identical', { skip, timeout: TIMEOUT }, async (t) => {
  const steps = new Steps();
  const orig = [diskBySerial('E2E0'), diskBySerial('E2E2')];
  const target = [diskBySerial('E2E1'), diskBySerial('E2E3')];
  const tmp = mkdtempSync('/tmp/e2e-stack-a-');
  const td = new Teardown();
  td.add('remove temp dir', () => rmSync(tmp, { recursive: true, force: true }));
  td.add('wipe disks', () => wipeDisks([...orig, ...target]));
  try {
    wipeDisks([...orig, ...target]);
    const key = `${tmp}/key`;
    writeFileSync(key, KEY, { mode: 0o600 });
    const luks = (dev: string, uuid: string, label: string, name: string): void => {
      run(['cryptsetup', 'luksFormat', '--batch-mode', '--type', 'luks2', ...PBKDF, '--hash', 'sha256', '--cipher', 'aes-xts-plain64', '--key-size', '512',
        '--sector-size', '4096', '--label', label, '--uuid', uuid, '--key-file', key, dev]);
      run(['cryptsetup', 'open', '--key-file', key, ...(name === 'e2ea0' ? ['--allow-discards', '--persistent'] : []), dev, name]);
    };
    luks(orig[0]!, '0e2e0a00-0000-4000-8000-000000000001', 'e2e-a0', 'e2ea0');
    luks(orig[1]!, '0e2e0a00-0000-4000-8000-000000000002', 'e2e-a1', 'e2ea1');
    const pv = ['/dev/mapper/e2ea0', '/dev/mapper/e2ea1'];
    run(['pvcreate', '-q', pv[0]!]);
    run(['pvcreate', '-q', '--metadatasize', '2m', '--pvmetadatacopies', '2', pv[1]!]);
    run(['vgcreate', '-q', '--physicalextentsize', '8m', '--addtag', 'e2e', 'vga', ...pv]);
    run(['lvcreate', '-q', '-y', '-n', 'lin', '-L', '200m', '--addtag', 'os', 'vga', pv[0]!]);
    run(['lvcreate', '-q', '-y', '-n', 'str', '-i', '2', '-I', '64k', '-L', '320m', 'vga']);
    run(['lvcreate', '-q', '-y', '--type', 'thin-pool', '-n', 'pool', '-L', '256m', '--chunksize', '128k', '--poolmetadatasize', '8m', '--zero', 'n', 'vga']);
    run(['lvcreate', '-q', '-y', '--type', 'thin', '-n', 'thin', '-V', '400m', '--thinpool', 'vga/pool', 'vga']);
    run(['mkfs.ext4', '-q', '-L', 'a-ext4', '-U', '0e2e0a00-0000-4000-8000-0000000000e4', '/dev/vga/lin']);
    run(['mkfs.xfs', '-q', '-f', '-K', '-L', 'a-xfs', '-m', 'uuid=0e2e0a00-0000-4000-8000-0000000000f5', '/dev/vga/str']);
    run(['mkfs.btrfs', '-q', '-f', '-L', 'a-btrfs', '-U', '0e2e0a00-0000-4000-8000-0000000000b7', '/dev/vga/thin']);
    run(['udevadm', 'settle']);
    steps.mark('build original');

    const fsDevs = ['/dev/mapper/vga-lin', '/dev/mapper/vga-str', '/dev/mapper/vga-thin'];
    const view = () => ({ luks: orig.map((_, i) => luks2View(i === 0 ? target[0]! : target[1]!)), lvm: lvmView('vga'), fs: fsDevs.map(blkidView) });
    const before = { luks: orig.map(luks2View), lvm: lvmView('vga'), fs: fsDevs.map(blkidView) };
    const l = capture(tmp, orig, target);
    steps.mark('capture');
    // With the originals still attached, every identity the rebuild would create again is
    // already there (LUKS, PV, VG/LV, filesystem UUIDs): the plan is refused before any write.
    const planArgv = [NODE, CLI, 'plan', l.manifest, ...l.maps, '--json', '--target', `${tmp}/target`];
    assert.throws(() => json(planArgv), (e: unknown) => /refusing to rebuild; nothing was written:[\s\S]*LUKS UUID 0e2e0a00-0000-4000-8000-000000000001 is already on \/dev\/vda[\s\S]*Detach \/dev\/vda/.test(String((e as { stderr?: string }).stderr)));

    // teardown, then the originals are wiped: nothing with the same UUIDs may stay visible
    run(['vgchange', '-q', '-an', 'vga']);
    run(['cryptsetup', 'close', 'e2ea0']);
    run(['cryptsetup', 'close', 'e2ea1']);
    wipeDisks(orig);
    steps.mark('teardown');
    const plan = json<{ steps: { id: string }[] }>(planArgv);
    t.diagnostic(`plan: ${plan.steps.map((s) => s.id).join(' ')}`);

    const t0 = performance.now();
    const out = rebuild(l, false);
    steps.mark('rebuild');
    t.diagnostic(`rebuild ${((performance.now() - t0) / 1000).toFixed(1)}s: ${out.trim().split('\n').slice(-1)[0]}`);
    assert.match(out, /verify: the disks match the manifest/);
    td.add('close rebuilt stack', () => {
      if (existsSync('/dev/mapper/vga-lin')) run(['vgchange', '-q', '-an', 'vga']);
      for (const n of ['e2ea0', 'e2ea1']) if (existsSync(`/dev/mapper/${n}`)) run(['cryptsetup', 'close', n]);
    });

    const after = view();
    assert.deepEqual(after.luks, before.luks, 'luksDump JSON (minus salts/digests) and blkid header fields');
    assert.deepEqual(after.lvm, before.lvm, 'LVM reports: VG/PV/LV uuids, sizes, segments, stripes, thin pool');
    assert.deepEqual(after.fs, before.fs, 'blkid -p of the filesystems');
    assert.match(cli('verify', l.manifest, ...l.maps), /the disks match the manifest/);
    // the rebuilt containers open with the key the originals had
    run(['cryptsetup', 'open', '--test-passphrase', '--key-file', key, target[1]!]);
    steps.mark('compare+verify');

    run(['vgchange', '-q', '-an', 'vga']);
    run(['cryptsetup', 'close', 'e2ea0']);
    run(['cryptsetup', 'close', 'e2ea1']);
    assert.deepEqual(target.map(holders), [[], []]);
  } finally {
    td.run();
    steps.mark('cleanup');
    t.diagnostic(`steps: ${steps}`);
  }
});

test('guest: GPT → md RAID1 ×2 → LUKS1 → ext4, and xfs: rebuild killed after the md, LUKS and mkfs steps in turn and resumed ends identical', { skip, timeout: TIMEOUT }, async (t) => {
  const steps = new Steps();
  const orig = [diskBySerial('E2E4'), diskBySerial('E2E5')];
  const target = [diskBySerial('E2E2'), diskBySerial('E2E3')];
  const tmp = mkdtempSync('/tmp/e2e-stack-b-');
  const td = new Teardown();
  td.add('remove temp dir', () => rmSync(tmp, { recursive: true, force: true }));
  td.add('wipe disks', () => wipeDisks([...orig, ...target]));
  try {
    throttleResync(td);
    wipeDisks([...orig, ...target]);
    const key = `${tmp}/key`;
    writeFileSync(key, KEY, { mode: 0o600 });
    for (const d of orig) {
      run(['sfdisk', '-q', d], 'label: gpt\nsize=400MiB, type=A19D880F-05FC-4D3B-A006-743F0F84911E, name=data\nsize=+, type=A19D880F-05FC-4D3B-A006-743F0F84911E, name=fast\n');
    }
    run(['udevadm', 'settle']);
    const p = partitionPath; // nvme0n1 → nvme0n1p1, sda → sda1
    run(['mdadm', '--create', '/dev/md/e2edata', '--run', '--assume-clean', '--level=1', '--raid-devices=2', '--metadata=1.2', '--bitmap=internal',
      '--homehost=e2e', '--name=e2edata', '--uuid=0e2e0b00:00004000:80000000:00000001', p(orig[0]!, 1), p(orig[1]!, 1)]);
    run(['mdadm', '--create', '/dev/md/e2efast', '--run', '--assume-clean', '--level=1', '--raid-devices=2', '--metadata=1.0', '--bitmap=none',
      '--homehost=e2e', '--name=e2efast', '--uuid=0e2e0b00:00004000:80000000:00000002', p(orig[0]!, 2), p(orig[1]!, 2)]);
    run(['udevadm', 'settle']);
    run(['cryptsetup', 'luksFormat', '--batch-mode', '--type', 'luks1', ...PBKDF, '--hash', 'sha512', '--cipher', 'aes-cbc-essiv:sha256', '--key-size', '256',
      '--uuid', '0e2e0b00-0000-4000-8000-000000000001', '--key-file', key, '/dev/md/e2edata']);
    run(['cryptsetup', 'open', '--key-file', key, '/dev/md/e2edata', 'e2eb']);
    run(['mkfs.ext4', '-q', '-L', 'b-ext4', '-U', '0e2e0b00-0000-4000-8000-0000000000e4', '/dev/mapper/e2eb']);
    run(['mkfs.xfs', '-q', '-f', '-K', '-L', 'b-xfs', '-m', 'uuid=0e2e0b00-0000-4000-8000-0000000000f5', '/dev/md/e2efast']);
    run(['udevadm', 'settle']);
    steps.mark('build original');

    const view = (disks: readonly string[]) => ({
      tables: disks.map(tableView),
      md: ['/dev/md/e2edata', '/dev/md/e2efast'].map(mdView),
      luks: luks1View('/dev/md/e2edata'),
      fs: ['/dev/mapper/e2eb', '/dev/md/e2efast'].map(blkidView),
    });
    const before = view(orig);
    const l = capture(tmp, orig, target);
    steps.mark('capture');

    run(['cryptsetup', 'close', 'e2eb']);
    run(['mdadm', '--stop', '/dev/md/e2edata']);
    run(['mdadm', '--stop', '/dev/md/e2efast']);
    wipeDisks(orig);
    steps.mark('teardown');

    const planned = json<{ steps: { id: string }[] }>([NODE, CLI, 'plan', l.manifest, ...l.maps, '--json', '--target', `${tmp}/target`]).steps.map((s) => s.id);
    t.diagnostic(`plan: ${planned.join(' ')}`);
    assert.ok(planned.length >= 8, `plan has the tables, arrays, LUKS and filesystems: ${planned.join(' ')}`);
    td.add('close rebuilt stack', () => {
      if (existsSync('/dev/mapper/e2eb')) run(['cryptsetup', 'close', 'e2eb']);
      // After the body's own --stop, udev removes the /dev/md/ link a moment later: a link that
      // is gone by the time mdadm fails was an array already stopped, not a failure.
      for (const m of ['/dev/md/e2edata', '/dev/md/e2efast']) {
        if (!existsSync(m)) continue;
        try {
          run(['mdadm', '--stop', m]);
        } catch (e) {
          if (existsSync(m)) throw e;
        }
      }
    });
    // Partition tables are interrupted step by step on loop devices (test/integration); here
    // the kills go where only the guest can: after creating an array, formatting and opening
    // LUKS, and making a filesystem on the stack. Every CLI start costs seconds under TCG.
    const killAt = [
      planned.find((id) => id.startsWith('dev:md-')),
      planned.find((id) => id.startsWith('luksFormat:') || id.startsWith('luks-format:') || id.startsWith('luks:')),
      planned.find((id) => id.startsWith('dev:luks-')),
      planned.find((id) => id.startsWith('mkfs:')),
    ].filter((id): id is string => id !== undefined);
    assert.equal(killAt.length, 4, `kill points found in ${planned.join(' ')}`);
    const outcomes: string[] = [];
    for (const [k, id] of killAt.entries()) outcomes.push(`${id}:${await rebuildKilledAfter(l, id, k > 0)}`);
    const out = rebuild(l, true);
    steps.mark(`rebuild with ${killAt.length} kills`);
    t.diagnostic(`kills: ${outcomes.join(' ')}`);
    assert.deepEqual(outcomes, killAt.map((id) => `${id}:killed`), 'each chosen step was interrupted in turn');
    assert.match(out, /verify: the disks match the manifest/);
    assert.equal(existsSync(`${tmp}/state/journal.jsonl`), false, 'a verified rebuild clears its journal');

    assert.deepEqual(view(target), before, 'sfdisk --json, mdadm --detail, luksDump (LUKS1 header) and blkid -p');
    assert.match(cli('verify', l.manifest, ...l.maps), /the disks match the manifest/);
    run(['cryptsetup', 'open', '--test-passphrase', '--key-file', key, '/dev/md/e2edata']);
    steps.mark('compare+verify');

    run(['cryptsetup', 'close', 'e2eb']);
    run(['mdadm', '--stop', '/dev/md/e2edata']);
    run(['mdadm', '--stop', '/dev/md/e2efast']);
  } finally {
    td.run();
    steps.mark('cleanup');
    t.diagnostic(`steps: ${steps}`);
  }
});
