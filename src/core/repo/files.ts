// Atomic file writes: temp file in the same directory, fsync, rename, fsync the directory.
// A reader (or a crash) sees the old file or the new one, never half of one. A failed write
// (a full disk, a read-only file system) or an interruption leaves no temp file behind.
import { randomBytes } from 'node:crypto';
import { constants as fsc, rmSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { onInterrupt } from '../interrupt.ts';

export async function writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const forget = onInterrupt(() => rmSync(tmp, { force: true }));
  try {
    const fh = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, mode);
    try {
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    forget();
  }
  const d = await open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** Write only when the content differs; returns what happened. */
export async function writeIfChanged(path: string, content: string): Promise<'new' | 'changed' | 'unchanged'> {
  let old: string | undefined;
  try {
    old = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (old === content) return 'unchanged';
  await writeFileAtomic(path, content);
  return old === undefined ? 'new' : 'changed';
}
