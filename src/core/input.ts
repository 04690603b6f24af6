// Reading a file the user named (a manifest, a key file) as hostile input: whatever the path
// turns out to be, the read ends quickly with the text or with one clear UserError.
//   - stat first: a FIFO, socket or device is refused without being opened for reading
//     (open(2) of a FIFO blocks until a writer comes; /dev/zero never ends);
//   - then open with O_NONBLOCK (an open that cannot block, even if the path was swapped for a
//     FIFO after the stat) and fstat the opened descriptor: what is read is what was checked;
//   - never more than `maxBytes` (+1 to notice a file that grew past it) is read.
import { constants as fsc, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { UserError, type ErrorCode } from './errors.ts';

/** A manifest is a few hundred KiB at most (40,000 partitions: ~8 MiB); more is not one. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

export interface ReadInputOptions {
  /** What the file is, for messages: "manifest", "key file". */
  readonly what: string;
  readonly code: ErrorCode;
  readonly maxBytes: number;
  /**
   * Accept a FIFO or pipe (a key file given as `--key-file <(pass show …)`, /dev/stdin):
   * something writes it, and what it writes is read up to maxBytes.
   */
  readonly allowPipe?: boolean;
  /** Hints for the most common mistakes. */
  readonly hints?: { readonly missing?: string; readonly directory?: string };
}

const MiB = (n: number): string => `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;

function kindOf(s: Stats): string | undefined {
  if (s.isFile()) return undefined;
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function refuse(file: string, s: Stats, o: ReadInputOptions): UserError | undefined {
  if (o.allowPipe && s.isFIFO()) return undefined;
  const kind = kindOf(s);
  if (kind !== undefined) {
    if (s.isDirectory()) return new UserError(o.code, `${file}: is a directory, not a ${o.what} file`, o.hints?.directory ? { hint: o.hints.directory } : {});
    return new UserError(o.code, `${file}: is ${kind}, not a ${o.what} file; refused without reading it`, { hint: `save the ${o.what} to a regular file and give that path` });
  }
  if (s.size > o.maxBytes) return tooLarge(file, o, s.size);
  return undefined;
}

function tooLarge(file: string, o: ReadInputOptions, size?: number): UserError {
  return new UserError(o.code, `${file}: ${size === undefined ? 'more than' : `${MiB(size)} is more than`} the ${MiB(o.maxBytes)} a ${o.what} may have; refused`, {
    hint: `is this the right file? a ${o.what} is far smaller`,
  });
}

function errnoError(file: string, e: unknown, o: ReadInputOptions): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  const err = (what: string, hint?: string): UserError => new UserError(o.code, `${file}: ${what}`, hint ? { hint } : {});
  switch (code) {
    case 'ENOENT':
      return err('no such file', o.hints?.missing);
    case 'EISDIR':
      return err(`is a directory, not a ${o.what} file`, o.hints?.directory);
    case 'EACCES':
    case 'EPERM':
      return err('permission denied', 'run as a user who can read it');
    case 'ELOOP':
      return err('too many levels of symbolic links (a symlink loop?)', `check where it points: ls -l ${file}`);
    case 'ENOTDIR':
      return err('a component of the path is not a directory');
    case 'ENAMETOOLONG':
      return err('file name too long');
    case 'ENXIO':
      return err(`cannot be opened for reading (a socket or a device without a driver), not a ${o.what} file`);
    case 'EIO':
      return err('input/output error while reading it');
    default:
      return e;
  }
}

/** The bytes of `file`, checked as above. */
export async function readInputBytes(file: string, o: ReadInputOptions): Promise<Buffer> {
  let fh;
  try {
    const before = await stat(file);
    const r = refuse(file, before, o);
    if (r) throw r;
    fh = await open(file, fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY);
    const opened = await fh.stat();
    const r2 = refuse(file, opened, o);
    if (r2) throw r2;
    if (opened.isFIFO()) {
      // A pipe opened with O_NONBLOCK reads EAGAIN until its writer writes: read it blocking.
      await fh.close();
      fh = await open(file, fsc.O_RDONLY | fsc.O_NOCTTY);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, o.maxBytes + 1 - total));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > o.maxBytes) throw tooLarge(file, o);
    }
    return Buffer.concat(chunks, total);
  } catch (e) {
    throw errnoError(file, e, o);
  } finally {
    await fh?.close();
  }
}

/** The text of `file`: UTF-8 (a BOM is dropped), else a UserError naming where it stops being UTF-8. */
export async function readInputText(file: string, o: ReadInputOptions): Promise<string> {
  const bytes = await readInputBytes(file, o);
  // Decoded in blocks with one streaming decoder: linear, and the failing block says where.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const parts: string[] = [];
  const BLOCK = 64 * 1024;
  for (let at = 0; at < bytes.length || at === 0; at += BLOCK) {
    const end = Math.min(bytes.length, at + BLOCK);
    try {
      parts.push(decoder.decode(bytes.subarray(at, end), { stream: end < bytes.length }));
    } catch {
      throw new UserError(o.code, `${file}: not UTF-8 text (a bad byte sequence in bytes ${at}–${end}); a ${o.what} is YAML text`, { hint: 'is this the right file?' });
    }
    if (end === bytes.length) break;
  }
  return parts.join('');
}
