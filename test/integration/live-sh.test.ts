// bootstrap/live.sh is POSIX sh for stock live systems: shellcheck -s sh finds nothing, and it
// runs under dash (Debian's /bin/sh). Its refusals come before anything is done.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const LIVE = new URL('../../bootstrap/live.sh', import.meta.url).pathname;
const dash = (args: string[], env: Record<string, string> = {}): { status: number | null; out: string } => {
  const r = spawnSync('dash', [LIVE, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

test('live.sh: shellcheck -s sh is clean, dash parses it', () => {
  const sc = spawnSync('shellcheck', ['-s', 'sh', LIVE], { encoding: 'utf8' });
  assert.equal(sc.error, undefined, 'shellcheck is installed (test/run.sh installs it)');
  assert.equal(sc.status, 0, sc.stdout);
  assert.equal(spawnSync('dash', ['-n', LIVE]).status, 0);
});

test('live.sh under dash: usage, and refusals before anything is done', { skip: process.getuid?.() === 0 ? undefined : 'needs root (live.sh refuses to run otherwise)' }, () => {
  const help = dash(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.out, /^usage: live\.sh \[--medium DIR\]/);
  assert.match(dash(['--bogus']).out, /live\.sh: unknown option --bogus \(see --help; options for rebuild go after --\)/);
  assert.match(dash(['--host']).out, /live\.sh: --host needs a value/);
  const tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-live-sh-'));
  try {
    const work = join(tmp, 'work');
    const notMedium = dash(['--medium', tmp], { SYSMANIFEST_LIVE_DIR: work });
    assert.equal(notMedium.status, 1);
    assert.match(notMedium.out, /is not a sysmanifest medium \(no sysmanifest-medium file/);
    // A medium without a bundle, live.sh run from elsewhere: named, nothing done.
    writeFileSync(join(tmp, 'sysmanifest-medium'), '{}\n');
    mkdirSync(join(tmp, 'repo/hosts'), { recursive: true });
    const noBundle = dash(['--medium', tmp], { SYSMANIFEST_LIVE_DIR: work });
    assert.equal(noBundle.status, 1);
    assert.match(noBundle.out, /no sysmanifest bundle beside me .* nor on a medium/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
