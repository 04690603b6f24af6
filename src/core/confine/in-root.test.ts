// resolveInRoot / readInRoot / confinedRunner on real trees in a temp dir: a root R beside a
// "host" directory holding a secret that no resolution inside R may reach.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { UserError } from '../errors.ts';
import { hostReadOnlyRunner } from '../runner/exec.ts';
import { FakeRunner } from '../runner/fake.ts';
import { RootFs, readInRoot, resolveInRoot } from './in-root.ts';
import { confinedRunner } from './runner.ts';

describe('reading inside a root', () => {
  let tmp = '';
  let R = '';
  let secret = '';
  const put = (rel: string, content: string, mode = 0o644): void => {
    mkdirSync(join(R, rel, '..'), { recursive: true });
    writeFileSync(join(R, rel), content);
    chmodSync(join(R, rel), mode);
  };
  const link = (rel: string, target: string): void => {
    mkdirSync(join(R, rel, '..'), { recursive: true });
    symlinkSync(target, join(R, rel));
  };

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-confine-'));
    R = join(tmp, 'root');
    mkdirSync(R);
    // The "host's" /etc/shadow: outside R, reachable by every naive join.
    secret = join(tmp, 'host-shadow');
    writeFileSync(secret, 'HOST-SECRET\n');
    put('etc/os-release', 'ID=debian\n');
    put('etc/apt/keyrings/ok.gpg', 'KEY', 0o600);
    put('usr/share/keyrings/real.gpg', 'REAL-KEY');
    put('etc/shadow', 'ROOT-OWN-SHADOW\n', 0o640);
    link('etc/apt/keyrings/abs.gpg', '/usr/share/keyrings/real.gpg'); // absolute: R's, not the host's
    link('etc/apt/keyrings/host.gpg', secret); // absolute to the host's secret: R + that path
    link('etc/apt/keyrings/climb.gpg', '../../../../../../../../../../..' + secret); // relative climbing: clamped at R
    link('etc/chain1', 'chain2');
    link('etc/chain2', '/etc/chain3');
    link('etc/chain3', '../usr/share/keyrings/real.gpg');
    link('etc/loop1', 'loop2');
    link('etc/loop2', 'loop1');
    link('etc/self', 'self');
    link('a/up', '..');
    link('etc/dirlink', '/usr/share');
    link('etc/dangling', '/nope');
    link('etc/rootdir', '/');
    execFileSync('mkfifo', [join(R, 'etc/fifo')]);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const at = async (p: string, follow = true): Promise<string | undefined> => (await new RootFs(R).resolve(p, follow))?.path;

  test('plain paths and symlinks inside R', async () => {
    assert.equal(await at('/etc/os-release'), join(R, 'etc/os-release'));
    assert.equal(await at('etc/os-release'), join(R, 'etc/os-release'), 'relative to the root');
    assert.equal(await at('/'), R);
    assert.equal(await at('/etc/apt/keyrings/abs.gpg'), join(R, 'usr/share/keyrings/real.gpg'), 'an absolute target starts again at R');
    assert.equal(await at('/etc/chain1'), join(R, 'usr/share/keyrings/real.gpg'), 'a chain of relative and absolute links');
    assert.equal(await at('/etc/dirlink/keyrings/real.gpg'), join(R, 'usr/share/keyrings/real.gpg'), 'a symlinked directory in the middle');
    assert.equal(await at('/etc/apt/keyrings/abs.gpg', false), join(R, 'etc/apt/keyrings/abs.gpg'), 'the last link itself when not followed');
    assert.equal(await at('/etc/rootdir/etc/os-release'), join(R, 'etc/os-release'), 'a link to / is R');
  });

  test('nothing outside R is ever reached', async () => {
    assert.equal(await at('/etc/apt/keyrings/host.gpg'), undefined, 'absolute link to a host file: R + its path, which does not exist');
    assert.equal(await at('/etc/apt/keyrings/climb.gpg'), undefined, '"../" chains stop at R');
    assert.equal(await at(`/../../../../..${secret}`), undefined, 'a ".." path stops at R');
    assert.equal(await at('/../../etc/shadow'), join(R, 'etc/shadow'), '"/.." is "/" (R\'s own shadow, not the host\'s)');
    assert.equal(await at('/a/up/a/up/a/up/../../../../etc/os-release'), join(R, 'etc/os-release'), 'a component that is a symlink to "..", repeatedly, then more ".."');
    assert.equal(await at('/a/up/up/etc/os-release'), undefined, 'a/up is R; R/up does not exist');
    assert.equal(await at('/etc/dangling'), undefined);
    assert.equal(await at('/etc/os-release/x'), undefined, 'a file used as a directory');
    assert.equal(await resolveInRoot(R, secret), undefined, 'the host path of the secret, read as a path of R');
  });

  test('loops end with a clear error after 40 links', async () => {
    await assert.rejects(at('/etc/loop1'), (e: unknown) => e instanceof UserError && /more than 40 symbolic links/.test(e.message));
    await assert.rejects(at('/etc/self/x'), UserError);
    await assert.rejects(at('/etc/a\0b'), /NUL/);
  });

  test('readInRoot: bytes and mode; special files refused; host files never read', async () => {
    const key = await readInRoot(R, '/etc/apt/keyrings/ok.gpg');
    assert.deepEqual([new TextDecoder().decode(key!.bytes), key!.mode], ['KEY', 0o600]);
    assert.equal(new TextDecoder().decode((await readInRoot(R, '/etc/apt/keyrings/abs.gpg'))!.bytes), 'REAL-KEY');
    assert.equal(await readInRoot(R, '/etc/apt/keyrings/host.gpg'), undefined);
    assert.equal(await readInRoot(R, '/etc/apt/keyrings/climb.gpg'), undefined);
    await assert.rejects(readInRoot(R, '/etc/fifo'), (e: unknown) => e instanceof UserError && /not a regular file/.test(e.message));
    await assert.rejects(readInRoot(R, '/etc'), /not a regular file/);
    await assert.rejects(readInRoot(R, '/etc/os-release', 3), /larger than 3 bytes/);
  });

  test('confinedRunner: the runner the system providers read --root through', async () => {
    const r = confinedRunner(hostReadOnlyRunner(1), R);
    assert.equal(await r.readFile(join(R, 'etc/os-release')), 'ID=debian\n');
    assert.equal(await r.readFileOptional(join(R, 'etc/apt/keyrings/host.gpg')), undefined, 'not the host secret');
    assert.equal(await r.exists(join(R, 'etc/apt/keyrings/climb.gpg')), false);
    assert.equal(await r.readFileOptional(join(R, '../host-shadow')), undefined, 'a host path outside R does not exist');
    assert.equal(await r.readFileOptional(secret), undefined);
    await assert.rejects(r.readFile(join(R, 'etc/apt/keyrings/host.gpg')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    assert.equal(new TextDecoder().decode(await r.readBytes(join(R, 'etc/chain1'), 0, 4)), 'REAL');
    assert.deepEqual(await r.readDir(join(R, 'etc/dirlink')), ['keyrings']);
    assert.equal(await r.readLink(join(R, 'etc/apt/keyrings/abs.gpg')), '/usr/share/keyrings/real.gpg');
    await assert.rejects(r.readFileOptional(join(R, 'etc/fifo')), /not a regular file/, 'a FIFO would block forever');
    await assert.rejects(r.readFile(join(R, 'etc/loop1')), /symbolic links/);
  });

  test('confinedRunner over a fake runner (the FsProbe of FakeRunner)', async () => {
    const fake = new FakeRunner({
      files: { '/r/usr/share/k.gpg': 'K', '/etc/shadow': 'HOST' },
      links: { '/r/etc/k.gpg': '/usr/share/k.gpg', '/r/etc/s': '/etc/shadow' },
    });
    const r = confinedRunner(fake, '/r', fake);
    assert.equal(await r.readFile('/r/etc/k.gpg'), 'K');
    assert.equal(await r.readFileOptional('/r/etc/s'), undefined);
  });
});
