// Semantic diff of two manifests: what changed on the machine, in words, by manifest path.
// The structural work is core/manifest/diff.ts (diffValues: leaves by path, arrays of
// entries matched by identity); this module names the entities (a partition, a filesystem,
// a package, a dataset) and says what happened to them ("resized", "relabelled", "+htop").
// Paths name entries by identity, not position: storage.filesystems[disk0p1].label.
import { diffValues, type Difference } from '../../core/manifest/diff.ts';
import type { Manifest } from '../../core/manifest/types.gen.ts';

export type Section = 'host' | 'storage' | 'mounts' | 'boot' | 'packages' | 'etc' | 'dotfiles' | 'datasets' | 'other';

export interface Change {
  readonly section: Section;
  /** Manifest path; array entries by identity in brackets (storage.disks[disk0].partitions[disk0p2].size). */
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  /** The change in words, for a human. */
  readonly what: string;
  /** A few words for a one-line summary ("+htop", "disk0p1 relabelled"). */
  readonly brief: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});

/** A value in words: strings quoted, objects as compact JSON, absent as "(none)". */
export function show(v: unknown): string {
  if (v === undefined || v === null) return '(none)';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Byte counts the way an administrator reads them (binary units, one decimal). */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}

const seg = (s: string | number): string => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`);
const sub = (base: string, rel: readonly (string | number)[]): string => (base + rel.map(seg).join('')).replace(/^\./, '');
const at = (base: string, id: string | number): string => `${base}[${id}]`;

interface Entities {
  readonly added: Array<[string, Obj]>;
  readonly removed: Array<[string, Obj]>;
  readonly both: Array<[string, Obj, Obj]>;
}

/** Entries of two arrays paired by a key function (the entity's identity). */
function pair(before: unknown, after: unknown, key: (x: Obj) => string): Entities {
  const a = new Map(arr(before).filter(isObj).map((x) => [key(x), x] as const));
  const b = new Map(arr(after).filter(isObj).map((x) => [key(x), x] as const));
  return {
    removed: [...a].filter(([k]) => !b.has(k)),
    added: [...b].filter(([k]) => !a.has(k)),
    both: [...a].filter(([k]) => b.has(k)).map(([k, x]) => [k, x, b.get(k)!]),
  };
}

const idOf =
  (...fields: string[]) =>
  (x: Obj): string => {
    for (const f of fields) if (typeof x[f] === 'string' || typeof x[f] === 'number') return String(x[f]);
    return JSON.stringify(x);
  };

const isPrimitiveArray = (v: unknown): v is unknown[] => Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object');

function getPath(v: unknown, path: readonly (string | number)[]): unknown {
  let cur = v;
  for (const s of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return cur;
}

/**
 * diffValues, except that a list of plain values (features, options, mount flags) is one
 * leaf: "features +x −y" rather than one difference per shifted position.
 */
export function leafDiffs(a: unknown, b: unknown): Difference[] {
  const out = new Map<string, Difference>();
  for (const d of diffValues(a, b)) {
    let cut = d.path.length;
    for (let i = 0; i < d.path.length; i++) {
      const p = d.path.slice(0, i);
      if (typeof d.path[i] === 'number' && (isPrimitiveArray(getPath(a, p)) || getPath(a, p) === undefined) && (isPrimitiveArray(getPath(b, p)) || getPath(b, p) === undefined)) {
        cut = i;
        break;
      }
    }
    if (cut === d.path.length) {
      out.set(JSON.stringify(d.path), d);
      continue;
    }
    const path = d.path.slice(0, cut);
    out.set(JSON.stringify(path), { path, expected: getPath(a, path), actual: getPath(b, path) });
  }
  return [...out.values()];
}

/** One change per leaf that differs inside an entity, worded by `word`. */
function leaves(section: Section, base: string, a: unknown, b: unknown, word: (d: Difference, rel: string) => { what: string; brief: string }): Change[] {
  return leafDiffs(a, b).map((d) => {
    const rel = d.path.map(seg).join('').replace(/^\./, '');
    const { what, brief } = word(d, rel);
    const kind = d.expected === undefined ? 'added' : d.actual === undefined ? 'removed' : 'changed';
    return { section, path: sub(base, d.path), kind, what, brief, before: d.expected, after: d.actual };
  });
}

function fromTo(d: Difference): string {
  if (isPrimitiveArray(d.expected) && isPrimitiveArray(d.actual)) {
    const a = new Set(d.expected.map(String));
    const b = new Set(d.actual.map(String));
    const delta = [...[...b].filter((x) => !a.has(x)).map((x) => `+${x}`), ...[...a].filter((x) => !b.has(x)).map((x) => `−${x}`)];
    return delta.length ? delta.join(' ') : `reordered ${show(d.expected)} → ${show(d.actual)}`;
  }
  return `${show(d.expected)} → ${show(d.actual)}`;
}

/** Generic words for a leaf of a named entity: "<noun> <rel> 'a' → 'b'". */
const generic =
  (noun: string, brief: string) =>
  (d: Difference, rel: string): { what: string; brief: string } => ({ what: `${noun}: ${rel || 'value'} ${fromTo(d)}`, brief: `${brief} ${rel.split(/[.[]/)[0] || 'changed'}` });

/** added / removed / per-leaf changes for an array of entities. */
function entities(
  section: Section,
  base: string,
  before: unknown,
  after: unknown,
  key: (x: Obj) => string,
  words: {
    readonly noun: (id: string, x: Obj) => string;
    readonly leaf?: (id: string, a: Obj, b: Obj) => (d: Difference, rel: string) => { what: string; brief: string };
    readonly inner?: (id: string, a: Obj, b: Obj) => Change[];
  },
): Change[] {
  const e = pair(before, after, key);
  const out: Change[] = [];
  for (const [id, x] of e.removed) out.push({ section, path: at(base, id), kind: 'removed', what: `${words.noun(id, x)} removed`, brief: `${id} removed`, before: x });
  for (const [id, x] of e.added) out.push({ section, path: at(base, id), kind: 'added', what: `${words.noun(id, x)} added`, brief: `${id} added`, after: x });
  for (const [id, a, b] of e.both) {
    if (words.inner) {
      out.push(...words.inner(id, a, b));
      continue;
    }
    out.push(...leaves(section, at(base, id), a, b, words.leaf ? words.leaf(id, a, b) : generic(words.noun(id, a), id)));
  }
  return out;
}

function omit(x: Obj, ...keys: string[]): Obj {
  const out = { ...x };
  for (const k of keys) delete out[k];
  return out;
}

// ---- storage ---------------------------------------------------------------------------

function sectorsToBytes(n: unknown, sector: number): string {
  return typeof n === 'number' ? `${bytes(n * sector)} (${n} sectors)` : show(n);
}

function diskChanges(before: unknown, after: unknown): Change[] {
  return entities('storage', 'storage.disks', before, after, idOf('id'), {
    noun: (id, x) => `disk ${id}${typeof obj(x.match).sizeBytes === 'number' ? ` (${bytes(obj(x.match).sizeBytes as number)})` : ''}`,
    inner: (id, a, b) => {
      const sector = typeof b.logicalSectorSize === 'number' ? b.logicalSectorSize : 512;
      const base = at('storage.disks', id);
      const parts = entities('storage', `${base}.partitions`, a.partitions, b.partitions, idOf('id', 'number'), {
        noun: (pid, p) => `partition ${pid}${typeof p.size === 'number' ? ` (${bytes(p.size * sector)})` : ''}`,
        leaf: (pid) => (d, rel) => {
          if (rel === 'size') return { what: `partition ${pid} resized ${sectorsToBytes(d.expected, sector)} → ${sectorsToBytes(d.actual, sector)}`, brief: `${pid} resized` };
          if (rel === 'start') return { what: `partition ${pid} moved: starts at sector ${show(d.expected)} → ${show(d.actual)}`, brief: `${pid} moved` };
          if (rel === 'type') return { what: `partition ${pid} type ${fromTo(d)}`, brief: `${pid} type` };
          if (rel === 'name') return { what: `partition ${pid} renamed ${fromTo(d)}`, brief: `${pid} renamed` };
          return generic(`partition ${pid}`, pid)(d, rel);
        },
      });
      const rest = leaves('storage', base, omit(a, 'partitions'), omit(b, 'partitions'), (d, rel) =>
        rel.startsWith('table') ? { what: `disk ${id} partition table: ${rel} ${fromTo(d)}`, brief: `${id} table` } : generic(`disk ${id}`, id)(d, rel),
      );
      return [...rest, ...parts];
    },
  });
}

function filesystemChanges(before: unknown, after: unknown): Change[] {
  return entities('storage', 'storage.filesystems', before, after, idOf('on'), {
    noun: (on, x) => `${typeof x.type === 'string' ? x.type : 'filesystem'} filesystem on ${on}`,
    leaf: (on, a) => (d, rel) => {
      const noun = `${typeof a.type === 'string' ? a.type : ''} filesystem on ${on}`.trim();
      if (rel === 'label') return { what: `${noun} relabelled ${fromTo(d)}`, brief: `${on} relabelled` };
      if (rel === 'uuid') return { what: `${noun} has a new UUID ${fromTo(d)}`, brief: `${on} new UUID` };
      if (rel === 'type') return { what: `filesystem on ${on} reformatted ${fromTo(d)}`, brief: `${on} reformatted` };
      return { what: `${noun}: creation parameter ${rel} ${fromTo(d)}`, brief: `${on} params` };
    },
  });
}

function storageChanges(a: Obj, b: Obj): Change[] {
  const sa = obj(a.storage);
  const sb = obj(b.storage);
  const out = [
    ...diskChanges(sa.disks, sb.disks),
    ...entities('storage', 'storage.mdraid', sa.mdraid, sb.mdraid, idOf('id', 'uuid'), { noun: (id, x) => `md RAID ${id}${typeof x.level === 'string' ? ` (${x.level})` : ''}` }),
    ...entities('storage', 'storage.luks', sa.luks, sb.luks, idOf('id', 'uuid'), { noun: (id, x) => `LUKS${typeof x.version === 'number' ? x.version : ''} ${id}${typeof x.on === 'string' ? ` on ${x.on}` : ''}` }),
    ...entities('storage', 'storage.lvm.vgs', obj(sa.lvm).vgs, obj(sb.lvm).vgs, idOf('name', 'uuid'), {
      noun: (vg) => `LVM volume group ${vg}`,
      inner: (vg, x, y) => [
        ...leaves('storage', at('storage.lvm.vgs', vg), omit(x, 'lvs'), omit(y, 'lvs'), generic(`LVM volume group ${vg}`, vg)),
        ...entities('storage', `${at('storage.lvm.vgs', vg)}.lvs`, x.lvs, y.lvs, idOf('name', 'id'), {
          noun: (lv, l) => `logical volume ${vg}/${lv}${typeof l.size === 'number' ? ` (${bytes(l.size)})` : ''}`,
          leaf: (lv) => (d, rel) =>
            rel === 'size'
              ? { what: `logical volume ${vg}/${lv} resized ${typeof d.expected === 'number' ? bytes(d.expected) : show(d.expected)} → ${typeof d.actual === 'number' ? bytes(d.actual) : show(d.actual)}`, brief: `${vg}/${lv} resized` }
              : generic(`logical volume ${vg}/${lv}`, `${vg}/${lv}`)(d, rel),
        }),
      ],
    }),
    ...filesystemChanges(sa.filesystems, sb.filesystems),
    ...entities('storage', 'storage.swap', sa.swap, sb.swap, idOf('on', 'uuid'), { noun: (on) => `swap on ${on}` }),
  ];
  // Anything else under storage (a new kind of section): still reported, by path.
  const known = new Set(['disks', 'mdraid', 'luks', 'lvm', 'filesystems', 'swap']);
  out.push(...leaves('storage', 'storage', omitKnown(sa, known), omitKnown(sb, known), generic('storage', 'storage')));
  return out;
}

function omitKnown(x: Obj, known: ReadonlySet<string>): Obj {
  return Object.fromEntries(Object.entries(x).filter(([k]) => !known.has(k)));
}

// ---- packages --------------------------------------------------------------------------

function setChange(section: Section, path: string, before: unknown, after: unknown, words: { add: (x: string) => string; remove: (x: string) => string; brief: (sign: '+' | '−', x: string) => string }): Change[] {
  const a = new Set(arr(before).map(String));
  const b = new Set(arr(after).map(String));
  const out: Change[] = [];
  for (const x of [...b].filter((x) => !a.has(x)).sort()) out.push({ section, path, kind: 'added', what: words.add(x), brief: words.brief('+', x), after: x });
  for (const x of [...a].filter((x) => !b.has(x)).sort()) out.push({ section, path, kind: 'removed', what: words.remove(x), brief: words.brief('−', x), before: x });
  return out;
}

function sourceLine(s: Obj): string {
  const list = (v: unknown): string => arr(v).map(String).join(' ');
  return `${s.enabled === false ? '(disabled) ' : ''}${list(s.types)} ${list(s.uris)} ${list(s.suites)} ${list(s.components)}`.replace(/\s+/g, ' ').trim() + (typeof s.file === 'string' ? ` [${s.file}]` : '');
}

function packageChanges(a: Obj, b: Obj): Change[] {
  const pa = obj(a.packages);
  const pb = obj(b.packages);
  const out: Change[] = [
    ...setChange('packages', 'packages.manual', pa.manual, pb.manual, {
      add: (p) => `package ${p} installed (manual)`,
      remove: (p) => `package ${p} no longer manually installed (removed, or marked auto)`,
      brief: (s, p) => `${s}${p}`,
    }),
    ...setChange('packages', 'packages.held', pa.held, pb.held, { add: (p) => `package ${p} held`, remove: (p) => `package ${p} no longer held`, brief: (s, p) => `hold ${s}${p}` }),
    ...setChange('packages', 'packages.foreignArchitectures', pa.foreignArchitectures, pb.foreignArchitectures, {
      add: (x) => `foreign architecture ${x} added`,
      remove: (x) => `foreign architecture ${x} removed`,
      brief: (s, x) => `arch ${s}${x}`,
    }),
    ...setChange('packages', 'packages.sources', arr(pa.sources).filter(isObj).map(sourceLine), arr(pb.sources).filter(isObj).map(sourceLine), {
      add: (x) => `apt source added: ${x}`,
      remove: (x) => `apt source removed: ${x}`,
      brief: (s) => `source ${s}`,
    }),
    ...entities('packages', 'packages.keys', pa.keys, pb.keys, idOf('file', 'path'), {
      noun: (k) => `apt key ${k}`,
      leaf: (k) => (d, rel) => (rel === 'sha256' ? { what: `apt key ${k} replaced (sha256 ${fromTo(d)})`, brief: 'key changed' } : generic(`apt key ${k}`, 'key')(d, rel)),
    }),
    ...entities('packages', 'packages.pins', pa.pins, pb.pins, (x) => `${String(x.file)}:${String(x.package)}`, { noun: (k) => `apt pin ${k}` }),
  ];
  if (pa.autoCount !== pb.autoCount) {
    out.push({ section: 'packages', path: 'packages.autoCount', kind: 'changed', what: `automatically installed packages: ${show(pa.autoCount)} → ${show(pb.autoCount)}`, brief: `auto ${show(pa.autoCount)}→${show(pb.autoCount)}`, before: pa.autoCount, after: pb.autoCount });
  }
  const known = new Set(['manual', 'held', 'foreignArchitectures', 'sources', 'keys', 'pins', 'autoCount']);
  out.push(...leaves('packages', 'packages', omitKnown(pa, known), omitKnown(pb, known), generic('packages', 'packages')));
  return out;
}

// ---- repos, datasets, boot, mounts, host -----------------------------------------------

const short = (v: unknown): string => (typeof v === 'string' && /^[0-9a-f]{40,64}$/.test(v) ? v.slice(0, 10) : show(v));

function etcChanges(a: Obj, b: Obj): Change[] {
  const ea = obj(a.repos).etc;
  const eb = obj(b.repos).etc;
  if (ea === undefined && eb === undefined) return [];
  if (ea === undefined || eb === undefined) {
    return [{ section: 'etc', path: 'repos.etc', kind: ea === undefined ? 'added' : 'removed', what: `/etc repository ${ea === undefined ? 'recorded' : 'no longer recorded'}`, brief: ea === undefined ? 'recorded' : 'gone', before: ea, after: eb }];
  }
  return leaves('etc', 'repos.etc', ea, eb, (d, rel) => {
    if (rel === 'commit') return { what: `/etc repository moved ${short(d.expected)} → ${short(d.actual)}`, brief: 'commit moved' };
    if (rel === 'dirty') return { what: d.actual === true ? '/etc has changes not yet committed to its repository' : '/etc repository is clean again', brief: d.actual === true ? 'dirty' : 'clean' };
    if (rel.startsWith('restoreFromElsewhere')) {
      const x = obj(d.actual ?? d.expected);
      const p = typeof x.path === 'string' ? x.path : rel;
      return { what: `secret ${p} ${d.actual === undefined ? 'no longer' : 'now'} listed as "restore from elsewhere"`, brief: 'secrets' };
    }
    return generic('/etc repository', 'repo')(d, rel);
  });
}

function dotfilesChanges(a: Obj, b: Obj): Change[] {
  return entities('dotfiles', 'repos.dotfiles', obj(a.repos).dotfiles, obj(b.repos).dotfiles, idOf('user', 'home'), {
    noun: (u) => `dotfiles repository of ${u}`,
    leaf: (u) => (d, rel) => {
      if (rel === 'commit') return { what: `dotfiles of ${u} moved ${short(d.expected)} → ${short(d.actual)}`, brief: `${u} moved` };
      if (rel === 'branch') return { what: `dotfiles of ${u} switched branch ${fromTo(d)}`, brief: `${u} branch` };
      if (rel === 'dirty') return { what: `dotfiles of ${u} ${d.actual === true ? 'have uncommitted changes' : 'are clean again'}`, brief: `${u} ${d.actual === true ? 'dirty' : 'clean'}` };
      return generic(`dotfiles of ${u}`, u)(d, rel);
    },
  });
}

function datasetChanges(a: Obj, b: Obj): Change[] {
  return entities('datasets', 'datasets', a.datasets, b.datasets, idOf('name', 'path'), {
    noun: (n) => `dataset ${n}`,
    inner: (n, x, y) => {
      const base = at('datasets', n);
      const out = leaves('datasets', base, omit(x, 'expect'), omit(y, 'expect'), generic(`dataset ${n} declaration`, n));
      const ea = obj(x.expect);
      const eb = obj(y.expect);
      const ds = diffValues(ea, eb);
      if (ds.length) {
        const words = ds.map((d) => {
          const k = String(d.path[0]);
          if (k === 'bytes' && typeof d.expected === 'number' && typeof d.actual === 'number') return `bytes ${bytes(d.expected)} → ${bytes(d.actual)}`;
          if (k === 'listingSha256') return 'listing hash changed';
          return `${k} ${fromTo(d)}`;
        });
        out.push({ section: 'datasets', path: `${base}.expect`, kind: 'changed', what: `dataset ${n} contents changed: ${words.join(', ')}`, brief: `${n} contents`, before: x.expect, after: y.expect });
      }
      return out;
    },
  });
}

function bootChanges(a: Obj, b: Obj): Change[] {
  const ba = obj(a.boot);
  const bb = obj(b.boot);
  return [
    ...leaves('boot', 'boot', omit(ba, 'efi'), omit(bb, 'efi'), (d, rel) => {
      if (rel.startsWith('cmdline.')) return { what: `kernel command line (${rel}) changed ${fromTo(d)}`, brief: 'cmdline' };
      if (rel === 'loader') return { what: `boot loader ${fromTo(d)}`, brief: 'loader' };
      if (rel.startsWith('initramfs')) return { what: `initramfs: ${rel.replace(/^initramfs\.?/, '') || 'tool'} ${fromTo(d)}`, brief: 'initramfs' };
      return generic('boot', 'boot')(d, rel);
    }),
    ...leaves('boot', 'boot.efi', omit(obj(ba.efi), 'entries'), omit(obj(bb.efi), 'entries'), generic('EFI', 'efi')),
    ...entities('boot', 'boot.efi.entries', obj(ba.efi).entries, obj(bb.efi).entries, idOf('number'), { noun: (n, x) => `EFI boot entry Boot${n}${typeof x.label === 'string' ? ` ${show(x.label)}` : ''}` }),
  ];
}

function mountChanges(a: Obj, b: Obj): Change[] {
  const ma = obj(a.mounts);
  const mb = obj(b.mounts);
  return [
    ...entities('mounts', 'mounts.fstab', ma.fstab, mb.fstab, idOf('file', 'spec'), { noun: (f) => `fstab entry for ${f}` }),
    ...entities('mounts', 'mounts.crypttab', ma.crypttab, mb.crypttab, idOf('name'), { noun: (n) => `crypttab entry ${n}` }),
  ];
}

const TOP = new Set(['apiVersion', 'host', 'storage', 'mounts', 'boot', 'packages', 'repos', 'datasets']);

/** Every change from `before` to `after`, in a fixed order (section, then path). */
export function semanticDiff(before: Manifest | Obj, after: Manifest | Obj): Change[] {
  const a = before as Obj;
  const b = after as Obj;
  const ra = obj(a.repos);
  const rb = obj(b.repos);
  return [
    ...leaves('host', 'host', a.host, b.host, (d, rel) => ({ what: `host ${rel} ${fromTo(d)}`, brief: rel })),
    ...(a.apiVersion !== b.apiVersion ? [{ section: 'other' as const, path: 'apiVersion', kind: 'changed' as const, what: `manifest format ${fromTo({ path: [], expected: a.apiVersion, actual: b.apiVersion })}`, brief: 'format', before: a.apiVersion, after: b.apiVersion }] : []),
    ...storageChanges(a, b),
    ...mountChanges(a, b),
    ...bootChanges(a, b),
    ...packageChanges(a, b),
    ...etcChanges(a, b),
    ...dotfilesChanges(a, b),
    ...leaves('other', 'repos', omitKnown(ra, new Set(['etc', 'dotfiles'])), omitKnown(rb, new Set(['etc', 'dotfiles'])), generic('repos', 'repos')),
    ...datasetChanges(a, b),
    ...leaves('other', '', omitKnown(a, TOP), omitKnown(b, TOP), (d, rel) => ({ what: `${rel} ${fromTo(d)}`, brief: rel })),
  ];
}
