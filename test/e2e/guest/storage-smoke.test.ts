// Guest-side smoke test: proves the test guest really has device-mapper (dm-crypt, LVM
// linear and thin) and md RAID working, through the tools' own JSON/export reports.
// Runs only inside the qemu test guest (test/e2e/vm.test.ts); skips loudly elsewhere.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { diskBySerial, guestUnavailable, holders, parseExport, run, Steps, Teardown, wipeDisks } from './lib.ts';

const skip = guestUnavailable();
const TIMEOUT = 300_000;

test('guest: the harness attached the E2E disks with their serials, sizes and buses', { skip }, () => {
  // vm.test.ts passes the disk table it asked qemu for: E2E0=bytes:bus,E2E1=bytes:bus,...
  const expected = (process.env.SYSMANIFEST_E2E_DISKS ?? '').split(',').filter(Boolean);
  assert.ok(expected.length > 0, 'SYSMANIFEST_E2E_DISKS not set by the host side');
  const kernelPrefix: Record<string, string> = { virtio: 'vd', nvme: 'nvme', scsi: 'sd', sata: 'sd' };
  const seen = new Set<string>();
  for (const entry of expected) {
    const [serial, spec] = entry.split('=');
    const [bytes, bus] = spec!.split(':');
    const dev = diskBySerial(serial!);
    const kname = dev.slice(5);
    seen.add(dev);
    const sectors = Number(readFileSync(`/sys/block/${kname}/size`, 'utf8'));
    assert.equal(sectors * 512, Number(bytes), `${serial} (${dev}) size`);
    assert.ok(kname.startsWith(kernelPrefix[bus!]!), `${serial} on ${bus} is ${dev}`);
    if (bus === 'sata' || bus === 'scsi') {
      // libata reports vendor "ATA"; virtio-scsi's scsi-hd reports "QEMU"
      const vendor = readFileSync(`/sys/block/${kname}/device/vendor`, 'utf8').trim();
      assert.equal(vendor, bus === 'sata' ? 'ATA' : 'QEMU', `${serial} vendor`);
    }
  }
  assert.equal(seen.size, expected.length, 'each serial is a distinct disk');
});

test('guest: LUKS2 -> LVM (linear, thin pool, thin LV) -> ext4', { skip, timeout: TIMEOUT }, (t) => {
  const steps = new Steps();
  const disk = diskBySerial('E2E0');
  const tmp = mkdtempSync('/tmp/e2e-luks-');
  const td = new Teardown();
  td.add('remove temp dir', () => rmSync(tmp, { recursive: true, force: true }));
  td.add('wipe disk', () => wipeDisks([disk]));
  try {
    wipeDisks([disk]);
    steps.mark('wipe');
    const key = `${tmp}/key`;
    writeFileSync(key, 'e2e-not-a-secret', { mode: 0o600 });

    run(['cryptsetup', 'luksFormat', '-q', '--type', 'luks2', '--pbkdf', 'pbkdf2',
      '--pbkdf-force-iterations', '1000', '--hash', 'sha256', '--cipher', 'aes-xts-plain64',
      '--key-size', '512', '--sector-size', '4096', '--label', 'e2e-luks',
      '--uuid', '0e2e0000-0000-4000-8000-000000000001', '--key-file', key, disk]);
    steps.mark('luksFormat');
    const meta = JSON.parse(run(['cryptsetup', 'luksDump', '--dump-json-metadata', disk])) as {
      keyslots: Record<string, { type: string; key_size: number; kdf: { type: string; hash: string; iterations: number } }>;
      segments: Record<string, { type: string; encryption: string; sector_size: number; size: string }>;
    };
    assert.deepEqual(Object.keys(meta.keyslots), ['0']);
    assert.equal(meta.keyslots['0']!.type, 'luks2');
    assert.equal(meta.keyslots['0']!.key_size, 64);
    assert.deepEqual(
      { type: meta.keyslots['0']!.kdf.type, hash: meta.keyslots['0']!.kdf.hash, iterations: meta.keyslots['0']!.kdf.iterations },
      { type: 'pbkdf2', hash: 'sha256', iterations: 1000 },
    );
    assert.deepEqual(
      { type: meta.segments['0']!.type, encryption: meta.segments['0']!.encryption, sector_size: meta.segments['0']!.sector_size, size: meta.segments['0']!.size },
      { type: 'crypt', encryption: 'aes-xts-plain64', sector_size: 4096, size: 'dynamic' },
    );
    assert.equal(run(['cryptsetup', 'luksUUID', disk]).trim(), '0e2e0000-0000-4000-8000-000000000001');

    run(['cryptsetup', 'open', '--key-file', key, disk, 'e2e-crypt']);
    steps.mark('luksOpen');
    td.add('close LUKS', () => existsSync('/dev/mapper/e2e-crypt') && run(['cryptsetup', 'close', 'e2e-crypt']));
    // the kernel's view: a dm-crypt target over the disk
    const table = run(['dmsetup', 'table', 'e2e-crypt']).trim().split(' ');
    assert.equal(table[2], 'crypt');
    assert.equal(table[3], 'aes-xts-plain64');
    const held = holders(disk);
    assert.equal(held.length, 1, `one holder on ${disk}: ${held.join(',')}`);
    assert.equal(readFileSync(`/sys/block/${held[0]}/dm/name`, 'utf8').trim(), 'e2e-crypt');

    run(['pvcreate', '-q', '/dev/mapper/e2e-crypt']);
    run(['vgcreate', '-q', 'e2evg', '/dev/mapper/e2e-crypt']);
    steps.mark('pv+vgcreate');
    // guarded: the VG can only be active while its PV (the LUKS mapping) is open
    td.add('deactivate VG', () => existsSync('/dev/mapper/e2e-crypt') && run(['vgchange', '-q', '-an', 'e2evg']));
    run(['lvcreate', '-q', '-y', '-L', '200M', '-n', 'lin', 'e2evg']);
    run(['lvcreate', '-q', '-y', '--type', 'thin-pool', '-L', '400M', '-n', 'pool', 'e2evg']);
    run(['lvcreate', '-q', '-y', '--type', 'thin', '-V', '300M', '-n', 'thin', '--thinpool', 'pool', 'e2evg']);
    steps.mark('lvcreate x3');

    const lvs = JSON.parse(run(['lvs', '--reportformat', 'json', '--units', 'b', '--nosuffix',
      '-o', 'lv_name,segtype,lv_size,pool_lv,lv_active', 'e2evg'])) as { report: { lv: Record<string, string>[] }[] };
    const rows = lvs.report[0]!.lv.map((r) => ({ ...r })).sort((a, b) => a.lv_name!.localeCompare(b.lv_name!));
    assert.deepEqual(rows, [
      { lv_name: 'lin', segtype: 'linear', lv_size: '209715200', pool_lv: '', lv_active: 'active' },
      { lv_name: 'pool', segtype: 'thin-pool', lv_size: '419430400', pool_lv: '', lv_active: 'active' },
      { lv_name: 'thin', segtype: 'thin', lv_size: '314572800', pool_lv: 'pool', lv_active: 'active' },
    ]);
    const vgs = JSON.parse(run(['vgs', '--reportformat', 'json', '-o', 'vg_name,pv_count,lv_count', 'e2evg'])) as {
      report: { vg: Record<string, string>[] }[];
    };
    assert.deepEqual(vgs.report[0]!.vg, [{ vg_name: 'e2evg', pv_count: '1', lv_count: '3' }]);
    // the thin target itself: 300 MiB = 614400 sectors
    assert.match(run(['dmsetup', 'table', 'e2evg-thin']), /^0 614400 thin \d+:\d+ 1\n$/);

    run(['mkfs.ext4', '-q', '-E', 'nodiscard', '-L', 'e2ethin', '-U', '0e2e0000-0000-4000-8000-0000000000e4', '/dev/e2evg/thin']);
    steps.mark('mkfs.ext4');
    const blk = parseExport(run(['blkid', '-p', '-o', 'export', '/dev/e2evg/thin']));
    assert.deepEqual(
      { TYPE: blk.TYPE, LABEL: blk.LABEL, UUID: blk.UUID },
      { TYPE: 'ext4', LABEL: 'e2ethin', UUID: '0e2e0000-0000-4000-8000-0000000000e4' },
    );
    const mnt = `${tmp}/mnt`;
    run(['mkdir', mnt]);
    run(['mount', '/dev/e2evg/thin', mnt]);
    writeFileSync(`${mnt}/hello`, 'thin and encrypted\n');
    run(['umount', mnt]);
    run(['mount', '-o', 'ro', '/dev/e2evg/thin', mnt]);
    assert.equal(readFileSync(`${mnt}/hello`, 'utf8'), 'thin and encrypted\n');
    run(['umount', mnt]);

    // explicit teardown, asserted: nothing may hold the disk afterwards
    run(['vgchange', '-q', '-an', 'e2evg']);
    run(['cryptsetup', 'close', 'e2e-crypt']);
    steps.mark('mount+teardown');
    assert.deepEqual(holders(disk), []);
  } finally {
    td.run();
    steps.mark('cleanup');
    t.diagnostic(`steps: ${steps}`);
  }
});

test('guest: md RAID1 (metadata 1.2) -> xfs', { skip, timeout: TIMEOUT }, (t) => {
  const steps = new Steps();
  const members = [diskBySerial('E2E1'), diskBySerial('E2E2')];
  const md = '/dev/md100';
  const tmp = mkdtempSync('/tmp/e2e-md-');
  const td = new Teardown();
  td.add('remove temp dir', () => rmSync(tmp, { recursive: true, force: true }));
  td.add('wipe disks', () => wipeDisks(members));
  try {
    wipeDisks(members);
    steps.mark('wipe');
    run(['mdadm', '--create', md, '--run', '--level=1', '--raid-devices=2', '--metadata=1.2',
      '--assume-clean', '--homehost=e2e', '--name=r1', '--uuid=0e2e0000:00004000:80000000:00000d01',
      ...members]);
    steps.mark('mdadm --create');
    td.add('stop md', () => existsSync('/sys/block/md100') && run(['mdadm', '--stop', md]));
    const d = parseExport(run(['mdadm', '--detail', '--export', md]));
    assert.deepEqual(
      { level: d.MD_LEVEL, devices: d.MD_DEVICES, metadata: d.MD_METADATA, name: d.MD_NAME, uuid: d.MD_UUID },
      { level: 'raid1', devices: '2', metadata: '1.2', name: 'e2e:r1', uuid: '0e2e0000:00004000:80000000:00000d01' },
    );
    const roles = Object.fromEntries(members.map((m) => [m, d[`MD_DEVICE_dev_${m.slice(5)}_ROLE`]]));
    assert.deepEqual(roles, { [members[0]!]: '0', [members[1]!]: '1' });
    assert.match(readFileSync('/proc/mdstat', 'utf8'), /^md100 : active raid1 /m);
    assert.equal(readFileSync('/sys/block/md100/md/sync_action', 'utf8').trim(), 'idle', '--assume-clean: no resync');

    run(['mkfs.xfs', '-q', '-f', '-K', '-L', 'e2exfs', '-m', 'uuid=0e2e0000-0000-4000-8000-0000000000f5', md]);
    steps.mark('mkfs.xfs');
    const blk = parseExport(run(['blkid', '-p', '-o', 'export', md]));
    assert.deepEqual(
      { TYPE: blk.TYPE, LABEL: blk.LABEL, UUID: blk.UUID },
      { TYPE: 'xfs', LABEL: 'e2exfs', UUID: '0e2e0000-0000-4000-8000-0000000000f5' },
    );
    const mnt = `${tmp}/mnt`;
    run(['mkdir', mnt]);
    run(['mount', md, mnt]);
    writeFileSync(`${mnt}/hello`, 'mirrored\n');
    run(['umount', mnt]);

    run(['mdadm', '--stop', md]);
    run(['mdadm', '--zero-superblock', ...members]);
    run(['udevadm', 'settle']);
    steps.mark('mount+stop');
    assert.doesNotMatch(readFileSync('/proc/mdstat', 'utf8'), /^md\d+ :/m, 'no array left running');
    assert.deepEqual(members.map(holders), [[], []]);
  } finally {
    td.run();
    steps.mark('cleanup');
    t.diagnostic(`steps: ${steps}`);
  }
});
