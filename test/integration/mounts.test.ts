// The mounts provider on a real disk: an fstab and a crypttab written into a temp dir
// (the provider takes their paths, as the capture service does for --root) refer to the
// loop device's filesystems by UUID, LABEL, PARTUUID, PARTLABEL, /dev/disk/by-uuid and
// kernel name. Each entry must be tied to the id of the device that blkid -p (run here,
// independently) says carries that tag; pseudo, network and out-of-capture entries to none.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateSchema } from '../../src/core/manifest/validate.ts';
import { hostReadOnlyRunner } from '../../src/core/runner/exec.ts';
import type { ReadOnlyRunner } from '../../src/core/runner/types.ts';
import { selectDisks } from '../../src/providers/storage/disks/index.ts';
import { assignIds } from '../../src/providers/storage/ids.ts';
import { gatherInventory, stackAbove } from '../../src/providers/storage/inventory/gather.ts';
import { parseBlkidExport } from '../../src/providers/storage/inventory/parse.ts';
import { createMountsProvider } from '../../src/providers/storage/mounts/index.ts';
import type { Inventory } from '../../src/providers/storage/types.ts';
import { integrationUnavailable, LoopLab, sh, type LoopDisk } from '../lib/loop.ts';

const MiB = 1024 * 1024;
const skip = integrationUnavailable();

const ROOT_UUID = '6a0c7f52-2d41-4b8e-9c3a-1f2e3d4c5b6a';
const SWAP_UUID = '7b1d8e63-3e52-4c9f-8d4b-2e3f4a5b6c7d';
const LUKS_UUID = '8c2e9f74-4f63-4da0-9e5c-3f4a5b6c7d8e';
const OTHER_UUID = '9d3fa085-5074-4eb1-8f6d-4a5b6c7d8e9f';
const PARTUUID = (n: number): string => `c0ffee00-0000-4000-8000-00000000000${n}`;
const SCRIPT = `label: gpt

start=2048, size=20480, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=${PARTUUID(1)}, name="root"
start=22528, size=8192, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, uuid=${PARTUUID(2)}, name="swap"
start=30720, size=16384, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=${PARTUUID(3)}, name="esp"
start=47104, size=32768, type=CA7D7CCB-63ED-4C53-861C-1742536059CC, uuid=${PARTUUID(4)}, name="secret"
start=79872, size=20480, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=${PARTUUID(5)}, name="data part"
`;

async function inventory(runner: ReadOnlyRunner): Promise<Inventory> {
  // Other tests' loop devices may vanish while the whole host is probed: try again then.
  for (let i = 0; ; i++) {
    try {
      return await gatherInventory(runner);
    } catch (e) {
      if (i >= 2) throw e;
    }
  }
}

function addPartitions(lab: LoopLab, disk: LoopDisk): void {
  lab.rescan(disk);
  for (let n = 1; n <= 5; n++) assert.ok(existsSync(`${disk.path}p${n}`), `${disk.path}p${n}`);
}

const blkid = (dev: string): Record<string, string> => parseBlkidExport(sh(['blkid', '-p', '-o', 'export', dev]));

test('mounts: fstab and crypttab specs resolve to the ids of the devices blkid finds them on', { skip }, async () => {
  const lab = new LoopLab('sysmanifest-mounts-');
  try {
    const disk = lab.disk(64 * MiB);
    sh(['sfdisk', '--no-reread', '--no-tell-kernel', disk.path], SCRIPT);
    addPartitions(lab, disk);
    const p = (n: number): string => `${disk.path}p${n}`;
    sh(['mkfs.ext4', '-q', '-U', ROOT_UUID, '-L', 'it root', p(1)]);
    sh(['mkswap', '-U', SWAP_UUID, '-L', 'swapit', p(2)]);
    sh(['mkfs.vfat', '-i', '1234ABCD', '-n', 'ESPIT', p(3)]);
    sh(['cryptsetup', 'luksFormat', '--type', 'luks2', '--uuid', LUKS_UUID, '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000', '--batch-mode', '--key-file', '-', p(4)], 'not-a-real-secret');
    sh(['mkfs.ext4', '-q', '-L', 'data', p(5)]);
    // A disk that exists but is not captured: entries on it get no id.
    const other = lab.disk(16 * MiB);
    sh(['mkfs.ext4', '-q', '-U', OTHER_UUID, other.path]);

    const etc = join(lab.dir, 'root', 'etc');
    mkdirSync(etc, { recursive: true });
    writeFileSync(
      join(etc, 'fstab'),
      [
        '# /etc/fstab written by the mounts integration test',
        `UUID=${ROOT_UUID} / ext4 errors=remount-ro 0 1`,
        'LABEL=it\\040root /alt\\040root ext4 defaults 0 2',
        `PARTUUID=${PARTUUID(3).toUpperCase()} /boot/efi vfat umask=0077 0 1`,
        'PARTLABEL=data\\040part /data ext4 noatime,nofail 0 2',
        `UUID=1234-ABCD /esp vfat noauto`,
        `${p(2)} none swap sw 0 0`,
        `/dev/disk/by-uuid/${ROOT_UUID} /again ext4 ro 0 0`,
        '',
        'tmpfs /tmp tmpfs mode=1777,nosuid 0 0',
        'proc /proc proc defaults 0 0',
        '/srv/a /mnt/b none bind 0 0',
        'nas:/export /mnt/nfs nfs4 _netdev 0 0',
        `UUID=${OTHER_UUID} /other ext4 defaults 0 2`,
        'UUID=00000000-0000-4000-8000-000000000000 /gone ext4 defaults 0 2',
      ].join('\n') + '\n',
    );
    writeFileSync(
      join(etc, 'crypttab'),
      [
        '# <target name> <source device> <key file> <options>',
        `cryptdata UUID=${LUKS_UUID} none luks,discard`,
        `cryptswap PARTUUID=${PARTUUID(2)} /dev/urandom swap,cipher=aes-xts-plain64,size=256`,
        `cryptkey ${p(4)} /etc/keys/data.key luks`,
        'plain /dev/disk/by-partlabel/secret',
      ].join('\n') + '\n',
    );

    const runner = hostReadOnlyRunner();
    const inv = await inventory(runner);
    const disks = selectDisks(inv, { include: [disk.kname] }).disks;
    const ids = assignIds(inv, disks);
    const scope = new Set(disks.flatMap((k) => stackAbove(inv, k)));
    const provider = createMountsProvider({ fstab: join(etc, 'fstab'), crypttab: join(etc, 'crypttab') });
    const mounts = (await provider.contribute({ runner, inventory: inv, ids, scope })).mounts!;

    // The ids the tags must resolve to, from blkid run here (not from the inventory).
    const idWith = (key: string, value: string): string => {
      const hits = [1, 2, 3, 4, 5].filter((n) => blkid(p(n))[key] === value);
      assert.equal(hits.length, 1, `${key}=${value} on exactly one partition`);
      return `disk0p${hits[0]}`;
    };
    assert.equal(idWith('UUID', ROOT_UUID), 'disk0p1');
    assert.equal(idWith('LABEL', 'it root'), 'disk0p1');
    assert.equal(idWith('PART_ENTRY_UUID', PARTUUID(3)), 'disk0p3');
    assert.equal(idWith('PART_ENTRY_NAME', 'data part'), 'disk0p5');
    assert.equal(idWith('UUID', '1234-ABCD'), 'disk0p3');
    assert.equal(idWith('UUID', LUKS_UUID), 'disk0p4');
    assert.equal(idWith('TYPE', 'crypto_LUKS'), 'disk0p4');
    assert.equal(idWith('PART_ENTRY_UUID', PARTUUID(2)), 'disk0p2');
    assert.equal(idWith('PART_ENTRY_NAME', 'secret'), 'disk0p4');
    assert.equal(blkid(other.path).UUID, OTHER_UUID);

    assert.deepEqual(mounts, {
      fstab: [
        { spec: `UUID=${ROOT_UUID}`, device: 'disk0p1', file: '/', vfstype: 'ext4', options: 'errors=remount-ro', freq: 0, passno: 1 },
        { spec: 'LABEL=it root', device: 'disk0p1', file: '/alt root', vfstype: 'ext4', options: 'defaults', freq: 0, passno: 2 },
        { spec: `PARTUUID=${PARTUUID(3).toUpperCase()}`, device: 'disk0p3', file: '/boot/efi', vfstype: 'vfat', options: 'umask=0077', freq: 0, passno: 1 },
        { spec: 'PARTLABEL=data part', device: 'disk0p5', file: '/data', vfstype: 'ext4', options: 'noatime,nofail', freq: 0, passno: 2 },
        { spec: 'UUID=1234-ABCD', device: 'disk0p3', file: '/esp', vfstype: 'vfat', options: 'noauto', freq: 0, passno: 0 },
        { spec: p(2), device: 'disk0p2', file: 'none', vfstype: 'swap', options: 'sw', freq: 0, passno: 0 },
        { spec: `/dev/disk/by-uuid/${ROOT_UUID}`, device: 'disk0p1', file: '/again', vfstype: 'ext4', options: 'ro', freq: 0, passno: 0 },
        { spec: 'tmpfs', file: '/tmp', vfstype: 'tmpfs', options: 'mode=1777,nosuid', freq: 0, passno: 0 },
        { spec: 'proc', file: '/proc', vfstype: 'proc', options: 'defaults', freq: 0, passno: 0 },
        { spec: '/srv/a', file: '/mnt/b', vfstype: 'none', options: 'bind', freq: 0, passno: 0 },
        { spec: 'nas:/export', file: '/mnt/nfs', vfstype: 'nfs4', options: '_netdev', freq: 0, passno: 0 },
        { spec: `UUID=${OTHER_UUID}`, file: '/other', vfstype: 'ext4', options: 'defaults', freq: 0, passno: 2 },
        { spec: 'UUID=00000000-0000-4000-8000-000000000000', file: '/gone', vfstype: 'ext4', options: 'defaults', freq: 0, passno: 2 },
      ],
      crypttab: [
        { name: 'cryptdata', spec: `UUID=${LUKS_UUID}`, device: 'disk0p4', keyfile: 'none', options: 'luks,discard' },
        { name: 'cryptswap', spec: `PARTUUID=${PARTUUID(2)}`, device: 'disk0p2', keyfile: '/dev/urandom', options: 'swap,cipher=aes-xts-plain64,size=256' },
        { name: 'cryptkey', spec: p(4), device: 'disk0p4', keyfile: '/etc/keys/data.key', options: 'luks' },
        { name: 'plain', spec: '/dev/disk/by-partlabel/secret', device: 'disk0p4' },
      ],
    });
    assert.deepEqual(validateSchema({ apiVersion: 'sysmanifest/v1', host: { hostname: 'it' }, mounts }), []);

    // No crypttab at the given path: no entries (not an error).
    const noCrypttab = createMountsProvider({ fstab: join(etc, 'fstab'), crypttab: join(etc, 'crypttab.missing') });
    assert.deepEqual((await noCrypttab.contribute({ runner, inventory: inv, ids, scope })).mounts!.crypttab, []);
  } finally {
    lab.cleanup();
  }
});
