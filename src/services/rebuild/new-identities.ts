// `rebuild --new-identities`: cloning a machine onto a second one. Every identity the storage
// stage creates — GPT disk GUIDs and MBR disk ids, PARTUUIDs, md array UUIDs, LUKS UUIDs, LVM
// PV/VG/LV UUIDs, filesystem and swap UUIDs, btrfs device UUIDs — gets a fresh random value of
// the same form, and every reference to an old one is rewritten the same way: in the manifest
// the rebuild plans from (so mkfs -U, luksFormat --uuid, the VG file, the sfdisk script, GRUB's
// root and the EFI entries take the new ones), and in the text files of the restored /etc
// (fstab, crypttab, mdadm.conf, resume=, default/grub …) by `internal etc-identities`. One map,
// kept in the rebuild's state directory (identities.json) so that --resume and a later
// `--stage boot` use the same values, and `verify --identity-map` reads it.
//
// A reference is found by its textual forms: a UUID in either case (PARTUUID=… lower case,
// sfdisk upper case), a vfat id as XXXX-XXXX, an md UUID as mdadm writes it (8:8:8:8) and as
// blkid prints it (8-4-4-4-12), an MBR disk id as 0x… and inside its partitions' PARTUUIDs
// (xxxxxxxx-NN), LVM UUIDs exactly (they are case-sensitive). A form only matches as a whole
// token (no letter or digit on either side), and keeps the case it was written in.
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { chmod, chown, lstat, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RootFs } from '../../core/confine/index.ts';
import { UserError } from '../../core/errors.ts';
import type { Manifest } from '../../core/manifest/types.gen.ts';

import type { IdentityMap } from '../../core/plan/identity-map.ts';

export type { IdentityChange, IdentityMap } from '../../core/plan/identity-map.ts';

type Form = 'uuid' | 'vfat' | 'md' | 'mbr' | 'lvm';

const FORMS: readonly [Form, RegExp][] = [
  ['uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i],
  ['vfat', /^[0-9a-f]{4}-[0-9a-f]{4}$/i],
  ['md', /^[0-9a-f]{8}(:[0-9a-f]{8}){3}$/i],
  ['mbr', /^0x[0-9a-f]{8}$/i],
  ['lvm', /^[A-Za-z0-9]{6}(-[A-Za-z0-9]{4}){5}-[A-Za-z0-9]{6}$/],
];

const formOf = (v: string): Form | undefined => FORMS.find(([, re]) => re.test(v))?.[0];
/** Written in upper case (its hex letters, 0x aside). */
const isUpper = (s: string): boolean => {
  const b = s.replace(/^0x/i, '');
  return /[A-F]/.test(b) && !/[a-f]/.test(b);
};
const isNull = (v: string): boolean => /^(0x)?[0:-]*$/i.test(v);

const LVM_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A fresh value of the same form as `old`, in the same case. */
function freshLike(old: string, form: Form, random: (n: number) => Uint8Array): string {
  const hex = (n: number): string => Buffer.from(random(n)).toString('hex');
  const upper = isUpper(old);
  const cased = (s: string): string => (upper ? s.toUpperCase() : s.toLowerCase());
  switch (form) {
    case 'uuid': {
      const b = random(16);
      b[6] = (b[6]! & 0x0f) | 0x40; // version 4
      b[8] = (b[8]! & 0x3f) | 0x80; // RFC 4122 variant
      const h = Buffer.from(b).toString('hex');
      return cased(`${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`);
    }
    case 'vfat': {
      const h = hex(4);
      return cased(`${h.slice(0, 4)}-${h.slice(4)}`);
    }
    case 'md': {
      const h = hex(16);
      return cased([0, 8, 16, 24].map((i) => h.slice(i, i + 8)).join(':'));
    }
    case 'mbr':
      return `0x${cased(hex(4))}`;
    case 'lvm': {
      const b = random(32);
      const s = [...b].map((x) => LVM_CHARS[x % LVM_CHARS.length]).join('');
      return [s.slice(0, 6), s.slice(6, 10), s.slice(10, 14), s.slice(14, 18), s.slice(18, 22), s.slice(22, 26), s.slice(26)].join('-');
    }
  }
}

/** Where the storage section keeps identities: these keys, and a partition table's id. */
const IDENTITY_KEYS = new Set(['uuid', 'journalUuid', 'metadataUuid']);

/**
 * A fresh identity for each one the manifest's storage gives its devices (the same old value
 * twice — a btrfs filesystem's UUID on each of its devices — gets one new value).
 */
export function freshIdentities(m: Manifest, random: (n: number) => Uint8Array = cryptoRandomBytes): IdentityMap {
  const byOld = new Map<string, IdentityMap['changes'][number]>();
  const changes: IdentityMap['changes'][number][] = [];
  const add = (path: string, value: string, partitions?: number[]): void => {
    if (isNull(value)) return;
    const form = formOf(value);
    if (form === undefined) {
      throw new UserError('REFUSED', `${path}: ${JSON.stringify(value)} is not an identity of a form sysmanifest can renew (UUID, vfat XXXX-XXXX, md 8:8:8:8, MBR 0x…, LVM); nothing was written`, {
        hint: 'rebuild without --new-identities, or correct the value in the manifest',
      });
    }
    const key = form === 'lvm' ? value : value.toLowerCase();
    if (byOld.has(key)) return;
    const change: IdentityMap['changes'][number] = { path, from: value, to: freshLike(value, form, random), ...(partitions ? { partitions } : {}) };
    byOld.set(key, change);
    changes.push(change);
  };
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const at = `${path}.${k}`;
        if (typeof x === 'string' && IDENTITY_KEYS.has(k)) add(at, x);
        else if (k === 'table' && x && typeof x === 'object' && typeof (x as { id?: unknown }).id === 'string') {
          const t = x as { id: string; type?: string };
          const parts = (v as { partitions?: { number: number }[] }).partitions?.map((p) => p.number);
          add(`${at}.id`, t.id, t.type === 'dos' || formOf(t.id) === 'mbr' ? parts ?? [] : undefined);
          walk(x, at);
        } else walk(x, at);
      }
    }
  };
  walk(m.storage ?? {}, 'storage');
  return { version: 1, changes };
}

interface Rewrite {
  readonly re: RegExp;
  readonly to: string;
  readonly keepCase: boolean;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every textual form of each change, longest first (an md UUID's forms before anything shorter). */
function rewrites(map: IdentityMap): Rewrite[] {
  const out: Rewrite[] = [];
  const push = (from: string, to: string, keepCase = true): void => void out.push({ re: new RegExp(`(?<![A-Za-z0-9])${escape(from)}(?![A-Za-z0-9])`, keepCase ? 'gi' : 'g'), to, keepCase });
  for (const c of map.changes) {
    const form = formOf(c.from);
    if (form === 'md') {
      push(c.from, c.to);
      const dashed = (v: string): string => {
        const h = v.replace(/:/g, '');
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      };
      push(dashed(c.from), dashed(c.to));
    } else if (form === 'mbr') {
      push(c.from, c.to);
      for (const n of c.partitions ?? []) {
        const nn = n.toString(16).padStart(2, '0');
        push(`${c.from.slice(2)}-${nn}`, `${c.to.slice(2)}-${nn}`);
      }
    } else push(c.from, c.to, form !== 'lvm');
  }
  return out.sort((a, b) => b.re.source.length - a.re.source.length);
}

/** `text` with every reference to an old identity replaced by the new one; `count` of them. */
export function rewriteIdentities(text: string, map: IdentityMap): { text: string; count: number } {
  let count = 0;
  let s = text;
  for (const r of rewrites(map)) {
    s = s.replace(r.re, (hit) => {
      count++;
      if (!r.keepCase) return r.to;
      const out = isUpper(hit) ? r.to.toUpperCase() : r.to.toLowerCase();
      return /^0x/i.test(r.to) ? `${hit.slice(0, 2)}${out.slice(2)}` : out;
    });
  }
  return { text: s, count };
}

/** The manifest as the clone has it: every string in it with the identities replaced. */
export function withIdentities<T>(value: T, map: IdentityMap): T {
  if (map.changes.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return rewriteIdentities(v, map).text;
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** identities.json (or --identity-map FILE), checked: it came from disk. */
export function parseIdentityMap(text: string, file: string): IdentityMap {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UserError('PARSE', `${file}: not JSON (${(e as Error).message})`, { hint: 'give the identities.json of the rebuild that made the disks (in its --state directory)' });
  }
  const o = v as Partial<IdentityMap>;
  if (!o || typeof o !== 'object' || o.version !== 1 || !Array.isArray(o.changes)) throw new UserError('PARSE', `${file}: not an identity map (version 1, changes: […])`);
  o.changes.forEach((c, i) => {
    const ok = c && typeof c === 'object' && typeof c.path === 'string' && typeof c.from === 'string' && typeof c.to === 'string' && formOf(c.from) !== undefined && formOf(c.from) === formOf(c.to)
      && (c.partitions === undefined || (Array.isArray(c.partitions) && c.partitions.every((n: unknown) => typeof n === 'number' && Number.isInteger(n) && n > 0 && n < 256)));
    if (!ok) throw new UserError('PARSE', `${file}: changes[${i}] is not {path, from, to} with two identities of one form`);
  });
  return { version: 1, changes: o.changes };
}

/** Larger files in /etc are not configuration that names a device: left alone. */
const MAX_REWRITE = 4 << 20;

export interface EtcRewrite {
  /** /etc paths rewritten, with how many references each. */
  readonly files: readonly { readonly path: string; readonly references: number }[];
}

/**
 * `internal etc-identities --target T` (the etc stage, after the checkout): every regular text
 * file of T/etc that names an old identity, rewritten with the new ones. The tree is walked
 * from /etc resolved inside T, never through a symlink (readdir's types are lstat's); a file is
 * replaced by a new one in its own directory (rename), with its owner and mode.
 */
export async function rewriteEtcIdentities(target: string, map: IdentityMap): Promise<EtcRewrite> {
  const etc = await new RootFs(target).resolve('/etc', false);
  if (etc === undefined || etc.stat.type !== 'dir') throw new UserError('REFUSED', `${target}/etc is not a directory: the /etc checkout did not happen`);
  const files: { path: string; references: number }[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p, `${rel}/${e.name}`);
      if (!e.isFile()) continue;
      const st = await lstat(p);
      if (st.size > MAX_REWRITE) continue;
      const bytes = await readFile(p);
      if (bytes.includes(0)) continue;
      // Identities are ASCII: latin1 maps every byte to one character and back, so the rest
      // of a file in any encoding is written back byte for byte.
      const r = rewriteIdentities(bytes.toString('latin1'), map);
      if (r.count === 0) continue;
      const tmp = join(dir, `.${e.name}.sysmanifest-${process.pid}`);
      await writeFile(tmp, Buffer.from(r.text, 'latin1'), { flag: 'wx', mode: st.mode & 0o7777 });
      await chown(tmp, st.uid, st.gid);
      await chmod(tmp, st.mode & 0o7777);
      await rename(tmp, p);
      files.push({ path: `${rel}/${e.name}`, references: r.count });
    }
  };
  await walk(etc.path, '/etc');
  return { files };
}
