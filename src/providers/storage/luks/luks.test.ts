import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParseError, UserError } from '../../../core/errors.ts';
import { FakeRunner, fixture } from '../../../core/runner/fake.ts';
import type { FakeCommand } from '../../../core/runner/fake.ts';
import { assignIds } from '../ids.ts';
import { stackAbove } from '../inventory/gather.ts';
import type { Inventory } from '../types.ts';
import { validateSchema } from '../../../core/manifest/validate.ts';
import { parseLuks1Dump, parseLuks2Json, provider } from './index.ts';

// The guest of __fixtures__/README.md: its own inventory (sysfs + blkid -p) dumped in the same boot.
const fx = (name: string): string => fixture(import.meta.url, `__fixtures__/${name}`);
const guest = JSON.parse(fx('inventory.json')) as Inventory;
const DISKS = ['vda', 'vdb', 'vdc', 'vdd', 'vde'];
const ids = assignIds(guest, DISKS);
const allScope = new Set(DISKS.flatMap((k) => stackAbove(guest, k)));

const COMMANDS: Record<string, string> = {
  'cryptsetup luksDump --dump-json-metadata /dev/vda1': fx('luksDump-json-vda1.json'),
  'cryptsetup luksDump --dump-json-metadata /dev/vda2': fx('luksDump-json-vda2.json'),
  'cryptsetup luksDump --dump-json-metadata /dev/vdb': fx('luksDump-json-vdb.json'),
  'cryptsetup luksDump /dev/md127': fx('luksDump-md127.txt'),
};

function ctx(opts: { inventory?: Inventory; scope?: ReadonlySet<string>; commands?: Record<string, string | FakeCommand> } = {}) {
  const runner = new FakeRunner({ commands: opts.commands ?? COMMANDS });
  return { runner, inventory: opts.inventory ?? guest, ids, scope: opts.scope ?? allScope };
}

test('luks: the four headers of the guest, exactly as cryptsetup and blkid report them', async () => {
  const c = ctx();
  const out = await provider.contribute(c);
  assert.deepEqual(out, {
    storage: {
      luks: [
        {
          id: 'luks-disk0p1', on: 'disk0p1', version: 2, uuid: 'e1f5f937-cecd-43fb-b5d0-9f3bb4d42441',
          label: 'cryptlvm-label', subsystem: 'sysmanifest-test', cipher: 'aes-xts-plain64', keySize: 512, hash: 'sha256',
          pbkdf: { type: 'pbkdf2', hash: 'sha256', iterations: 1000 }, sectorSize: 4096, dataOffset: 16777216,
          metadataSize: 16384, keyslotsSize: 16744448, flags: ['allow-discards'], keyslots: 2, tokens: ['sysmanifest-test'],
          mapping: 'cryptlvm',
        },
        {
          id: 'luks-disk0p2', on: 'disk0p2', version: 2, uuid: '9fd32953-7a5a-4bc4-afc5-59500c2cfd48', label: 'argon-label',
          cipher: 'aes-xts-plain64', keySize: 512, hash: 'sha256', pbkdf: { type: 'argon2id', time: 4, memory: 32768, parallel: 1 },
          sectorSize: 512, dataOffset: 16777216, metadataSize: 16384, keyslotsSize: 16744448, keyslots: 1,
        },
        {
          id: 'luks-disk1', on: 'disk1', version: 2, uuid: 'bb73c039-cfb0-4f54-bdd6-d208ad3c1442', cipher: 'aes-xts-plain64',
          keySize: 512, hash: 'sha512', pbkdf: { type: 'pbkdf2', hash: 'sha512', iterations: 1000 }, sectorSize: 4096,
          dataOffset: 5242880, metadataSize: 65536, keyslotsSize: 4194304, keyslots: 1, mapping: 'cryptpv2',
        },
        {
          id: 'luks-md-data', on: 'md-data', version: 1, uuid: 'e54c7681-bc25-4087-b701-b6082f58a306', cipher: 'aes-cbc-essiv:sha256',
          keySize: 256, hash: 'sha512', pbkdf: { type: 'pbkdf2', hash: 'sha512', iterations: 1000 }, sectorSize: 512,
          dataOffset: 2097152, keyslots: 1, mapping: 'cryptmd',
        },
      ],
    },
  });
  assert.deepEqual(c.runner.calls.map((a) => a.join(' ')).sort(), Object.keys(COMMANDS).sort());
});

test('luks: the entry ids agree with the id map of the open mappings (ids.ts)', async () => {
  const out = await provider.contribute(ctx());
  const mapped = out.storage!.luks!.filter((v) => v.mapping !== undefined).map((v) => v.id);
  assert.deepEqual(mapped, [ids['dm-0'], ids['dm-1'], ids['dm-2']]);
});

test('luks: JSON-derived values match cryptsetup\'s own text dump (metadata area, offsets, sector size, uuid)', () => {
  for (const k of ['vda1', 'vda2', 'vdb']) {
    const text = fx(`luksDump-${k}.txt`);
    const h = parseLuks2Json(fx(`luksDump-json-${k}.json`));
    assert.equal(h.metadataSize, Number(/^Metadata area:\s*(\d+) \[bytes\]/m.exec(text)![1]), k);
    assert.equal(h.keyslotsSize, Number(/^Keyslots area:\s*(\d+) \[bytes\]/m.exec(text)![1]), k);
    assert.equal(h.dataOffset, Number(/^\s+offset:\s*(\d+) \[bytes\]/m.exec(text)![1]), k);
    assert.equal(h.sectorSize, Number(/^\s+sector:\s*(\d+) \[bytes\]/m.exec(text)![1]), k);
    assert.equal(guest.devices[k]!.probe.UUID, /^UUID:\s*(\S+)/m.exec(text)![1], k);
  }
});

test('luks: never copies salts, digests or token contents into the manifest', async () => {
  const dumped = JSON.stringify(await provider.contribute(ctx()));
  const secrets = [...Object.keys(COMMANDS).map((k) => COMMANDS[k]!).join('\n').matchAll(/"(salt|digest)":"([^"]+)"/g)].map((m) => m[2]!);
  assert.ok(secrets.length >= 6);
  for (const s of secrets) assert.ok(!dumped.includes(s), `leaked ${s}`);
  assert.ok(!dumped.includes('plain json token'));
});

test('luks: only devices in scope are read', async () => {
  const scope = new Set(stackAbove(guest, 'vdb'));
  const c = ctx({ scope });
  const out = await provider.contribute(c);
  assert.deepEqual(out.storage!.luks!.map((v) => v.id), ['luks-disk1']);
  assert.deepEqual(c.runner.calls, [['cryptsetup', 'luksDump', '--dump-json-metadata', '/dev/vdb']]);
});

test('luks: an unreadable device is recorded as unsupported and never opened', async () => {
  const vda2 = { ...guest.devices.vda2!, probe: {}, unreadable: 'blkid -p /dev/vda2: Permission denied' };
  const vda1 = { ...guest.devices.vda1!, probe: {}, unreadable: 'blkid -p /dev/vda1: Permission denied' };
  const inventory: Inventory = { ...guest, devices: { ...guest.devices, vda1, vda2 } };
  const c = ctx({ inventory, scope: new Set(stackAbove(guest, 'vda')) });
  const out = await provider.contribute(c);
  // vda1 still counts as LUKS (its open mapping says so); vda2 lost its blkid TYPE and is not recognisable.
  assert.deepEqual(out, {
    storage: { luks: [{ id: 'luks-disk0p1', on: 'disk0p1', unsupported: { reason: 'LUKS header not readable: blkid -p /dev/vda1: Permission denied' } }] },
  });
  assert.deepEqual(c.runner.calls, []);
});

test('luks: a failing cryptsetup makes contribute() reject', async () => {
  const commands = { ...COMMANDS, 'cryptsetup luksDump /dev/md127': { exitCode: 1, stderr: 'Device /dev/md127 is not a valid LUKS device.\n' } };
  await assert.rejects(provider.contribute(ctx({ commands })), (e: unknown) => e instanceof UserError && e.code === 'COMMAND_FAILED' && /luksDump \/dev\/md127/.test(e.message));
});

test('luks: output cryptsetup does not normally print is a ParseError', async () => {
  const commands = { ...COMMANDS, 'cryptsetup luksDump --dump-json-metadata /dev/vdb': 'not json' };
  await assert.rejects(provider.contribute(ctx({ commands })), ParseError);
  assert.throws(() => parseLuks1Dump('LUKS header information\n\nVersion: 1\n'), ParseError);
  assert.throws(() => parseLuks2Json(fx('luksDump-json-vda1.json').replace('"pbkdf2",\n        "hash"', '"scrypt",\n        "hash"')), /unknown kdf "scrypt"/);
});

test('luks: a header in mid-reencryption (two segments) is marked unsupported', () => {
  const j = JSON.parse(fx('luksDump-json-vdb.json')) as { segments: Record<string, unknown> };
  j.segments['1'] = { ...(j.segments['0'] as object), type: 'linear' };
  assert.match(parseLuks2Json(JSON.stringify(j)).unsupported ?? '', /2 data segments/);
});

test('luks: the captured section is valid against schemas/storage/luks.schema.json', async () => {
  const out = await provider.contribute(ctx());
  const unreadable = { ...guest.devices.vda1!, unreadable: 'blkid -p /dev/vda1: Permission denied' };
  const partial = await provider.contribute(ctx({ inventory: { ...guest, devices: { ...guest.devices, vda1: unreadable } } }));
  for (const storage of [out.storage, partial.storage]) {
    const issues = validateSchema({ apiVersion: 'sysmanifest/v1', host: {}, storage }).filter((i) => i.path[0] === 'storage');
    assert.deepEqual(issues, []);
  }
  // and the validator does look at it:
  const bad = { luks: [{ ...out.storage!.luks![0]!, keySize: 0 }] };
  assert.notDeepEqual(validateSchema({ apiVersion: 'sysmanifest/v1', host: {}, storage: bad }).filter((i) => i.path[0] === 'storage'), []);
});
