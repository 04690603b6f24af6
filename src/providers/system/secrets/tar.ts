// A deterministic POSIX tar (ustar, with a pax extended header where ustar has no room) built
// in memory from bytes that were read through core/confine. Why not GNU tar: tar opens the
// files itself, following symlinks in the host's namespace (R/etc/ssh -> /etc/ssh would be the
// host's keys), and names owners from the host's /etc/passwd, not the captured system's. Why
// not an npm library: none is in the project's dependencies. The format is small and fixed
// (pax(1) "ustar Interchange Format" and "pax Extended Header"); GNU tar reads what this writes
// (test/integration/secrets.test.ts extracts it with tar --extract and compares).

export interface TarEntry {
  /** Member name, relative ("etc/ssh/ssh_host_ed25519_key"). */
  readonly name: string;
  readonly type: 'file' | 'symlink';
  /** Permission bits (incl. setuid/setgid/sticky). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
  /** Seconds since the epoch. */
  readonly mtime: number;
  readonly content?: Uint8Array;
  readonly linkTarget?: string;
}

const BLOCK = 512;
const enc = new TextEncoder();

function octal(value: number, width: number): string {
  // width-1 octal digits and a NUL (ustar numeric fields)
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function put(h: Uint8Array, offset: number, width: number, text: string | Uint8Array): void {
  const b = typeof text === 'string' ? enc.encode(text) : text;
  if (b.length > width) throw new Error(`tar: field of ${width} bytes too small for ${b.length}`);
  h.set(b, offset);
}

/** ustar splits a long name into prefix (≤155) "/" name (≤100); undefined when it cannot. */
function split(name: Uint8Array): { prefix: Uint8Array; name: Uint8Array } | undefined {
  if (name.length <= 100) return { prefix: new Uint8Array(0), name };
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== 0x2f) continue;
    if (i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0) return { prefix: name.subarray(0, i), name: name.subarray(i + 1) };
  }
  return undefined;
}

function header(fields: { name: Uint8Array; prefix?: Uint8Array; mode: number; uid: number; gid: number; size: number; mtime: number; type: string; link?: Uint8Array; uname: string; gname: string }): Uint8Array {
  const h = new Uint8Array(BLOCK);
  put(h, 0, 100, fields.name);
  put(h, 100, 8, octal(fields.mode & 0o7777, 8));
  put(h, 108, 8, octal(fields.uid, 8));
  put(h, 116, 8, octal(fields.gid, 8));
  put(h, 124, 12, octal(fields.size, 12));
  put(h, 136, 12, octal(fields.mtime, 12));
  put(h, 148, 8, '        '); // the checksum is computed with its own field as spaces
  put(h, 156, 1, fields.type);
  if (fields.link) put(h, 157, 100, fields.link);
  put(h, 257, 6, 'ustar\0');
  put(h, 263, 2, '00');
  put(h, 265, 32, fields.uname);
  put(h, 297, 32, fields.gname);
  if (fields.prefix) put(h, 345, 155, fields.prefix);
  let sum = 0;
  for (const b of h) sum += b;
  put(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/** One pax record: "<len> key=value\n", len counting itself. */
function record(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = enc.encode(body).length;
  let len = n + 1;
  while (String(len).length + n !== len) len = String(len).length + n;
  return `${len}${body}`;
}

const pad = (n: number): number => (BLOCK - (n % BLOCK)) % BLOCK;

/** The archive: members in the order given (callers sort them), then two zero blocks. */
export function writeTar(entries: readonly TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const name = enc.encode(e.name);
    const link = e.linkTarget === undefined ? undefined : enc.encode(e.linkTarget);
    const small = (x: number): boolean => x >= 0 && x < 0o7777777;
    const fitsName = split(name);
    const pax: string[] = [];
    if (fitsName === undefined) pax.push(record('path', e.name));
    if (link && link.length > 100) pax.push(record('linkpath', e.linkTarget!));
    if (enc.encode(e.uname).length > 31) pax.push(record('uname', e.uname));
    if (enc.encode(e.gname).length > 31) pax.push(record('gname', e.gname));
    if (!small(e.uid)) pax.push(record('uid', String(e.uid)));
    if (!small(e.gid)) pax.push(record('gid', String(e.gid)));
    if (pax.length > 0) {
      const body = enc.encode(pax.join(''));
      const base = e.name.split('/').pop()!.slice(0, 80);
      parts.push(header({ name: enc.encode(`PaxHeaders/${base}`), mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: e.mtime, type: 'x', uname: '', gname: '' }), body, new Uint8Array(pad(body.length)));
    }
    const n = fitsName ?? { prefix: new Uint8Array(0), name: name.subarray(Math.max(0, name.length - 100)) };
    const content = e.type === 'file' ? (e.content ?? new Uint8Array(0)) : new Uint8Array(0);
    parts.push(
      header({
        name: n.name,
        prefix: n.prefix,
        mode: e.mode,
        uid: small(e.uid) ? e.uid : 0,
        gid: small(e.gid) ? e.gid : 0,
        size: content.length,
        mtime: e.mtime,
        type: e.type === 'file' ? '0' : '2',
        ...(link && link.length <= 100 ? { link } : {}),
        uname: enc.encode(e.uname).length > 31 ? '' : e.uname,
        gname: enc.encode(e.gname).length > 31 ? '' : e.gname,
      }),
      content,
      new Uint8Array(pad(content.length)),
    );
  }
  parts.push(new Uint8Array(BLOCK * 2));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
