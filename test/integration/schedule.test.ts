// `sysmanifest schedule install|show|remove` through the real CLI, into a temp unit directory
// and cron file (never the host's /etc/systemd/system). The generated units must pass
// `systemd-analyze verify` (which also checks that ExecStart's launcher is executable).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, REPO_ROOT } from '../lib/cli.ts';

function unavailable(): string | undefined {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'SKIPPED: systemd-analyze is missing (apt-get install systemd)';
  }
}
const skip = unavailable();
if (skip) console.error(`schedule integration tests: ${skip}`);

describe('schedule install / show / remove', () => {
  let tmp = '';
  const launcher = `${REPO_ROOT}bootstrap/sysmanifest`;
  const where = (): string[] => ['--unit-dir', join(tmp, 'units'), '--cron-file', join(tmp, 'cron.d/sysmanifest')];
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-schedule-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('systemd: the service and timer pass systemd-analyze verify', { skip }, () => {
    const r = cli(['schedule', 'install', '--with', 'systemd', '--hourly', '--repo', join(tmp, 'repo dir'), ...where()]);
    assert.equal(r.status, 0, r.stderr);
    const service = join(tmp, 'units/sysmanifest-capture.service');
    const timer = join(tmp, 'units/sysmanifest-capture.timer');
    assert.match(readFileSync(service, 'utf8'), new RegExp(`^ExecStart=${launcher.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} capture --commit --repo "${join(tmp, 'repo dir')}"$`, 'm'));
    assert.match(readFileSync(timer, 'utf8'), /^OnCalendar=hourly$/m);
    const v = spawnSync('systemd-analyze', ['verify', service, timer], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stderr, '', 'no warnings either');

    const show = JSON.parse(cli(['schedule', 'show', '--json', ...where()]).stdout) as { kind: string; every: string; command: string; files: string[] };
    assert.deepEqual(show, { kind: 'systemd', files: [service, timer], command: `${launcher} capture --commit --repo "${join(tmp, 'repo dir')}"`, every: 'hourly' });
  });

  test('systemd-analyze verify does fail on a broken unit (the check above can fail)', { skip }, () => {
    const bad = cli(['schedule', 'install', '--with', 'systemd', '--launcher', '/bin/true', '--repo', join(tmp, 'repo'), '--unit-dir', join(tmp, 'bad')]);
    assert.equal(bad.status, 0, bad.stderr);
    const service = join(tmp, 'bad/sysmanifest-capture.service');
    execFileSync('sed', ['-i', 's|^ExecStart=/bin/true|ExecStart=/nonexistent/sysmanifest|', service]);
    const v = spawnSync('systemd-analyze', ['verify', service], { encoding: 'utf8' });
    assert.notEqual(v.status, 0);
    assert.match(v.stderr, /is not executable/);
  });

  test('cron: one root line at 03:17 daily; show computes the next run; remove deletes everything', () => {
    const r = cli(['schedule', 'install', '--with', 'cron', '--daily', '--repo', join(tmp, 'repo'), ...where()]);
    assert.equal(r.status, 0, r.stderr);
    const lines = readFileSync(join(tmp, 'cron.d/sysmanifest'), 'utf8').split('\n');
    assert.equal(lines[3], `17 3 * * * root ${launcher} capture --commit --repo ${join(tmp, 'repo')}`);
    const show = JSON.parse(cli(['schedule', 'show', '--json', '--unit-dir', join(tmp, 'none'), '--cron-file', join(tmp, 'cron.d/sysmanifest')]).stdout) as { kind: string; nextRun: string };
    assert.equal(show.kind, 'cron');
    const next = new Date(show.nextRun);
    assert.deepEqual([next.getHours(), next.getMinutes()], [3, 17]);
    assert.ok(next.getTime() > Date.now() && next.getTime() <= Date.now() + 24 * 3600 * 1000);

    const rm = cli(['schedule', 'remove', ...where()]);
    assert.equal(rm.status, 0, rm.stderr);
    assert.equal(existsSync(join(tmp, 'cron.d/sysmanifest')), false);
    assert.equal(existsSync(join(tmp, 'units/sysmanifest-capture.service')), false);
    assert.equal(existsSync(join(tmp, 'units/sysmanifest-capture.timer')), false);
    assert.match(cli(['schedule', 'show', ...where()]).stdout, /^no schedule installed/);
  });

  test('--datasets: a second timer (every 10 minutes) runs datasets sync on this host\'s manifest; it passes systemd-analyze verify; cron gets a second line; remove deletes all of it', { skip }, () => {
    const repo = join(tmp, 'ds-repo');
    const dir = join(tmp, 'ds-units');
    const r = cli(['schedule', 'install', '--with', 'systemd', '--datasets', '--repo', repo, '--unit-dir', dir, '--cron-file', join(tmp, 'ds-cron')]);
    assert.equal(r.status, 0, r.stderr);
    const service = join(dir, 'sysmanifest-datasets.service');
    const timer = join(dir, 'sysmanifest-datasets.timer');
    const manifest = join(repo, 'hosts', hostname(), 'manifest.yaml');
    assert.match(readFileSync(service, 'utf8'), new RegExp(`^ExecStart=${launcher.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} datasets sync --manifest ${manifest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.match(readFileSync(timer, 'utf8'), /^OnCalendar=\*:0\/10$/m);
    const v = spawnSync('systemd-analyze', ['verify', service, timer, join(dir, 'sysmanifest-capture.service'), join(dir, 'sysmanifest-capture.timer')], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stderr, '', 'no warnings either');
    const show = JSON.parse(cli(['schedule', 'show', '--json', '--unit-dir', dir, '--cron-file', join(tmp, 'ds-cron')]).stdout) as { files: string[]; datasets: { every: string; command: string } };
    assert.deepEqual(show.datasets, { every: '*:0/10', command: `${launcher} datasets sync --manifest ${manifest}` });
    assert.equal(show.files.length, 4);

    const c = cli(['schedule', 'install', '--with', 'cron', '--datasets', '--repo', repo, '--unit-dir', join(tmp, 'ds-none'), '--cron-file', join(tmp, 'ds-cron')]);
    assert.equal(c.status, 0, c.stderr);
    assert.deepEqual(readFileSync(join(tmp, 'ds-cron'), 'utf8').split('\n').filter((l) => /^[\d*]/.test(l)), [`17 3 * * * root ${launcher} capture --commit --repo ${repo}`, `*/10 * * * * root ${launcher} datasets sync --manifest ${manifest}`]);
    const rm = cli(['schedule', 'remove', '--unit-dir', dir, '--cron-file', join(tmp, 'ds-cron')]);
    assert.equal(rm.status, 0, rm.stderr);
    for (const f of [service, timer, join(tmp, 'ds-cron')]) assert.equal(existsSync(f), false, f);
  });

  test('a launcher that is not executable is refused', () => {
    const r = cli(['schedule', 'install', '--with', 'cron', '--launcher', join(tmp, 'nope'), '--repo', join(tmp, 'repo'), ...where()]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /the launcher .*nope is not an executable file/);
  });
});
