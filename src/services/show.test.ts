import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '../core/manifest/load.ts';
import { renderTree } from '../ui/tree.ts';
import { stackTree } from './show.ts';

test('show draws the btrfs desktop example (a real capture) as a tree', async () => {
  const m = await loadManifest(fileURLToPath(new URL('../../manifests/btrfs-desktop.yaml', import.meta.url)));
  const text = renderTree(stackTree(m));
  const uuidOf = (type: string): string => m.storage!.filesystems!.find((f) => f.type === type)!.uuid!;
  const swapUuid = m.storage!.swap![0]!.uuid!;
  assert.equal(
    text,
    [
      'disk0  /dev/loop0  4 GiB  gpt',
      '├─ disk0p1  256 MiB  "EFI"',
      `│  └─ vfat  "EFI"  uuid=${uuidOf('vfat')}`,
      '├─ disk0p2  512 MiB  "swap"',
      `│  └─ swap  "swap"  uuid=${swapUuid}`,
      '└─ disk0p3  3.2 GiB  "system"',
      `   └─ btrfs  "desktop"  uuid=${uuidOf('btrfs')}`,
      '      ├─ subvol @  default',
      '      ├─ subvol @/var-lib-libvirt  nodatacow',
      '      ├─ subvol @home',
      '      ├─ subvol @snapshots',
      '      └─ subvol @snapshots/home-1  ro  snapshot of @home',
      '',
    ].join('\n'),
  );
});
