import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cronQuote, nextCron, renderCron, renderService, renderTimer, systemdQuote } from './schedule.ts';

const spec = { every: 'daily' as const, launcher: '/opt/sysmanifest/bootstrap/sysmanifest', repo: '/var/lib/sysmanifest/repo', extraArgs: ['--disk', '/dev/disk/by-id/nvme-X 1%'] };

test('renderService: ExecStart runs capture --commit through the launcher, words quoted as systemd.service(5) says', () => {
  assert.match(renderService(spec), /^ExecStart=\/opt\/sysmanifest\/bootstrap\/sysmanifest capture --commit --repo \/var\/lib\/sysmanifest\/repo --disk "\/dev\/disk\/by-id\/nvme-X 1%%"$/m);
  assert.match(renderService(spec), /^Type=oneshot$/m);
});

test('renderTimer: daily / hourly, persistent', () => {
  assert.match(renderTimer(spec), /^OnCalendar=daily$/m);
  assert.match(renderTimer({ ...spec, every: 'hourly' }), /^OnCalendar=hourly$/m);
  assert.match(renderTimer(spec), /^Persistent=true$/m);
  assert.match(renderTimer(spec), /^WantedBy=timers.target$/m);
});

test('renderCron: one root line, % escaped, shell-quoted', () => {
  assert.equal(
    renderCron(spec).split('\n')[3],
    "17 3 * * * root /opt/sysmanifest/bootstrap/sysmanifest capture --commit --repo /var/lib/sysmanifest/repo --disk '/dev/disk/by-id/nvme-X 1\\%'",
  );
  assert.match(renderCron({ ...spec, every: 'hourly' }), /^17 \* \* \* \* root /m);
});

test('quoting', () => {
  assert.equal(systemdQuote('plain'), 'plain');
  assert.equal(systemdQuote('a "b" $X'), '"a \\"b\\" $$X"');
  assert.equal(cronQuote("it's"), "'it'\\''s'");
});

test('nextCron: next daily and hourly time after now (local time)', () => {
  const now = new Date(2026, 0, 10, 3, 20, 0);
  assert.deepEqual(nextCron('17 3 * * * root x', now), new Date(2026, 0, 11, 3, 17, 0));
  assert.deepEqual(nextCron('17 * * * * root x', now), new Date(2026, 0, 10, 4, 17, 0));
  assert.deepEqual(nextCron('17 3 * * * root x', new Date(2026, 0, 10, 3, 0, 0)), new Date(2026, 0, 10, 3, 17, 0));
  assert.equal(nextCron('*/5 * * * * root x', now), undefined);
});
