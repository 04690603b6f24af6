import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { manifestPlace } from '../cli/commands/rehearse.ts';
import { isUserError } from '../core/errors.ts';
import type { Manifest } from '../core/manifest/types.gen.ts';
import type { ApplyEvent } from '../core/plan/apply.ts';
import { shq } from '../core/text.ts';
import { MARK, parseBootConsole, rehearsalDisks, rehearsalUnit, RescueFollower, rescueScript } from './rehearse.ts';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`./__fixtures__/rehearse/${name}`, import.meta.url)), 'utf8');

const manifest = (disks: unknown[]): Manifest => ({ apiVersion: 'sysmanifest/v1', host: { hostname: 'booty' }, storage: { disks } } as unknown as Manifest);
const disk = (id: string, sizeBytes: number, logicalSectorSize = 512) => ({ id, match: { sizeBytes }, logicalSectorSize, physicalSectorSize: 512 });

test('rehearsalDisks: one sparse image per manifest disk at its captured size, found in the guest by a serial of its own', () => {
  const d = rehearsalDisks(manifest([disk('disk0', 3 * 2 ** 30), disk('disk1', 2 ** 40)]), '/w/images');
  assert.deepEqual(d, [
    { id: 'disk0', sizeBytes: 3 * 2 ** 30, serial: 'SMREHEARSE0', image: '/w/images/disk0.img' },
    { id: 'disk1', sizeBytes: 2 ** 40, serial: 'SMREHEARSE1', image: '/w/images/disk1.img' },
  ]);
  for (const x of d) assert.ok(x.serial.length <= 20, 'a virtio serial holds 20 characters');
});

test('rehearsalDisks: refuses what the rescue guest cannot stand in for, naming the manifest path', () => {
  const refused = (m: Manifest, re: RegExp): void => assert.throws(() => rehearsalDisks(m, '/w'), (e: unknown) => isUserError(e) && re.test(e.message));
  refused(manifest([]), /storage\.disks: the manifest has no disk/);
  refused(manifest([disk('disk0', 2 ** 30, 4096)]), /storage\.disks\[0\] \(disk0\): logical sectors of 4096 bytes/);
  refused(manifest([disk('disk0', 100)]), /storage\.disks\[0\]\.match\.sizeBytes: 100/);
  refused(manifest(Array.from({ length: 21 }, (_, i) => disk(`disk${i}`, 2 ** 30))), /21 disks/);
});

test('shq: any string is one word for the shell, quotes and all', () => {
  for (const s of ['plain', "it's", 'a b', '$(reboot)', '`x`', "'", '', 'new\nline']) {
    const r = spawnSync('sh', ['-c', `printf %s ${shq(s)}`], { encoding: 'utf8' });
    assert.equal(r.stdout, s);
  }
});

test('rescueScript: valid bash; maps each disk by its serial; hostile paths stay single words; refuses to run outside the rescue guest', () => {
  const s = rescueScript({ medium: "/media/it's a stick", repo: '/r/$(reboot)', host: 'booty', identity: '/k/age key', keyFile: '/w/rehearsal-luks.key', disks: rehearsalDisks(manifest([disk('disk0', 2 ** 30), disk('disk1', 2 ** 30)]), '/w/images'), target: '/mnt/sysmanifest' });
  assert.equal(spawnSync('bash', ['-n'], { input: s }).status, 0, 'bash -n');
  assert.match(s, /maps\+=\(--map 'disk0'="\$\(dev 'SMREHEARSE0'\)"\)/);
  assert.match(s, /maps\+=\(--map 'disk1'="\$\(dev 'SMREHEARSE1'\)"\)/);
  assert.ok(s.includes(`sh '/media/it'\\''s a stick/bundle/live.sh' --medium '/media/it'\\''s a stick' --repo '/r/$(reboot)' --host 'booty' --identity '/k/age key' -- "\${maps[@]}" --yes --json --no-nvram --key-file '/w/rehearsal-luks.key'`));
  // Outside the guest (no smvm.guest=1 on this kernel's command line) it stops before anything else.
  const r = spawnSync('bash', ['-c', s], { encoding: 'utf8' });
  assert.equal(r.status, 3);
  assert.match(r.stderr, /not in the rescue guest; refusing to run/);
});

test('rehearsalUnit: a unit wanted by multi-user.target, ordered after it; its script reports on the serial port and powers off', () => {
  const { unit, script } = rehearsalUnit();
  assert.match(unit, /^After=multi-user\.target$/m);
  assert.match(unit, /^WantedBy=multi-user\.target$/m);
  assert.match(unit, /^ExecStart=\/bin\/sh \/usr\/local\/sbin\/sysmanifest-rehearse-report$/m);
  assert.equal(spawnSync('sh', ['-n'], { input: script }).status, 0);
  assert.match(script, /is-system-running --wait/);
  assert.match(script, new RegExp(`${MARK}-END`));
});

function follow(log: string): { f: RescueFollower; events: ApplyEvent[] } {
  const events: ApplyEvent[] = [];
  let t = 0;
  const f = new RescueFollower((e) => events.push(e), () => (t += 1000));
  for (const l of log.split('\n')) f.line(l);
  return { f, events };
}

test('RescueFollower over a real rescue guest log (booty rebuilt from the medium): every stage in order, the script done', () => {
  const { f, events } = follow(fixture('rescue-pass.txt'));
  assert.equal(f.done, true);
  assert.equal(f.rebuildExit, 0);
  const started = events.filter((e) => e.type === 'start').map((e) => e.step.stage);
  // booty has no dotfiles: no homes step
  assert.deepEqual(started, ['rescue guest', 'live.sh', 'plan', 'storage', 'base', 'packages', 'etc', 'users', 'boot', 'verify', 'shutdown']);
  assert.deepEqual(f.errors, []);
  for (const s of ['live.sh', 'storage', 'base', 'packages', 'boot']) assert.ok((f.ms[s as keyof typeof f.ms] ?? 0) > 0, s);
});

test('RescueFollower over a real failed rebuild (the boot loader package removed from the manifest): the stage and the error', () => {
  const { f } = follow(fixture('rescue-no-grub.txt'));
  assert.equal(f.done, false);
  assert.notEqual(f.rebuildExit, 0);
  f.finish(false);
  assert.equal(f.stage, 'boot');
  assert.ok(f.errors.some((e) => /^step boot:/.test(e)), f.errors.join('\n'));
});

test('RescueFollower: verify\'s differences are what went wrong; sysmanifest\'s own error and hint too', () => {
  const { f } = follow(['@@rehearse stage live', '{"event":"start","step":"mkfs:disk0p2","stage":"storage"}', 'ran 40 step(s), skipped 0; verify: 2 difference(s):', '  etc: /etc/issue content differs', '  users: alice: shell /bin/sh, expected /bin/bash', 'sysmanifest: what was rebuilt does not match the manifest (see the differences above)', 'hint: the tree is still mounted under /mnt/sysmanifest', '@@rehearse rebuild-exit 1'].join('\n'));
  assert.equal(f.stage, 'verify');
  assert.deepEqual(f.errors, ['differs: etc: /etc/issue content differs', 'differs: users: alice: shell /bin/sh, expected /bin/bash', 'sysmanifest: what was rebuilt does not match the manifest (see the differences above)', 'hint: the tree is still mounted under /mnt/sysmanifest']);
});

test('RescueFollower: live.sh stopping before the rebuild is named by its last words', () => {
  const { f } = follow(['@@rehearse stage live', '== 3/5 the programs this rebuild needs', 'live.sh: installing: mdadm', 'live.sh: could not install: mdadm'].join('\n'));
  assert.equal(f.stage, 'live.sh');
  assert.deepEqual(f.why(), ['live.sh: could not install: mdadm']);
});

test('parseBootConsole: the report of a real first boot (SeaBIOS, booty)', () => {
  const r = parseBootConsole(fixture('boot-console-pass.txt'));
  assert.equal(r.up, true);
  assert.equal(r.host, 'booty');
  assert.match(r.kernel ?? '', /^6\.1\.0-\d+-amd64$/);
  assert.ok(r.state === 'running' || r.state === 'degraded', r.state);
});

test('parseBootConsole: no report, or a report cut short, is not up; failed units are listed', () => {
  assert.equal(parseBootConsole('').up, false);
  assert.equal(parseBootConsole(`${MARK}-UP state=degraded kernel=6.1 host=x\n`).up, false, 'no END line: cut short');
  const r = parseBootConsole(`junk\r\n${MARK}-UP state=degraded kernel=6.1 host=x\r\n${MARK}-FAILED foo.service\r\n${MARK}-FAILED bar.mount\r\n${MARK}-END\r\n`);
  assert.deepEqual(r, { up: true, state: 'degraded', kernel: '6.1', host: 'x', failedUnits: ['foo.service', 'bar.mount'] });
});

test('manifestPlace: MANIFEST must sit at REPO/hosts/HOST/manifest.yaml', () => {
  assert.deepEqual(manifestPlace('/srv/repo/hosts/booty/manifest.yaml'), { repo: '/srv/repo', host: 'booty' });
  for (const bad of ['/srv/booty.yaml', '/srv/repo/booty/manifest.yaml', '/srv/manifest.yaml']) assert.throws(() => manifestPlace(bad), (e: unknown) => isUserError(e) && /not hosts\/HOST\/manifest\.yaml/.test(e.message), bad);
});
