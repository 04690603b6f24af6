// computeExpect on a real directory tree in a temp dir (no root needed).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Dataset } from '../../../core/manifest/types.gen.ts';
import { captureDatasets } from './capture.ts';
import { annexKeySize, computeExpect, computeExpectDetailed } from './expect.ts';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const ANNEX_TARGET = '../.git/annex/objects/Wx/Q3/SHA256E-s1234--0f1e2d.jpg/SHA256E-s1234--0f1e2d.jpg';

test('git-annex key sizes', () => {
  assert.equal(annexKeySize('SHA256E-s1234--0f1e2d.jpg'), 1234);
  assert.equal(annexKeySize('SHA256E-s0-m1700000000--e3b0.txt'), 0);
  assert.equal(annexKeySize('URL--https&c%%example.org%a.iso'), undefined);
  assert.equal(annexKeySize('WORM-s77-m1700000000--name-s99'), 77);
});

describe('dataset expect', () => {
  let dir = '';
  let data = '';
  let cache = '';
  const RACY_MS = 100; // small window so the test need not wait 2 s; changes below sleep past it
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sysmanifest-ds-'));
    data = join(dir, 'photos');
    cache = join(dir, 'cache/photos.json');
    mkdirSync(join(data, '2020/summer'), { recursive: true });
    mkdirSync(join(data, 'thumbs'), { recursive: true });
    mkdirSync(join(data, '.git/annex/objects'), { recursive: true });
    writeFileSync(join(data, '2020/a.jpg'), 'aaaaa'); // 5
    writeFileSync(join(data, '2020/summer/b.jpg'), 'bbbbbbbbbb'); // 10
    writeFileSync(join(data, 'index.txt'), 'idx\n'); // 4
    writeFileSync(join(data, 'thumbs/a.jpg'), 'tt'); // excluded
    writeFileSync(join(data, '.git/config'), '[core]\n'); // the annex repository's own data
    symlinkSync('index.txt', join(data, 'latest'));
    symlinkSync(ANNEX_TARGET, join(data, '2020/c.jpg')); // annexed, content not present
    await sleep(RACY_MS + 50);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const opts = () => ({ exclude: ['thumbs/'], cachePath: cache, skipTopGit: true, racyWindowMs: RACY_MS });

  test('first computation: files, bytes and the hash of the documented listing', async () => {
    const { expect, stats } = await computeExpectDetailed(data, opts());
    const listing = ['"2020/a.jpg" 5\n', '"2020/c.jpg" 1234\n', '"2020/summer/b.jpg" 10\n', '"index.txt" 4\n', '"latest" -> "index.txt"\n'].join('');
    assert.deepEqual(expect, { files: 4, bytes: 5 + 1234 + 10 + 4, listingSha256: sha256(listing) });
    assert.deepEqual(stats, { dirsRead: 3, dirsFromCache: 0 }, 'photos, 2020, 2020/summer are read; thumbs/ (excluded) and .git are not walked');
    const cached = JSON.parse(readFileSync(cache, 'utf8')) as { path: string; dirs: Record<string, unknown> };
    assert.equal(cached.path, data);
    assert.deepEqual(Object.keys(cached.dirs).sort(), ['', '2020', '2020/summer']);
  });

  test('second computation: the same result, every directory from the cache', async () => {
    const first = await computeExpect(data, { ...opts(), cachePath: join(dir, 'other-cache.json') });
    const { expect, stats } = await computeExpectDetailed(data, opts());
    assert.deepEqual(expect, first);
    assert.deepEqual(stats, { dirsRead: 0, dirsFromCache: 3 });
  });

  test('after adding and removing files: the change is seen and equals a full scan', async () => {
    writeFileSync(join(data, '2020/summer/d.jpg'), 'ddd'); // 3
    unlinkSync(join(data, 'index.txt'));
    await sleep(RACY_MS + 50);
    const { expect, stats } = await computeExpectDetailed(data, opts());
    assert.deepEqual(stats, { dirsRead: 2, dirsFromCache: 1 }, 'only the two changed directories are read again');
    const listing = ['"2020/a.jpg" 5\n', '"2020/c.jpg" 1234\n', '"2020/summer/b.jpg" 10\n', '"2020/summer/d.jpg" 3\n', '"latest" -> "index.txt"\n'].join('');
    assert.deepEqual(expect, { files: 4, bytes: 5 + 1234 + 10 + 3, listingSha256: sha256(listing) });
    assert.deepEqual(await computeExpect(data, { exclude: ['thumbs/'], skipTopGit: true }), expect, 'incremental equals a scan without cache');
  });

  test('a file rewritten in place: seen with statFiles, not from the directory cache (documented)', async () => {
    appendFileSync(join(data, '2020/a.jpg'), 'more'); // 9 bytes now; the directory's mtime is untouched
    await sleep(RACY_MS + 50);
    const cachedView = await computeExpect(data, opts());
    assert.equal(cachedView.bytes, 5 + 1234 + 10 + 3, 'the directory cache still has the old size');
    const exact = await computeExpect(data, { ...opts(), statFiles: true });
    assert.equal(exact.bytes, 9 + 1234 + 10 + 3);
    assert.deepEqual(exact, await computeExpect(data, { exclude: ['thumbs/'], skipTopGit: true }));
  });

  test('include selects, and a dataset that is absent keeps its declared expect', async () => {
    const only = await computeExpect(data, { include: ['2020/summer/**'], cachePath: cache, racyWindowMs: RACY_MS });
    assert.deepEqual(only, { files: 2, bytes: 13, listingSha256: sha256('"2020/summer/b.jpg" 10\n"2020/summer/d.jpg" 3\n') });
    const declared: Dataset[] = [
      { name: 'photos', path: '/photos', role: 'selection', kind: 'git-annex', sources: ['nas'], exclude: ['thumbs/'], required: true },
      { name: 'music', path: '/music', role: 'copy', kind: 'rsync', sources: ['nas:/music'], expect: { files: 1, bytes: 2, listingSha256: 'a'.repeat(64) } },
    ];
    const r = await captureDatasets(declared, { root: dir, cachePath: (d) => join(dir, 'cache', `${d.name}.json`), statFiles: true });
    assert.deepEqual(r.absent, ['music']);
    assert.deepEqual(r.datasets[1], declared[1]);
    assert.deepEqual(r.datasets[0], { ...declared[0], expect: await computeExpect(data, { exclude: ['thumbs/'], skipTopGit: true }) });
  });
});
