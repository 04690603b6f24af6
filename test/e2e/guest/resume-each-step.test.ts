// Power cut after every step, in the guest: a GPT disk with /boot (ext4) and LUKS2 → LVM
// (linear root ext4, swap, thin pool + thin xfs), mounted under --target per its fstab, is
// rebuilt so that the run "dies" right after the command of step 1 ran — before the journal
// heard of it — then resumed and "dies" right after step 2, and so on through the last step;
// a final resume finishes. Every crashed step must be recognised by its check (not run a
// second time) or be one that may run again; the end result is compared with the original by
// the tools' own views and by verify.
//
// In-process through the rebuild service (each CLI start costs seconds under TCG), with a
// runner that throws right after the chosen step's command returned (test/lib/crash.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import type { Manifest } from '../../../src/core/manifest/types.gen.ts';
import { readJournal } from '../../../src/core/plan/journal.ts';
import type { Step } from '../../../src/core/plan/types.ts';
import { hostMutatingRunner } from '../../../src/core/runner/exec.ts';
import { crashingRunner } from '../../lib/crash.ts';
import { rebuildStorage, type RebuildIO, type RebuildOptions } from '../../../src/services/rebuild/rebuild.ts';
import { diskBySerial, guestUnavailable, holders, run, Steps, Teardown, wipeDisks } from './lib.ts';
import { blkidView, luks2View, lvmView, tableView } from './views.ts';

const skip = guestUnavailable();
const KEY = 'e2e-not-a-secret';
const PBKDF = ['--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000'];

test('guest: rebuild cut off right after each step in turn (journal not told), resumed each time: ends identical, no step done twice', { skip, timeout: 1_200_000 }, async (t) => {
  const steps = new Steps();
  const orig = diskBySerial('E2E0');
  const target = diskBySerial('E2E1');
  const tmp = mkdtempSync('/tmp/e2e-resume-');
  const td = new Teardown();
  td.add('remove temp dir', () => rmSync(tmp, { recursive: true, force: true }));
  td.add('wipe disks', () => wipeDisks([orig, target]));
  try {
    wipeDisks([orig, target]);
    const key = `${tmp}/key`;
    writeFileSync(key, KEY, { mode: 0o600 });
    run(['sfdisk', '-q', orig], 'label: gpt\nsize=128M, type=L, name=boot\ntype=L, name=crypt\n');
    run(['udevadm', 'settle']);
    run(['mkfs.ext4', '-q', '-F', '-L', 'r-boot', '-U', '0e2e0b00-0000-4000-8000-0000000000b0', `${orig}1`]);
    run(['cryptsetup', 'luksFormat', '--batch-mode', '--type', 'luks2', ...PBKDF, '--label', 'r-crypt', '--uuid', '0e2e0b00-0000-4000-8000-000000000001', '--key-file', key, `${orig}2`]);
    run(['cryptsetup', 'open', '--key-file', key, `${orig}2`, 'e2er']);
    run(['pvcreate', '-q', '/dev/mapper/e2er']);
    run(['vgcreate', '-q', '--physicalextentsize', '4m', 'vgr', '/dev/mapper/e2er']);
    run(['lvcreate', '-q', '-y', '-n', 'root', '-L', '160m', 'vgr']);
    run(['lvcreate', '-q', '-y', '-n', 'swap', '-L', '32m', 'vgr']);
    run(['lvcreate', '-q', '-y', '--type', 'thin-pool', '-n', 'pool', '-L', '320m', '--chunksize', '64k', 'vgr']);
    run(['lvcreate', '-q', '-y', '--type', 'thin', '-n', 'data', '-V', '400m', '--thinpool', 'vgr/pool', 'vgr']);
    run(['mkfs.ext4', '-q', '-L', 'r-root', '-U', '0e2e0b00-0000-4000-8000-0000000000e4', '/dev/vgr/root']);
    run(['mkswap', '-L', 'r-swap', '-U', '0e2e0b00-0000-4000-8000-00000000005a', '/dev/vgr/swap']);
    run(['mkfs.xfs', '-q', '-f', '-L', 'r-data', '-m', 'uuid=0e2e0b00-0000-4000-8000-0000000000f5', '/dev/vgr/data']);
    run(['udevadm', 'settle']);
    const fsDevs = ['/dev/mapper/vgr-root', '/dev/mapper/vgr-swap', '/dev/mapper/vgr-data'];
    // PART_ENTRY_DISK is the disk's major:minor: another disk, another number.
    const partView = (dev: string): Record<string, string> => {
      const b = blkidView(dev);
      delete b.PART_ENTRY_DISK;
      return b;
    };
    const before = { table: tableView(orig), boot: partView(`${orig}1`), luks: luks2View(`${orig}2`), lvm: lvmView('vgr'), fs: fsDevs.map(blkidView) };
    steps.mark('build original');

    // The manifest, with the fstab of the machine it would have come from (this guest's own
    // fstab names none of these devices).
    const manifestFile = `${tmp}/manifest.yaml`;
    const cap = spawnSync(process.execPath, ['bin/sysmanifest.js', 'capture', '--stdout', '--only', 'storage', '--host', 'r', '--disk', orig], { encoding: 'utf8' });
    assert.equal(cap.status, 0, cap.stderr);
    const m = parse(cap.stdout) as Manifest;
    const byUuid = (uuid: string): string => m.storage!.filesystems!.find((f) => f.uuid === uuid)!.on;
    (m as { mounts: Manifest['mounts'] }).mounts = {
      fstab: [
        { spec: 'UUID=0e2e0b00-0000-4000-8000-0000000000e4', device: byUuid('0e2e0b00-0000-4000-8000-0000000000e4'), file: '/', vfstype: 'ext4', options: 'errors=remount-ro', freq: 0, passno: 1 },
        { spec: 'UUID=0e2e0b00-0000-4000-8000-0000000000b0', device: byUuid('0e2e0b00-0000-4000-8000-0000000000b0'), file: '/boot', vfstype: 'ext4', options: 'defaults', freq: 0, passno: 2 },
        { spec: '/dev/vgr/data', device: byUuid('0e2e0b00-0000-4000-8000-0000000000f5'), file: '/srv/data', vfstype: 'xfs', options: 'noatime', freq: 0, passno: 2 },
      ],
      crypttab: [],
    };
    writeFileSync(manifestFile, stringify(m));
    run(['vgchange', '-q', '-an', 'vgr']);
    run(['cryptsetup', 'close', 'e2er']);
    wipeDisks([orig]);
    steps.mark('capture, teardown');

    const mnt = `${tmp}/target`;
    td.add('release the rebuilt stack', () => wipeDisks([target]));
    const o: RebuildOptions = { maps: [{ src: 'disk0', dev: target }], wipe: [], target: mnt, stateDir: `${tmp}/state`, resume: false, stages: ['storage'], mirrors: [], cacheDir: '/var/cache/sysmanifest/apt', strict: false };
    const io: RebuildIO = { confirm: async () => true, passphrase: async () => KEY };
    const journal = `${tmp}/state/journal.jsonl`;

    // The plan the first run saves is the plan every resume follows.
    let plan: readonly Step[] | undefined;
    const outcome: string[] = [];
    for (let k = 0; plan === undefined || k < plan.length; k++) {
      const argv = plan ? plan[k]!.argv : undefined;
      // The first run crashes after its first step; its plan is read back from the state dir.
      const same = (a: readonly string[]): boolean => JSON.stringify(a) === JSON.stringify(argv);
      const runner = crashingRunner((a, n) => ((argv ? same(a) : n === 1) ? 'after' : undefined));
      await assert.rejects(rebuildStorage(runner, manifestFile, { ...o, resume: k > 0 }, io), /injected crash after mutation/, `step ${k + 1}`);
      plan ??= (JSON.parse(readFileSync(`${tmp}/state/plan.json`, 'utf8')) as { steps: Step[] }).steps;
      if (k > 0) outcome.push(resolution(await readJournal(journal), plan[k - 1]!));
    }
    const last = plan[plan.length - 1]!;
    const done = await rebuildStorage(hostMutatingRunner(), manifestFile, { ...o, resume: true }, io);
    steps.mark(`${plan.length} cut-offs, ${plan.length} resumes`);
    assert.deepEqual(done.differences, [], 'verify after the last resume');
    assert.equal(done.ran, last.check ? 0 : 1, `after the cut-off after the last step (${last.id}) only it may run again`);
    outcome.push(`${last.id}:${last.check ? 'checked' : 'ran again'}`);
    t.diagnostic(`steps: ${outcome.join(' ')}`);
    // A step with a check is recognised as done, never run twice.
    for (const [i, s] of plan.entries()) if (s.check) assert.equal(outcome[i], `${s.id}:checked`, `${s.id} has a check`);

    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((p) => p?.startsWith(mnt));
    assert.deepEqual(mounts, [mnt, `${mnt}/boot`, `${mnt}/srv/data`], 'each fstab entry mounted once, in order');
    run(['umount', '-R', mnt]); // the original's LVs were not open either (lv_attr)
    const after = { table: tableView(target), boot: partView(`${target}1`), luks: luks2View(`${target}2`), lvm: lvmView('vgr'), fs: fsDevs.map(blkidView) };
    assert.deepEqual(after, before, 'sfdisk --json, blkid -p, luksDump, LVM reports');
    run(['cryptsetup', 'open', '--test-passphrase', '--key-file', key, `${target}2`]);
    steps.mark('compare');
    assert.deepEqual(holders(orig), []);
  } finally {
    td.run();
    steps.mark('cleanup');
    t.diagnostic(`times: ${steps}`);
  }

  /** What the resume did with the step cut off before it: "checked", or "ran again". */
  function resolution(entries: Awaited<ReturnType<typeof readJournal>>, s: Step): string {
    const events = entries.filter((e) => e.step === s.id).map((e) => e.event);
    if (events.join(',') === 'start,failed,checked') return `${s.id}:checked`;
    if (events.join(',') === 'start,failed,start,done') return `${s.id}:ran again`;
    throw new Error(`${s.id}: unexpected journal events ${events.join(',')}`);
  }
});
