import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../errors.ts';
import { sideFilePath, writeSideFiles } from './repo-files.ts';

test('side files go below hosts/NAME/<managed>/ only', () => {
  assert.equal(sideFilePath('/repo/hosts/h', 'apt-keys', 'apt-keys/usr/share/keyrings/a.gpg'), '/repo/hosts/h/apt-keys/usr/share/keyrings/a.gpg');
  for (const bad of ['apt-keys/../../../etc/passwd', 'apt-keys/../manifest.yaml', '../x', '/abs', 'other/x', 'apt-keys//x', 'apt-keys/a\nb', 'apt-keys']) {
    assert.throws(() => sideFilePath('/repo/hosts/h', 'apt-keys', bad), (e: unknown) => e instanceof UserError && e.code === 'REPO', bad);
  }
});

test('writeSideFiles keeps modes, refuses an escaping path before writing anything, removes stale files', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-side-'));
  try {
    const host = join(tmp, 'hosts/h');
    const bytes = new TextEncoder().encode('KEY');
    await writeSideFiles(host, [{ file: 'apt-keys/a.gpg', bytes, mode: 0o600 }, { file: 'apt-keys/b.gpg', bytes, mode: 0o664 }, { file: 'apt-keys/c.gpg', bytes }], 'apt-keys');
    assert.equal(statSync(join(host, 'apt-keys/a.gpg')).mode & 0o777, 0o600);
    assert.equal(statSync(join(host, 'apt-keys/b.gpg')).mode & 0o777, 0o664, 'exactly, whatever the umask');
    assert.equal(statSync(join(host, 'apt-keys/c.gpg')).mode & 0o777, 0o644);
    // A mode change alone is written.
    await writeSideFiles(host, [{ file: 'apt-keys/a.gpg', bytes, mode: 0o644 }], 'apt-keys');
    assert.equal(statSync(join(host, 'apt-keys/a.gpg')).mode & 0o777, 0o644);
    assert.equal(existsSync(join(host, 'apt-keys/b.gpg')), false, 'stale file removed');
    await assert.rejects(writeSideFiles(host, [{ file: 'apt-keys/new.gpg', bytes }, { file: 'apt-keys/../../../escaped', bytes }], 'apt-keys'), UserError);
    assert.equal(existsSync(join(host, 'apt-keys/new.gpg')), false, 'nothing written when one path is refused');
    assert.equal(existsSync(join(tmp, 'escaped')), false);
    assert.equal(readFileSync(join(host, 'apt-keys/a.gpg'), 'utf8'), 'KEY');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
