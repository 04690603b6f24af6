import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeRunner } from './fake.ts';
import { LOG_COMMANDS_ENV, loggingMutatingRunner, nestedRunner } from './logging.ts';

test('--log-commands: the rebuild starts the file; an internal command (nestedRunner, env set) appends its own commands, marked nested; stdin never written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sm-log-'));
  try {
    const file = join(dir, 'log.jsonl');
    writeFileSync(file, 'stale\n');
    const fake = new FakeRunner({ commands: { 'wipefs -n /dev/x': '', 'update-initramfs -c -k all': '' } });
    const top = loggingMutatingRunner(fake, file);
    await top.mutate(['wipefs', '-n', '/dev/x'], { input: 'secret passphrase' });
    const saved = process.env[LOG_COMMANDS_ENV];
    process.env[LOG_COMMANDS_ENV] = file;
    try {
      await nestedRunner(fake).mutate(['update-initramfs', '-c', '-k', 'all']);
    } finally {
      if (saved === undefined) delete process.env[LOG_COMMANDS_ENV];
      else process.env[LOG_COMMANDS_ENV] = saved;
    }
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes('stale') && !text.includes('secret'), text);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; nested?: boolean; stdin?: boolean });
    assert.deepEqual(lines.map((l) => [l.argv[0], l.nested === true, l.stdin === true]), [['wipefs', false, true], ['update-initramfs', true, false]]);
    assert.equal(nestedRunner(fake), fake, 'without the variable an internal command logs nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
