// Hand-made hostile manifests (issue 11, classes 3–5): each is a real example manifest with
// one thing changed, and each must be refused by load → validate with an error that names
// the file, the line and the manifest path — never accepted, never a crash.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { UserError } from '../errors.ts';
import { PROJECT_ROOT } from '../paths.ts';
import { parseManifest } from './load.ts';

const example = (name: string): string => readFileSync(join(PROJECT_ROOT, 'manifests', name), 'utf8');

/** The example with `edit` applied to its parsed document (yaml's Document API keeps it YAML). */
function edited(name: string, edit: (doc: ReturnType<typeof parseDocument>) => void): string {
  const doc = parseDocument(example(name));
  edit(doc);
  return doc.toString();
}

function refusal(text: string): UserError {
  try {
    parseManifest(text, 'hostile.yaml');
  } catch (e) {
    if (e instanceof UserError) return e;
    throw new Error(`crashed instead of a clear error: ${(e as Error).stack}`);
  }
  throw new Error('accepted a hostile manifest');
}

const cases: [string, string, () => string, RegExp][] = [
  ['newline in a partition type (would add an sfdisk line)', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['storage', 'disks', 0, 'partitions', 0, 'type'], 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B\nstart=1, size=9')), /hostile\.yaml:\d+: storage\.disks\[0\]\.partitions\[0\]\.type: contains the control character U\+000A \(newline\)/],
  ['a partition UUID that is not a GUID', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['storage', 'disks', 0, 'partitions', 0, 'uuid'], 'x, type=83')), /partitions\[0\]\.uuid: is not valid: must be a GUID/],
  ['an ESC in a label (terminal spoofing)', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['storage', 'filesystems', 0, 'label'], 'ESP\u001b[2J')), /filesystems\[0\]\.label: contains the control character U\+001B \(ESC\)/],
  ['a right-to-left override in the hostname', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['host', 'hostname'], 'lap\u202etop')), /host\.hostname: contains the control character U\+202E/],
  ['an LV name with a slash', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['storage', 'lvm', 'vgs', 0, 'lvs', 0, 'name'], '../home')), /lvs\[0\]\.name: is not valid: must be a VG or LV name/],
  ['an LV name starting with -', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['storage', 'lvm', 'vgs', 0, 'lvs', 0, 'name'], '-home')), /lvs\[0\]\.name: is not valid/],
  ['a VG named ..', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['storage', 'lvm', 'vgs', 0, 'name'], '..')), /vgs\[0\]\.name: /],
  ['a LUKS mapping ../vda', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['storage', 'luks', 0, 'mapping'], '../vda')), /luks\[0\]\.mapping: is not valid: must be a device-mapper name/],
  ['an md name ../vda', 'server', () => edited('server-md-raid1.yaml', (d) => d.setIn(['storage', 'mdraid', 0, 'name'], '../vda')), /mdraid\[0\]\.name: is not valid: must be an md array name/],
  ['two consumers on one device', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['storage', 'filesystems', 0, 'on'], 'disk0p3')), /device "disk0p3" is already used/],
  ['two filesystems on one mount point', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => {
    const entry = (device: string) => ({ spec: `/dev/${device}`, device, file: '/', vfstype: 'ext4', options: 'defaults', freq: 0, passno: 1 });
    d.setIn(['mounts', 'fstab'], d.createNode([entry('laptop/root'), entry('disk0p2')]));
  }), /mounts\.fstab\[1\]\.file: mount point "\/" is used twice/],
  ['an LVM segment on a PV that is not in its VG', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['storage', 'lvm', 'vgs', 0, 'lvs', 0, 'segments', 0, 'areas', 0, 'pv'], 'disk0p2')), /areas\[0\]\.pv: "disk0p2" is not a PV of VG laptop/],
  ['overlapping LV extents', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['storage', 'lvm', 'vgs', 0, 'lvs', 0, 'segments', 0, 'areas', 0, 'start'], 200)), /overlap extents 0–255 of laptop\/root/],
  ['partitions on a disk without a table', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.deleteIn(['storage', 'disks', 0, 'table'])), /disks\[0\]\.partitions: partitions need a partition table/],
  ['a btrfs subvolume id of 2^32', 'desktop', () => edited('btrfs-desktop.yaml', (d) => d.setIn(['storage', 'filesystems', 1, 'btrfs', 'subvolumes', 0, 'id'], 2 ** 32)), /placeholder subvolumes/],
  ['a size of 1e21', 'laptop', () => example('laptop-luks-lvm.yaml').replace('sizeBytes: 3221225472', 'sizeBytes: 1e21'), /match\.sizeBytes: 1e\+21 is too large to be exact/],
  ['GPT partition number 129', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['storage', 'disks', 0, 'partitions', 2, 'number'], 129)), /partitions\[2\]\.number: 129 is past the 128 entries/],
  ['duplicate partition numbers', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['storage', 'disks', 0, 'partitions', 2, 'number'], 1)), /partition number 1 is used twice/],
  ['a first LBA inside the GPT header', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['storage', 'disks', 0, 'table', 'firstLba'], 20)), /table\.firstLba: 20 is inside the GPT header/],
  ['overlapping partitions', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['storage', 'disks', 0, 'partitions', 1, 'start'], 4096)), /overlaps partition disk0p1/],
  ['a duplicate md member', 'server', () => edited('server-md-raid1.yaml', (d) => d.setIn(['storage', 'mdraid', 0, 'members', 1, 'on'], 'disk0p1')), /md member "disk0p1" is used twice/],
  ['sizeBytes that contradicts lastLba', 'laptop', () => edited('laptop-luks-lvm.yaml', (d) => d.setIn(['storage', 'disks', 0, 'match', 'sizeBytes'], 1073741824)), /sizeBytes and lastLba contradict each other/],
  ['a btrfs device entry that points to an id that does not exist', 'desktop', () => edited('btrfs-desktop.yaml', (d) => d.setIn(['storage', 'filesystems', 1, 'btrfs', 'devices', 0, 'on'], 'disk9p9')), /btrfs\.devices\[0\]\.on: refers to "disk9p9"/],
  ['an undefined YAML alias', 'laptop', () => example('laptop-luks-lvm.yaml').replace('hostname: laptop', 'hostname: *nope'), /the alias \*nope names no anchor/],
  ['a YAML alias bomb', 'laptop', () => `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n${example('laptop-luks-lvm.yaml')}`, /alias/i],
  ['thousands of nested brackets', 'laptop', () => `${example('laptop-luks-lvm.yaml')}x: ${'['.repeat(100_000)}`, /not valid YAML/],
];

for (const [name, , text, expected] of cases) {
  test(`refused: ${name}`, () => {
    const e = refusal(text());
    assert.match(e.message, expected);
    assert.doesNotMatch(e.message, /\n\s+at .+:\d+:\d+/, 'no stack trace in the message');
  });
}

test('MBR: a logical partition outside its extended partition is refused', () => {
  const text = `apiVersion: sysmanifest/v1
host: {hostname: h}
storage:
  disks:
    - id: disk0
      match: {serial: S, sizeBytes: 1073741824}
      logicalSectorSize: 512
      physicalSectorSize: 512
      table: {type: dos, id: "0x1234abcd"}
      partitions:
        - {id: disk0p1, number: 1, start: 2048, size: 204800, type: "83", kind: primary}
        - {id: disk0p2, number: 2, start: 206848, size: 409600, type: "5", kind: extended}
        - {id: disk0p5, number: 5, start: 1000000, size: 2048, type: "83", kind: logical}
`;
  assert.match(refusal(text).message, /partitions\[2\]\.start: logical partition \(sectors 1000000–1002047\) lies outside its extended partition/);
});

test('the example manifests themselves are accepted', () => {
  for (const f of ['laptop-luks-lvm.yaml', 'server-md-raid1.yaml', 'btrfs-desktop.yaml']) assert.doesNotThrow(() => parseManifest(example(f), f));
});
