// Disk migration with the old disk still attached (issue 11, class 9), through the real CLI on
// loop devices (root only). Disk A (GPT, ext4 and btrfs) is captured; rebuilding its manifest
// onto a blank disk B while A is still attached must be refused before a byte of B changes
// (sha256 of B's backing file), naming each identity the rebuild would create again and the
// device that already carries it — without this, mkfs.btrfs stopped the rebuild half-way with
// "non-unique UUID" after B's table was written. `plan` refuses the same way. Rebuilding onto
// A itself, handed over with --wipe ("if it is meant to go"), is allowed; and once A is
// detached the rebuild onto B runs and verifies clean.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseBlkidExport } from '../../src/providers/storage/inventory/parse.ts';
import { cli } from '../lib/cli.ts';
import { integrationUnavailable, LoopLab, sh, type LoopDisk } from '../lib/loop.ts';

const MiB = 1024 * 1024;
const skip = integrationUnavailable();

const DISK_GUID = '3F2A1B0C-9D8E-4F7A-8B6C-5D4E3F2A1B0C';
const PART1 = 'AB12CD34-0000-4000-8000-0000000000A1';
const PART2 = 'AB12CD34-0000-4000-8000-0000000000A2';
const EXT4_UUID = '6d1c0f3e-8a7b-4c5d-9e0f-1a2b3c4d5e6f';
const BTRFS_UUID = 'b7f00d00-5a5a-4c3c-8d8d-0e0e0e0e0e0e';

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const blkidView = (dev: string): Record<string, string> =>
  Object.fromEntries(Object.entries(parseBlkidExport(sh(['blkid', '-p', '-o', 'export', dev]))).filter(([k]) => !['DEVNAME', 'PART_ENTRY_DISK', 'UUID_SUB'].includes(k)));

test('rebuild onto a new disk while the captured disk is attached: refused before any write, naming the identities and both devices', { skip }, () => {
  const lab = new LoopLab('sysmanifest-clash-');
  const tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-clash-state-'));
  let n = 0;
  const rebuild = (...args: string[]) => {
    const state = join(tmp, `state-${++n}`);
    return { ...cli(['rebuild', manifest, '--stage', 'storage', '--yes', '--state', state, '--target', join(tmp, 'mnt'), ...args]), state };
  };
  let manifest = '';
  let a: LoopDisk | undefined;
  try {
    a = lab.disk(256 * MiB, { name: 'old' });
    sh(['sfdisk', '-q', '--no-reread', '--no-tell-kernel', a.path], `label: gpt\nlabel-id: ${DISK_GUID}\n\nsize=64MiB, type=L, uuid=${PART1}, name="root"\ntype=L, uuid=${PART2}, name="data"\n`);
    lab.rescan(a);
    sh(['mkfs.ext4', '-q', '-F', '-L', 'root', '-U', EXT4_UUID, `${a.path}p1`]);
    sh(['mkfs.btrfs', '-q', '-f', '-L', 'data', '-U', BTRFS_UUID, `${a.path}p2`]);
    const cap = cli(['capture', '--disk', a.path, '--repo', join(tmp, 'repo'), '--host', 'old']);
    assert.equal(cap.status, 0, cap.stderr);
    manifest = join(tmp, 'repo/hosts/old/manifest.yaml');
    const views = { p1: blkidView(`${a.path}p1`), p2: blkidView(`${a.path}p2`) };

    const b = lab.disk(256 * MiB, { name: 'new' });
    const before = sha256(b.file);
    const r = rebuild('--map', `disk0=${b.path}`);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const msg = r.stderr;
    assert.match(msg, /^sysmanifest: refusing to rebuild; nothing was written:\n/);
    // Each identity, where it would be created, and the attached device that has it.
    for (const line of [
      `- disk0 → ${b.path}: GPT disk GUID ${DISK_GUID} is already on ${a.path}, an attached device that is not a target of this rebuild`,
      `- disk0p1 → ${b.path}p1: PARTUUID ${PART1} is already on ${a.path}p1 (on ${a.path}), an attached device that is not a target of this rebuild`,
      `- disk0p2 → ${b.path}p2: PARTUUID ${PART2} is already on ${a.path}p2 (on ${a.path}), an attached device that is not a target of this rebuild`,
      `- disk0p1 → ${b.path}p1: ext4 filesystem UUID ${EXT4_UUID} is already on ${a.path}p1 (on ${a.path}), an attached device that is not a target of this rebuild`,
      `- disk0p2 → ${b.path}p2: btrfs filesystem UUID ${BTRFS_UUID} is already on ${a.path}p2 (on ${a.path}), an attached device that is not a target of this rebuild`,
    ]) {
      assert.ok(msg.includes(`${line}\n`), `missing:\n${line}\nin:\n${msg}`);
    }
    // The ways out, once for the attached disk.
    assert.match(msg, new RegExp(`- ${a.path} carries 5 identities this rebuild would create again .*Detach ${a.path} before rebuilding; or, if ${a.path} is meant to go, rebuild onto it instead \\(--map disk0=${a.path}\\) and hand it over with --wipe disk0; or, to clone this machine, give the new disks new identities with --new-identities\\n$`));
    assert.equal(sha256(b.file), before, 'not a byte of the new disk changed');
    assert.equal(existsSync(join(r.state, 'journal.jsonl')), false, 'no step was started');
    assert.doesNotMatch(r.stdout, /^\[1\//m, 'no step ran');
    // `plan` is the same computation: refused alike, and read-only.
    const p = cli(['plan', manifest, '--map', `disk0=${b.path}`]);
    assert.equal(p.status, 1, p.stdout + p.stderr);
    assert.ok(p.stderr.includes(`btrfs filesystem UUID ${BTRFS_UUID} is already on ${a.path}p2`), p.stderr);
    assert.equal(sha256(b.file), before);

    // A clone beside the original (--new-identities): every identity fresh, A untouched, and
    // verify expects the new ones only when given the map.
    const c = lab.disk(256 * MiB, { name: 'clone' });
    const beforeA = sha256(a.file);
    const cl = rebuild('--map', `disk0=${c.path}`, '--new-identities');
    assert.equal(cl.status, 0, cl.stdout + cl.stderr);
    assert.match(cl.stdout, /verify: the disks match the manifest/);
    assert.match(cl.stdout, /new identities: \d+ renewed; the map is in .*identities\.json/);
    assert.equal(sha256(a.file), beforeA, 'the original is not touched');
    const map = JSON.parse(readFileSync(join(cl.state, 'identities.json'), 'utf8')) as { changes: { from: string; to: string }[] };
    const renewed = new Map(map.changes.map((x) => [x.from.toLowerCase(), x.to.toLowerCase()]));
    // The table's GUID, both PARTUUIDs, both filesystem UUIDs, and btrfs's device UUID (which
    // mkfs.btrfs makes new anyway).
    assert.equal(map.changes.length, 6);
    for (const id of [DISK_GUID, PART1, PART2, EXT4_UUID, BTRFS_UUID]) assert.ok(renewed.has(id.toLowerCase()), id);
    assert.match(cl.stdout, /new identities: 6 renewed/);
    const cv = { p1: blkidView(`${c.path}p1`), p2: blkidView(`${c.path}p2`) };
    for (const [k, part] of [['p1', cv.p1], ['p2', cv.p2]] as const) {
      const orig = views[k];
      for (const f of ['PART_ENTRY_UUID', 'UUID'] as const) assert.equal(part[f]!.toLowerCase(), renewed.get(orig[f]!.toLowerCase()), `${k} ${f}: ${orig[f]} → ${part[f]}`);
      // The rest of what blkid sees is the original's: labels, types, sizes, partition names.
      const rest = (v: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(v).filter(([f]) => !['PTUUID', 'PART_ENTRY_UUID', 'UUID'].includes(f)));
      assert.deepEqual(rest(part), rest(orig));
    }
    assert.equal(sh(['sfdisk', '--disk-id', c.path]).trim().toLowerCase(), renewed.get(DISK_GUID.toLowerCase()));
    const vc = cli(['verify', manifest, '--map', `disk0=${c.path}`, '--identity-map', join(cl.state, 'identities.json')]);
    assert.equal(vc.status, 0, vc.stdout + vc.stderr);
    const vn = cli(['verify', manifest, '--map', `disk0=${c.path}`]);
    assert.equal(vn.status, 1, 'without the map the clone is not the manifest');
    assert.match(vn.stdout, new RegExp(`${EXT4_UUID}`));
    lab.detach(c);

    // The old disk is the one meant to go: rebuilt in place, handed over with --wipe.
    const inPlace = rebuild('--map', `disk0=${a.path}`, '--wipe', 'disk0');
    assert.equal(inPlace.status, 0, inPlace.stdout + inPlace.stderr);
    assert.match(inPlace.stdout, /verify: the disks match the manifest/);
    assert.equal(sha256(b.file), before);

    // The old disk detached: the migration onto B runs and B carries A's identities.
    lab.detach(a);
    a = undefined;
    // btrfs remembers devices it has seen; the detached one must not be taken for a member.
    sh(['btrfs', 'device', 'scan', '--forget']);
    const moved = rebuild('--map', `disk0=${b.path}`);
    assert.equal(moved.status, 0, moved.stdout + moved.stderr);
    assert.match(moved.stdout, /verify: the disks match the manifest/);
    assert.deepEqual({ p1: blkidView(`${b.path}p1`), p2: blkidView(`${b.path}p2`) }, views);
    console.log(`identity clash: refused with ${msg.split('\n').length - 1} problem lines; B's sha256 unchanged; cloned beside A with ${map.changes.length} new identities; rebuilt in place with --wipe; migrated once A was detached`);
  } finally {
    try {
      sh(['btrfs', 'device', 'scan', '--forget']);
    } catch {
      /* nothing stale */
    }
    lab.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  }
});
