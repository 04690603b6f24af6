// Pure: which captured device an fstab / crypttab device spec names. Matched against the
// inventory's own probes (blkid -p UUID, LABEL, PART_ENTRY_UUID, PART_ENTRY_NAME), dm
// names and kernel names, so that it works without udev's /dev/disk links; where such a
// link exists on the running system (gathered as `links`), it wins.
import { splitLvmDmName } from '../ids.ts';
import type { BlockDevice, IdMap, Inventory } from '../types.ts';
import { naturalCompare } from '../../../core/natural.ts';

export interface ResolveFacts {
  readonly inventory: Inventory;
  readonly ids: IdMap;
  /** /dev/… spec → its symlink target on the running system (e.g. ../../sda2). */
  readonly links: Readonly<Record<string, string>>;
}

const TAG_KEYS: Readonly<Record<string, string>> = {
  UUID: 'UUID',
  LABEL: 'LABEL',
  PARTUUID: 'PART_ENTRY_UUID',
  PARTLABEL: 'PART_ENTRY_NAME',
};

const BY_DIR_KEYS: Readonly<Record<string, string>> = {
  'by-uuid': 'UUID',
  'by-label': 'LABEL',
  'by-partuuid': 'PART_ENTRY_UUID',
  'by-partlabel': 'PART_ENTRY_NAME',
};

// UUIDs are hex: a user may write them in either case (udev's by-partuuid links are lowercase).
const CASE_INSENSITIVE = new Set(['UUID', 'PART_ENTRY_UUID']);

/** udev escapes unsafe characters in /dev/disk/by-* names as \xHH (udev_util_encode_string). */
function udevUnescape(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function unquote(s: string): string {
  return /^(["']).*\1$/.test(s) ? s.slice(1, -1) : s;
}

const byId = (a: BlockDevice, b: BlockDevice, ids: IdMap): number => naturalCompare(ids[a.kname]!, ids[b.kname]!);

/** In-scope devices whose probe has key=value; several (a multi-device btrfs) → the first by id. */
function byProbe(f: ResolveFacts, key: string, value: string): string | undefined {
  const inScope = Object.values(f.inventory.devices).filter((d) => f.ids[d.kname] !== undefined);
  let hits = inScope.filter((d) => d.probe[key] === value);
  if (hits.length === 0 && CASE_INSENSITIVE.has(key)) hits = inScope.filter((d) => d.probe[key]?.toLowerCase() === value.toLowerCase());
  const first = hits.sort((a, b) => byId(a, b, f.ids))[0];
  return first ? f.ids[first.kname] : undefined;
}

function byKname(f: ResolveFacts, kname: string): string | undefined {
  return f.inventory.devices[kname] ? f.ids[kname] : undefined;
}

function byDm(f: ResolveFacts, match: (name: string, uuid: string) => boolean): string | undefined {
  const dev = Object.values(f.inventory.devices).find((d) => d.dm !== undefined && match(d.dm.name, d.dm.uuid));
  return dev ? f.ids[dev.kname] : undefined;
}

/** The manifest id a spec names, or undefined (pseudo/network filesystems, devices not captured). */
export function resolveSpec(spec: string, f: ResolveFacts): string | undefined {
  const tag = /^([A-Z]+)=(.*)$/.exec(spec);
  if (tag) {
    const key = TAG_KEYS[tag[1]!];
    return key === undefined ? undefined : byProbe(f, key, unquote(tag[2]!));
  }
  if (!spec.startsWith('/dev/')) return undefined;
  const link = f.links[spec];
  if (link !== undefined) {
    const viaLink = byKname(f, link.split('/').pop()!);
    if (viaLink !== undefined) return viaLink;
  }
  const rest = spec.slice('/dev/'.length);
  const by = /^disk\/(by-[a-z]+)\/(.+)$/.exec(rest);
  if (by) {
    const key = BY_DIR_KEYS[by[1]!];
    return key === undefined ? undefined : byProbe(f, key, udevUnescape(by[2]!));
  }
  if (rest.startsWith('mapper/')) return byDm(f, (name) => name === rest.slice('mapper/'.length));
  if (rest.startsWith('md/')) {
    const want = `md-${rest.slice('md/'.length)}`;
    return Object.values(f.ids).find((id) => id === want);
  }
  if (!rest.includes('/')) return byKname(f, rest);
  const parts = rest.split('/');
  if (parts.length === 2) {
    // /dev/VG/LV, the link LVM itself creates: the dm device named VG-LV (hyphens doubled).
    const [vg, lv] = parts as [string, string];
    return byDm(f, (name, uuid) => {
      const split = uuid.startsWith('LVM-') ? splitLvmDmName(name) : undefined;
      return split !== undefined && split.vg === vg && split.lv === lv;
    });
  }
  return undefined;
}
