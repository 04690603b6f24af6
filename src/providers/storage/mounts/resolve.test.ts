import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeRunner } from '../../../core/runner/fake.ts';
import type { BlockDevice, Inventory } from '../types.ts';
import { captureMounts } from './capture.ts';
import { parseFstab } from './parse.ts';
import { gatherMounts } from './gather.ts';
import { resolveSpec, type ResolveFacts } from './resolve.ts';

function dev(kname: string, over: Partial<BlockDevice> = {}): BlockDevice {
  return {
    kname, path: `/dev/${kname}`, kind: 'part', majMin: '0:0', sizeBytes: 1 << 20, logicalSectorSize: 512, physicalSectorSize: 512,
    slaves: [], holders: [], removable: false, readOnly: false, probe: {}, ...over,
  };
}

// A small stack: sda (GPT) with an ESP, a LUKS partition opened as dm-0 (an ext4), a
// btrfs over sda3 and sdb1, and sdc outside the capture.
const inventory: Inventory = {
  devices: Object.fromEntries(
    [
      dev('sda', { kind: 'disk', probe: { PTTYPE: 'gpt' } }),
      dev('sda1', { parent: 'sda', partitionNumber: 1, probe: { TYPE: 'vfat', UUID: 'ABCD-1234', LABEL: 'ESP', PART_ENTRY_UUID: '0a1b2c3d-0000-4000-8000-000000000001', PART_ENTRY_NAME: 'EFI system' } }),
      dev('sda2', { parent: 'sda', partitionNumber: 2, probe: { TYPE: 'crypto_LUKS', UUID: '8a1f0c3e-6b2d-4c5e-9f70-1a2b3c4d5e6f', PART_ENTRY_UUID: '0a1b2c3d-0000-4000-8000-000000000002' } }),
      dev('sda3', { parent: 'sda', partitionNumber: 3, probe: { TYPE: 'btrfs', UUID: 'bbbbbbbb-0000-4000-8000-00000000000b', LABEL: 'pool' } }),
      dev('dm-0', { kind: 'dm', slaves: ['sda2'], dm: { name: 'cryptroot', uuid: 'CRYPT-LUKS2-8a1f0c3e6b2d4c5e9f701a2b3c4d5e6f-cryptroot' }, probe: { TYPE: 'ext4', UUID: 'eeeeeeee-0000-4000-8000-00000000000e', LABEL: 'my root' } }),
      dev('dm-1', { kind: 'dm', slaves: ['sda2'], dm: { name: 'vg--a-lv--b', uuid: 'LVM-xyz' }, probe: { TYPE: 'swap' } }),
      dev('sdb', { kind: 'disk' }),
      dev('sdb1', { parent: 'sdb', partitionNumber: 1, probe: { TYPE: 'btrfs', UUID: 'bbbbbbbb-0000-4000-8000-00000000000b', LABEL: 'pool' } }),
      dev('md127', { kind: 'md', slaves: ['sdb1'] }),
      dev('sdc', { kind: 'disk' }),
      dev('sdc1', { parent: 'sdc', partitionNumber: 1, probe: { TYPE: 'ext4', UUID: 'cccccccc-0000-4000-8000-00000000000c' } }),
    ].map((d) => [d.kname, d]),
  ),
  mounts: [],
  swaps: [],
};

const ids = { sda: 'disk0', sda1: 'disk0p1', sda2: 'disk0p2', sda3: 'disk0p3', 'dm-0': 'luks-disk0p2', 'dm-1': 'vg-a/lv-b', sdb: 'disk1', sdb1: 'disk1p1', md127: 'md-data' };
const facts = (links: Record<string, string> = {}): ResolveFacts => ({ inventory, ids, links });

test('resolveSpec: tags against blkid probes (UUID case-insensitive, quoted values)', () => {
  const f = facts();
  assert.equal(resolveSpec('UUID=eeeeeeee-0000-4000-8000-00000000000e', f), 'luks-disk0p2');
  assert.equal(resolveSpec('UUID=abcd-1234', f), 'disk0p1');
  assert.equal(resolveSpec('UUID="8a1f0c3e-6b2d-4c5e-9f70-1a2b3c4d5e6f"', f), 'disk0p2');
  assert.equal(resolveSpec('LABEL=my root', f), 'luks-disk0p2');
  assert.equal(resolveSpec('PARTUUID=0A1B2C3D-0000-4000-8000-000000000002', f), 'disk0p2');
  assert.equal(resolveSpec('PARTLABEL=EFI system', f), 'disk0p1');
  // A btrfs on two devices: the first by id.
  assert.equal(resolveSpec('UUID=bbbbbbbb-0000-4000-8000-00000000000b', f), 'disk0p3');
  assert.equal(resolveSpec('LABEL=nope', f), undefined);
  assert.equal(resolveSpec('ID=whatever', f), undefined);
});

test('resolveSpec: /dev paths (by-* dirs with udev escapes, mapper, VG/LV, md, kernel names), none for the rest', () => {
  const f = facts();
  assert.equal(resolveSpec('/dev/disk/by-uuid/ABCD-1234', f), 'disk0p1');
  assert.equal(resolveSpec('/dev/disk/by-label/my\\x20root', f), 'luks-disk0p2');
  assert.equal(resolveSpec('/dev/disk/by-partuuid/0a1b2c3d-0000-4000-8000-000000000001', f), 'disk0p1');
  assert.equal(resolveSpec('/dev/disk/by-partlabel/EFI\\x20system', f), 'disk0p1');
  assert.equal(resolveSpec('/dev/disk/by-id/ata-X-part1', f), undefined);
  assert.equal(resolveSpec('/dev/mapper/cryptroot', f), 'luks-disk0p2');
  assert.equal(resolveSpec('/dev/mapper/vg--a-lv--b', f), 'vg-a/lv-b');
  assert.equal(resolveSpec('/dev/vg-a/lv-b', f), 'vg-a/lv-b');
  assert.equal(resolveSpec('/dev/md/data', f), 'md-data');
  assert.equal(resolveSpec('/dev/sda3', f), 'disk0p3');
  assert.equal(resolveSpec('/dev/dm-0', f), 'luks-disk0p2');
  for (const s of ['/dev/sdc1', 'UUID=cccccccc-0000-4000-8000-00000000000c', 'tmpfs', 'proc', 'server:/export', '//nas/share', '/srv/a', '/swapfile']) {
    assert.equal(resolveSpec(s, f), undefined, s);
  }
});

test('resolveSpec: a /dev link of the running system wins (by-id needs udev, resolved through it)', () => {
  assert.equal(resolveSpec('/dev/disk/by-id/ata-X-part1', facts({ '/dev/disk/by-id/ata-X-part1': '../../sda1' })), 'disk0p1');
});

test('gatherMounts + captureMounts: files from given paths, missing crypttab = no entries, links read only for /dev specs that exist', async () => {
  const r = new FakeRunner({
    files: {
      '/r/etc/fstab': '# c\nUUID=eeeeeeee-0000-4000-8000-00000000000e / ext4 defaults 0 1\n/dev/disk/by-id/ata-X-part1 /boot/efi vfat umask=0077 0 2\n/dev/sda3 /pool btrfs subvol=@ 0 0\ntmpfs /tmp tmpfs mode=1777 0 0\n',
    },
    links: { '/dev/disk/by-id/ata-X-part1': '../../sda1' },
  });
  const g = await gatherMounts(r, inventory, { fstab: '/r/etc/fstab', crypttab: '/r/etc/crypttab' });
  assert.deepEqual(g.links, { '/dev/disk/by-id/ata-X-part1': '../../sda1' });
  assert.deepEqual(g.crypttab, []);
  assert.deepEqual(captureMounts(g.fstab, g.crypttab, facts(g.links)), {
    fstab: [
      { spec: 'UUID=eeeeeeee-0000-4000-8000-00000000000e', device: 'luks-disk0p2', file: '/', vfstype: 'ext4', options: 'defaults', freq: 0, passno: 1 },
      { spec: '/dev/disk/by-id/ata-X-part1', device: 'disk0p1', file: '/boot/efi', vfstype: 'vfat', options: 'umask=0077', freq: 0, passno: 2 },
      { spec: '/dev/sda3', device: 'disk0p3', file: '/pool', vfstype: 'btrfs', options: 'subvol=@', freq: 0, passno: 0 },
      { spec: 'tmpfs', file: '/tmp', vfstype: 'tmpfs', options: 'mode=1777', freq: 0, passno: 0 },
    ],
    crypttab: [],
  });
});

test('captureMounts: crypttab entries keep the key file path only, with the resolved device', () => {
  const crypttab = [{ name: 'cryptroot', spec: 'UUID=8a1f0c3e-6b2d-4c5e-9f70-1a2b3c4d5e6f', keyfile: '/etc/keys/root.key', options: 'luks' }, { name: 'x', spec: '/dev/sdc1' }];
  assert.deepEqual(captureMounts([], crypttab, facts()).crypttab, [
    { name: 'cryptroot', spec: 'UUID=8a1f0c3e-6b2d-4c5e-9f70-1a2b3c4d5e6f', device: 'disk0p2', keyfile: '/etc/keys/root.key', options: 'luks' },
    { name: 'x', spec: '/dev/sdc1' },
  ]);
});

test('a mount point is captured in its canonical form (what mount(8) mounts on)', () => {
  const fstab = parseFstab('tmpfs /mnt//data/ tmpfs defaults 0 0\ntmpfs / tmpfs defaults 0 0\n/dev/x none swap sw 0 0\n');
  assert.deepEqual(captureMounts(fstab, [], facts()).fstab.map((e) => e.file), ['/mnt/data', '/', 'none']);
});
