// The whole capture, as a user runs it: the real CLI on this machine and on loop disks built
// with the raw tools. Two captures of an unchanged machine are byte-identical, the result
// validates, and `show` draws the stack.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli } from '../lib/cli.ts';
import { integrationUnavailable, LoopLab, sh, type LoopDisk } from '../lib/loop.ts';

const skip = integrationUnavailable();

describe('capture of this machine (default disks)', { skip }, () => {
  const repo = mkdtempSync(join(tmpdir(), 'sysmanifest-cap-'));
  after(() => rmSync(repo, { recursive: true, force: true }));

  test('succeeds, validates, and a second capture changes nothing', () => {
    const first = cli(['capture', '--repo', repo, '--host', 'self']);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /hosts\/self\/manifest\.yaml: new/);
    const file = join(repo, 'hosts/self/manifest.yaml');
    const bytes = readFileSync(file);
    const v = cli(['validate', file]);
    assert.equal(v.status, 0, v.stderr);
    const second = cli(['capture', '--repo', repo, '--host', 'self']);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /: unchanged/);
    assert.ok(readFileSync(file).equals(bytes), 'byte-identical');
    // Nothing that changes by itself: no timestamps, no free space.
    assert.doesNotMatch(bytes.toString(), /\d{4}-\d\d-\d\dT\d\d:\d\d|\b(free|used)(Bytes|Blocks|Inodes)|mountCount|lastMount/);
  });
});

describe('capture of loop disks with a mixed layout', { skip }, () => {
  let lab: LoopLab;
  let gpt: LoopDisk;
  let dos: LoopDisk;
  const repo = mkdtempSync(join(tmpdir(), 'sysmanifest-cap-'));

  before(() => {
    lab = new LoopLab();
    gpt = lab.disk(640 * 1024 * 1024);
    dos = lab.disk(512 * 1024 * 1024);
    sh(['sfdisk', '-q', gpt.path], 'label: gpt\nlabel-id: 0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9\nsize=64M, type=U, name=esp\nsize=160M, type=L, name=root\nsize=64M, type=S, name=swap\ntype=L, name=data\n');
    sh(['sfdisk', '-q', dos.path], 'label: dos\nlabel-id: 0xcafe0001\n,200M,83,*\n,,5\n,100M,83\n,,83\n');
    lab.rescan(gpt);
    lab.rescan(dos);
    sh(['mkfs.vfat', '-F', '32', '-i', '1234ABCD', '-n', 'ESP', `${gpt.path}p1`]);
    sh(['mkfs.ext4', '-q', '-F', '-L', 'root', '-U', '3f0c9a4e-1111-4222-8333-944455556666', `${gpt.path}p2`]);
    sh(['mkswap', '-L', 'swp', '-U', '5a5a5a5a-0000-4000-8000-000000000001', `${gpt.path}p3`]);
    sh(['mkfs.xfs', '-q', '-f', '-L', 'data', `${gpt.path}p4`]);
    sh(['mkfs.btrfs', '-q', '-f', '-L', 'pool', `${dos.path}p1`]);
    sh(['mkfs.ext4', '-q', '-F', '-L', 'logical5', `${dos.path}p5`]);
  });
  after(() => {
    lab?.cleanup();
    rmSync(repo, { recursive: true, force: true });
  });

  test('two captures are byte-identical, valid, and show draws the tree', () => {
    const args = ['capture', '--repo', repo, '--host', 'loops', '--disk', gpt.path, '--disk', dos.path];
    const a = cli(args);
    assert.equal(a.status, 0, a.stderr);
    assert.match(a.stdout, /new \(2 disk\(s\), 5 filesystem\(s\)/);
    const file = join(repo, 'hosts/loops/manifest.yaml');
    const first = readFileSync(file, 'utf8');
    const b = cli(args);
    assert.equal(b.status, 0, b.stderr);
    assert.equal(readFileSync(file, 'utf8'), first);
    assert.equal(cli(['validate', file]).status, 0);

    // The ids follow the disks, not the order of --disk.
    const swapped = cli(['capture', '--stdout', '--host', 'loops', '--disk', dos.path, '--disk', gpt.path]);
    assert.equal(swapped.status, 0, swapped.stderr);
    // Identical but for the schema comment: the repository's copy is named relatively
    // (../../schemas/), --stdout names the installed package's schema.
    const body = (t: string): string => t.replace(/^# yaml-language-server: .*\n/, '');
    assert.equal(body(swapped.stdout), body(first));

    const show = cli(['show', file]);
    assert.equal(show.status, 0, show.stderr);
    const tree = show.stdout;
    for (const line of [/^disk\d  \/dev\/loop\d+  640 MiB  gpt$/m, /├─ disk\dp1  64 MiB  "esp"\n│  └─ vfat  "ESP"  uuid=1234-ABCD/, /disk\dp2  160 MiB  "root"\n│  └─ ext4  "root"  uuid=3f0c9a4e-1111-4222-8333-944455556666/, /swap  "swp"  uuid=5a5a5a5a-0000-4000-8000-000000000001/, /xfs  "data"/, /disk\dp5  100 MiB  logical\n.*ext4  "logical5"/, /btrfs  "pool"/]) {
      assert.match(tree, line);
    }
  });
});
