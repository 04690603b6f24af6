import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Manifest } from '../../core/manifest/types.gen.ts';
import { validateSchema } from '../../core/manifest/validate.ts';
import { UserError } from '../../core/errors.ts';
import { guestManifest, guestStorage } from '../../providers/storage/guest-fixture.testutil.ts';
import type { Inventory } from '../../providers/storage/types.ts';
import { identityClashes, normalizeIdentity, plannedIdentities } from './identities.ts';
import { disksUnder } from './preflight.ts';
import { freshIdentities, parseIdentityMap, rewriteIdentities, withIdentities, type IdentityMap } from './new-identities.ts';

const guestInventory = (): Inventory => JSON.parse(readFileSync(new URL('../../providers/storage/lvm/__fixtures__/inventory.json', import.meta.url), 'utf8')) as Inventory;

/** The guest of the storage fixtures (LUKS2/LUKS1, LVM thin and raid, md RAID1/RAID5) with an ESP and a swap, as capture writes them. */
async function machine(): Promise<Manifest> {
  const m = guestManifest(await guestStorage());
  const s = m.storage!;
  return {
    ...m,
    storage: {
      ...s,
      filesystems: [
        { on: 'disk1', type: 'vfat', uuid: 'A1FA-0001' } as never,
        { on: 'vg0/root', type: 'ext4', uuid: 'a1700700-0000-4000-8000-000000000700' } as never,
      ],
    },
  };
}

test('--new-identities: every identity the plan creates is new, of the same form, and the clone clashes with nothing of the original still attached', async () => {
  const m = await machine();
  const map = freshIdentities(m);
  const clone = withIdentities(m, map);
  const before = plannedIdentities(m);
  const after = plannedIdentities(clone);
  assert.equal(after.length, before.length);
  const old = new Set(before.map((i) => `${i.kind} ${normalizeIdentity(i.value)}`));
  for (const i of after) assert.ok(!old.has(`${i.kind} ${normalizeIdentity(i.value)}`), `${i.what} on ${i.on} kept ${i.value}`);
  // Same form, same case: sfdisk's upper-case GUIDs stay upper case, vfat stays XXXX-XXXX, md 8:8:8:8.
  before.forEach((b, k) => {
    const a = after[k]!;
    assert.equal(a.what, b.what);
    const shape = (v: string): string => v.replace(/^0x/, '#').replace(/[A-Za-z0-9]/g, '.');
    assert.equal(shape(a.value), shape(b.value), `${b.value} → ${a.value}`);
    if (/^[0-9A-F:x-]+$/.test(b.value) && /[A-F]/.test(b.value)) assert.ok(!/[a-f]/.test(a.value), `upper case kept: ${a.value}`);
  });
  assert.match(clone.storage!.filesystems![0]!.uuid!, /^[0-9A-F]{4}-[0-9A-F]{4}$/);
  assert.match(clone.storage!.mdraid![0]!.uuid!, /^[0-9a-f]{8}(:[0-9a-f]{8}){3}$/);
  // The clone's manifest still matches the schema (every new value has the form its field takes).
  assert.deepEqual(validateSchema(JSON.parse(JSON.stringify(m))), []);
  assert.deepEqual(validateSchema(JSON.parse(JSON.stringify(clone))), []);
  // The original guest's disks still attached beside a blank target: the clone's plan clashes with none of them.
  const inv = guestInventory();
  assert.ok(identityClashes(inv, [], before, (k) => disksUnder(inv, k)).length > 0, 'the original identities are on the attached disks');
  assert.deepEqual(identityClashes(inv, [], after, (k) => disksUnder(inv, k)), []);
  // Everything else is left alone.
  assert.deepEqual({ ...clone, storage: undefined }, { ...m, storage: undefined });
  assert.equal(JSON.stringify(clone).length, JSON.stringify(m).length);
});

test('a shared identity gets one new value (a btrfs filesystem on two devices; an external journal named by UUID)', () => {
  const m = {
    storage: {
      filesystems: [
        { id: 'a', on: 'p1', type: 'btrfs', uuid: '11111111-2222-4333-8444-555555555555', btrfs: { devices: [{ uuid: '66666666-2222-4333-8444-555555555555' }, { uuid: '77777777-2222-4333-8444-555555555555' }] } },
        { id: 'b', on: 'p2', type: 'ext4', uuid: '88888888-2222-4333-8444-555555555555', ext: { journalUuid: '99999999-2222-4333-8444-555555555555' } },
        { id: 'j', on: 'p3', type: 'jbd', uuid: '99999999-2222-4333-8444-555555555555' },
      ],
    },
  } as unknown as Manifest;
  const map = freshIdentities(m);
  assert.equal(map.changes.length, 5);
  const clone = withIdentities(m, map) as unknown as { storage: { filesystems: { uuid: string; ext?: { journalUuid: string } }[] } };
  assert.equal(clone.storage.filesystems[1]!.ext!.journalUuid, clone.storage.filesystems[2]!.uuid);
  assert.notEqual(clone.storage.filesystems[2]!.uuid, '99999999-2222-4333-8444-555555555555');
});

// A deterministic map for the rewrite tests.
const MAP: IdentityMap = {
  version: 1,
  changes: [
    { path: 'storage.filesystems[0].uuid', from: 'a1700700-0000-4000-8000-000000000700', to: '0f0f0f0f-1111-4222-8333-444444444444' },
    { path: 'storage.filesystems[1].uuid', from: 'A1FA-0001', to: 'BEEF-CAFE' },
    { path: 'storage.luks[0].uuid', from: 'a1c0c0a0-0000-4000-8000-0000000c0c0a', to: '12345678-aaaa-4bbb-8ccc-dddddddddddd' },
    { path: 'storage.mdraid[0].uuid', from: 'be7a0000:00000000:00000000:0000ad00', to: '01234567:89abcdef:01234567:89abcdef' },
    { path: 'storage.disks[0].table.id', from: '0x5eed1234', to: '0xc0ffee00', partitions: [1, 2, 5] },
    { path: 'storage.disks[1].partitions[0].uuid', from: 'ADA84101-0432-434F-954D-EEF0953EF898', to: 'B0B0B0B0-0432-434F-954D-EEF0953EF898' },
    { path: 'storage.lvm.vgs[0].uuid', from: 'UOBtJs-48Kx-znOg-dBep-HiRD-TgpK-58X7Z6', to: 'AAAAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGGGG' },
  ],
};

test('rewriteIdentities: the references of fstab, crypttab, mdadm.conf, grub and resume in the forms each file writes', () => {
  const fstab = [
    '# <file system> <mount point>   <type>  <options>       <dump>  <pass>',
    'UUID=a1700700-0000-4000-8000-000000000700 / ext4 errors=remount-ro 0 1',
    'UUID=A1FA-0001 /boot/efi vfat umask=0077 0 1',
    'PARTUUID=5eed1234-05 none swap sw 0 0',
    'PARTUUID=ada84101-0432-434f-954d-eef0953ef898 /srv xfs defaults 0 2',
    '/dev/disk/by-uuid/a1700700-0000-4000-8000-0000000007001 /x ext4 defaults 0 0',
    '',
  ].join('\n');
  const r = rewriteIdentities(fstab, MAP);
  assert.equal(r.count, 4);
  assert.match(r.text, /^UUID=0f0f0f0f-1111-4222-8333-444444444444 \/ ext4/m);
  assert.match(r.text, /^UUID=BEEF-CAFE \/boot\/efi/m);
  assert.match(r.text, /^PARTUUID=c0ffee00-05 none swap/m);
  assert.match(r.text, /^PARTUUID=b0b0b0b0-0432-434f-954d-eef0953ef898 \/srv/m, 'a GPT PARTUUID in lower case stays lower case');
  assert.match(r.text, /0000000007001 \/x/, 'an id inside a longer token is not one');
  assert.match(rewriteIdentities('alpha_crypt UUID=a1c0c0a0-0000-4000-8000-0000000c0c0a /etc/keys/root.key luks,discard\n', MAP).text, /UUID=12345678-aaaa-4bbb-8ccc-dddddddddddd /);
  const md = rewriteIdentities('ARRAY /dev/md/0 metadata=1.2 UUID=be7a0000:00000000:00000000:0000ad00 name=beta:0\n# blkid: be7a0000-0000-0000-0000-00000000ad00\n', MAP);
  assert.equal(md.text, 'ARRAY /dev/md/0 metadata=1.2 UUID=01234567:89abcdef:01234567:89abcdef name=beta:0\n# blkid: 01234567-89ab-cdef-0123-456789abcdef\n');
  assert.equal(rewriteIdentities('GRUB_CMDLINE_LINUX="resume=UUID=a1700700-0000-4000-8000-000000000700 quiet"', MAP).text, 'GRUB_CMDLINE_LINUX="resume=UUID=0f0f0f0f-1111-4222-8333-444444444444 quiet"');
  assert.equal(rewriteIdentities('RESUME=PARTUUID=5EED1234-01\n', MAP).text, 'RESUME=PARTUUID=C0FFEE00-01\n');
  assert.equal(rewriteIdentities('label-id: 0x5eed1234\n', MAP).text, 'label-id: 0xc0ffee00\n');
  // LVM UUIDs are case-sensitive: another case is another UUID.
  assert.equal(rewriteIdentities('id = "UOBtJs-48Kx-znOg-dBep-HiRD-TgpK-58X7Z6" uobtjs-48kx-znog-dbep-hird-tgpk-58x7z6', MAP).text, 'id = "AAAAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGGGG" uobtjs-48kx-znog-dbep-hird-tgpk-58x7z6');
  assert.deepEqual(rewriteIdentities('nothing here\n', MAP), { text: 'nothing here\n', count: 0 });
});

test('freshIdentities refuses an identity of a form it cannot renew, naming where it is', () => {
  const m = { storage: { filesystems: [{ id: 'a', on: 'p1', type: 'ext4', uuid: 'not-a-uuid' }] } } as unknown as Manifest;
  assert.throws(() => freshIdentities(m), (e: unknown) => e instanceof UserError && /storage\.filesystems\[0\]\.uuid: "not-a-uuid"/.test(e.message));
  // An all-zero id is "none": left as it is.
  assert.deepEqual(freshIdentities({ storage: { disks: [{ id: 'd', table: { type: 'dos', id: '0x00000000' }, partitions: [] }] } } as unknown as Manifest).changes, []);
});

test('parseIdentityMap: the saved map round-trips; a tampered one is refused with the file named', () => {
  assert.deepEqual(parseIdentityMap(JSON.stringify(MAP), 'identities.json'), MAP);
  const bad = (text: string, re: RegExp): void => assert.throws(() => parseIdentityMap(text, '/run/s/identities.json'), (e: unknown) => e instanceof UserError && re.test(e.message));
  bad('{', /identities\.json: not JSON/);
  bad('{"version":2,"changes":[]}', /not an identity map/);
  bad(JSON.stringify({ version: 1, changes: [{ path: 'x', from: 'A1FA-0001', to: '0f0f0f0f-1111-4222-8333-444444444444' }] }), /changes\[0\]/);
  bad(JSON.stringify({ version: 1, changes: [{ path: 'x', from: '.*', to: '.*' }] }), /changes\[0\]/);
  bad(JSON.stringify({ version: 1, changes: [{ path: 'x', from: '0x5eed1234', to: '0xc0ffee00', partitions: [-1] }] }), /changes\[0\]/);
});
