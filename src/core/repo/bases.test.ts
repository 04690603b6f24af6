import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { UserError } from '../errors.ts';
import { BASES_DIR, MAX_BASE_BYTES, formatBasesIndex, readBaseBlob, readBasesIndex, sha256hex, writeBases, type BasesIndex } from './bases.ts';

const tmp = mkdtempSync(join(tmpdir(), 'sysmanifest-bases-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const hostDir = (): string => join(tmp, `host${n++}`);

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const sshd = enc('# pristine sshd_config\nPort 22\n');
const bashrc = enc('# ~/.bashrc\n');
const index = (): BasesIndex => ({
  format: 1,
  etc: {
    '/etc/ssh/sshd_config': { package: 'openssh-server', version: '1:9.2p1-2+deb12u3', md5: 'a'.repeat(32), sha256: sha256hex(sshd) },
    '/etc/cron.daily/dpkg': { package: 'dpkg', version: '1.21.22', md5: 'b'.repeat(32), unavailable: 'not in /var/cache/apt/archives' },
  },
  skel: { '.bashrc': { sha256: sha256hex(bashrc) } },
});
const blobs = (): Map<string, Uint8Array> => new Map([[sha256hex(sshd), sshd], [sha256hex(bashrc), bashrc]]);

const isRepoError = (e: unknown): boolean => e instanceof UserError && e.code === 'REPO';

describe('formatBasesIndex', () => {
  test('sorts keys at every level, whatever order the object was built in', () => {
    const a = index();
    const b: BasesIndex = { skel: a.skel, etc: Object.fromEntries(Object.entries(a.etc).reverse()), format: 1 } as BasesIndex;
    assert.equal(formatBasesIndex(a), formatBasesIndex(b));
    const text = formatBasesIndex(a);
    assert.ok(text.indexOf('"/etc/cron.daily/dpkg"') < text.indexOf('"/etc/ssh/sshd_config"'));
    assert.ok(text.indexOf('"md5"') < text.indexOf('"package"'));
    assert.ok(text.endsWith('}\n'));
  });
});

describe('writeBases / readBasesIndex / readBaseBlob', () => {
  test('round trip; a second write of the same index changes no byte and writes no blob', async () => {
    const h = hostDir();
    const first = await writeBases(h, index(), blobs());
    assert.deepEqual(first, { written: 2, removed: 0 });
    const text = readFileSync(join(h, BASES_DIR, 'index.json'), 'utf8');
    assert.deepEqual(await readBasesIndex(h), index());
    assert.deepEqual(await readBaseBlob(h, sha256hex(sshd)), Buffer.from(sshd));
    const second = await writeBases(h, index(), blobs());
    assert.deepEqual(second, { written: 0, removed: 0 });
    assert.equal(readFileSync(join(h, BASES_DIR, 'index.json'), 'utf8'), text);
  });

  test('removes blobs no longer referenced, keeps other files', async () => {
    const h = hostDir();
    await writeBases(h, index(), blobs());
    writeFileSync(join(h, BASES_DIR, 'README'), 'mine');
    const smaller: BasesIndex = { ...index(), skel: {} };
    assert.deepEqual(await writeBases(h, smaller, new Map()), { written: 0, removed: 1 });
    assert.deepEqual(readdirSync(join(h, BASES_DIR)).sort(), ['README', sha256hex(sshd), 'index.json'].sort());
  });

  test('a referenced blob that is neither given nor present is a bug, found before any write', async () => {
    const h = hostDir();
    await assert.rejects(writeBases(h, index(), new Map([[sha256hex(sshd), sshd]])), /neither given nor in/);
    assert.equal(await readBasesIndex(h), undefined);
  });

  test('no index: undefined', async () => {
    assert.equal(await readBasesIndex(hostDir()), undefined);
  });

  test('a malformed index is a UserError naming the file and the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ format: 2, etc: {}, skel: {} }, /format 2/],
      [{ format: 1, etc: { 'etc/x': { package: 'a', version: '1', md5: 'a'.repeat(32), unavailable: 'x' } }, skel: {} }, /etc\["etc\/x"\]: the path/],
      [{ format: 1, etc: { '/etc/x': { package: 'a', version: '1', md5: 'a'.repeat(32) } }, skel: {} }, /exactly one of/],
      [{ format: 1, etc: {}, skel: { '../.bashrc': { sha256: 'a'.repeat(64) } } }, /skel\["\.\.\/\.bashrc"\]/],
      [{ format: 1, etc: {}, skel: { '.x': { sha256: '../../../etc/shadow' } } }, /sha256: not 64/],
    ];
    for (const [data, re] of cases) {
      const h = hostDir();
      mkdirSync(join(h, BASES_DIR), { recursive: true });
      const file = join(h, BASES_DIR, 'index.json');
      writeFileSync(file, JSON.stringify(data));
      await assert.rejects(readBasesIndex(h), (e: unknown) => isRepoError(e) && (e as Error).message.includes(file) && re.test((e as Error).message));
    }
    const h = hostDir();
    mkdirSync(join(h, BASES_DIR), { recursive: true });
    writeFileSync(join(h, BASES_DIR, 'index.json'), '{"format": 1,');
    await assert.rejects(readBasesIndex(h), (e: unknown) => isRepoError(e) && /not JSON/.test((e as Error).message));
  });

  test('readBaseBlob refuses content that does not hash to its name', async () => {
    const h = hostDir();
    await writeBases(h, index(), blobs());
    writeFileSync(join(h, BASES_DIR, sha256hex(sshd)), 'PermitRootLogin yes\n');
    await assert.rejects(readBaseBlob(h, sha256hex(sshd)), (e: unknown) => isRepoError(e) && /does not match its name/.test((e as Error).message));
    // …and writeBases repairs it.
    assert.equal((await writeBases(h, index(), blobs())).written, 1);
    assert.deepEqual(await readBaseBlob(h, sha256hex(sshd)), Buffer.from(sshd));
  });

  test('readBaseBlob refuses path-like names, symlinks and oversized blobs', async () => {
    const h = hostDir();
    await writeBases(h, index(), blobs());
    for (const name of ['../index.json', '/etc/passwd', 'index.json', 'A'.repeat(64), `${'a'.repeat(63)}/`, '']) {
      await assert.rejects(readBaseBlob(h, name), (e: unknown) => isRepoError(e) && /64 lower-case hex/.test((e as Error).message), name);
    }
    const passwd = readFileSync('/etc/passwd');
    const link = sha256hex(passwd);
    symlinkSync('/etc/passwd', join(h, BASES_DIR, link));
    await assert.rejects(readBaseBlob(h, link), (e: unknown) => isRepoError(e) && /symbolic link/.test((e as Error).message));
    const big = new Uint8Array(MAX_BASE_BYTES + 1);
    const bigName = sha256hex(big);
    writeFileSync(join(h, BASES_DIR, bigName), big);
    await assert.rejects(readBaseBlob(h, bigName), (e: unknown) => isRepoError(e) && /larger than/.test((e as Error).message));
    await assert.rejects(readBaseBlob(h, 'f'.repeat(64)), (e: unknown) => isRepoError(e) && /missing/.test((e as Error).message));
  });
});
