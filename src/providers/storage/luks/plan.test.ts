import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../../core/errors.ts';
import { buildPlanContext } from '../../../core/plan/context.ts';
import { fixture } from '../../../core/runner/fake.ts';
import { parseBlkidExport } from '../inventory/parse.ts';
import { guestManifest, guestPlanContext, guestStorage, TARGETS } from '../guest-fixture.testutil.ts';
import { plan } from './plan.ts';

const fx = (name: string): string => fixture(import.meta.url, `__fixtures__/${name}`);
const SECRET = { kind: 'secret', secret: 'luks-passphrase' };

test('luks plan: the four guest headers, every parameter explicit; the passphrase only ever on stdin', async () => {
  const steps = plan(await guestPlanContext());
  assert.deepEqual(steps.map((s) => [s.id, s.argv.join(' '), s.after.join(','), s.creates ?? '']), [
    ['luks:luks-disk0p1', 'cryptsetup luksFormat --batch-mode --type luks2 --uuid e1f5f937-cecd-43fb-b5d0-9f3bb4d42441 --label cryptlvm-label --subsystem sysmanifest-test --cipher aes-xts-plain64 --key-size 512 --hash sha256 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --sector-size 4096 --luks2-metadata-size 16384 --luks2-keyslots-size 16744448 --offset 32768 --key-file - /dev/sdb1', 'table:disk0', ''],
    ['dev:luks-disk0p1', 'cryptsetup open --key-file - --persistent --allow-discards /dev/sdb1 cryptlvm', 'luks:luks-disk0p1', 'luks-disk0p1'],
    ['luks:luks-disk0p2', 'cryptsetup luksFormat --batch-mode --type luks2 --uuid 9fd32953-7a5a-4bc4-afc5-59500c2cfd48 --label argon-label --cipher aes-xts-plain64 --key-size 512 --hash sha256 --pbkdf argon2id --pbkdf-force-iterations 4 --pbkdf-memory 32768 --pbkdf-parallel 1 --sector-size 512 --luks2-metadata-size 16384 --luks2-keyslots-size 16744448 --offset 32768 --key-file - /dev/sdb2', 'table:disk0', ''],
    ['dev:luks-disk0p2', 'cryptsetup isLuks /dev/sdb2', 'luks:luks-disk0p2', 'luks-disk0p2'],
    ['luks:luks-disk1', 'cryptsetup luksFormat --batch-mode --type luks2 --uuid bb73c039-cfb0-4f54-bdd6-d208ad3c1442 --cipher aes-xts-plain64 --key-size 512 --hash sha512 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --sector-size 4096 --luks2-metadata-size 65536 --luks2-keyslots-size 4194304 --offset 10240 --key-file - /dev/sdc', '', ''],
    ['dev:luks-disk1', 'cryptsetup open --key-file - /dev/sdc cryptpv2', 'luks:luks-disk1', 'luks-disk1'],
    ['luks:luks-md-data', 'cryptsetup luksFormat --batch-mode --type luks1 --uuid e54c7681-bc25-4087-b701-b6082f58a306 --cipher aes-cbc-essiv:sha256 --key-size 256 --hash sha512 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --offset 4096 --key-file - /dev/md/data', 'dev:md-data', ''],
    ['dev:luks-md-data', 'cryptsetup open --key-file - /dev/md/data cryptmd', 'luks:luks-md-data', 'luks-md-data'],
  ]);
  // Every step that unlocks or formats reads the passphrase from stdin (named, never included).
  for (const s of steps.filter((x) => x.argv.includes('--key-file'))) assert.deepEqual(s.input, SECRET, s.id);
  assert.equal(steps.find((s) => s.id === 'dev:luks-disk0p2')!.risk, 'read', 'a closed container is only checked, not opened');
});

test('luks plan: resume checks are the identities blkid -p reported for the captured headers', async () => {
  const steps = plan(await guestPlanContext());
  const checks = Object.fromEntries(steps.filter((s) => s.id.startsWith('luks:')).map((s) => [s.id, s.check]));
  for (const [id, file] of [['luks:luks-disk0p1', 'blkid-vda1.txt'], ['luks:luks-disk0p2', 'blkid-vda2.txt'], ['luks:luks-disk1', 'blkid-vdb.txt'], ['luks:luks-md-data', 'blkid-md127.txt']] as const) {
    const probe = parseBlkidExport(fx(file));
    assert.deepEqual(checks[id]!.probe, { TYPE: probe.TYPE, UUID: probe.UUID }, id);
  }
  assert.deepEqual(steps.find((s) => s.id === 'dev:luks-disk0p1')!.check, { device: '/dev/mapper/cryptlvm', probe: {} });
  assert.deepEqual(steps.find((s) => s.id === 'dev:luks-disk0p1')!.waitFor, ['/dev/mapper/cryptlvm']);
});

test('luks plan: keyslots and tokens that cannot be recreated are named in the plan', async () => {
  const steps = plan(await guestPlanContext());
  assert.equal(
    steps[0]!.title,
    'LUKS2 on /dev/sdb1 (disk0p1) "cryptlvm-label", one keyslot for the rebuild passphrase; not recreated (re-enroll afterwards): 1 more keyslot, token sysmanifest-test',
  );
  assert.equal(steps[4]!.title, 'LUKS2 on /dev/sdc (disk1), one keyslot for the rebuild passphrase');
});

test('luks plan: a closed container with persistent flags is opened under a temporary name and closed again', async () => {
  const s = await guestStorage();
  const argon = { ...s.luks![1]!, flags: ['allow-discards', 'no-read-workqueue'] };
  const ctx = buildPlanContext(guestManifest({ ...s, luks: [argon] }), TARGETS, new Set());
  assert.deepEqual(plan(ctx).map((x) => [x.id, x.argv.join(' '), x.creates ?? '']), [
    ['luks:luks-disk0p2', plan(ctx)[0]!.argv.join(' '), ''],
    ['luks-flags:luks-disk0p2', 'cryptsetup open --key-file - --persistent --allow-discards --perf-no_read_workqueue /dev/sdb2 sysmanifest-luks-disk0p2', ''],
    ['dev:luks-disk0p2', 'cryptsetup close sysmanifest-luks-disk0p2', 'luks-disk0p2'],
  ]);
});

test('luks plan: what luksFormat cannot set is refused, not approximated', async () => {
  const s = await guestStorage();
  const v = s.luks![0]!;
  const ctxWith = (x: typeof v) => buildPlanContext(guestManifest({ ...s, luks: [x] }), TARGETS, new Set());
  const refused = (x: typeof v, re: RegExp) => assert.throws(() => plan(ctxWith(x)), (e: unknown) => e instanceof UserError && re.test(e.message));
  refused({ ...v, pbkdf: { type: 'pbkdf2', hash: 'sha512', iterations: 1000 } }, /PBKDF2 hash sha512 differs from the header hash sha256/);
  refused({ ...v, flags: ['made-up-flag'] }, /persistent flag made-up-flag/);
  refused({ ...v, uuid: undefined } as unknown as typeof v, /uuid was not captured/);
  refused({ id: v.id, on: v.on, unsupported: { reason: 'header not readable' } }, /unsupported: header not readable/);
});
