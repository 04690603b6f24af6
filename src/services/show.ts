// show: the storage stack of a manifest as a tree one reads at a glance:
// disk → partition → luks → pv → vg → lv → filesystem → mountpoint, with sizes and labels.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadManifest } from '../core/manifest/load.ts';
import type { Manifest } from '../core/manifest/types.gen.ts';
import { humanBytes, type TreeNode } from '../ui/tree.ts';

type Rec = Record<string, unknown>;
const arr = (v: unknown): Rec[] => (Array.isArray(v) ? (v as Rec[]) : []);
const rec = (v: unknown): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const join_ = (...parts: Array<string | undefined | false>): string => parts.filter(Boolean).join('  ');
const quoted = (s: string | undefined): string | undefined => (s ? `"${s}"` : undefined);

export async function showManifest(file: string | undefined, repo: string): Promise<TreeNode[]> {
  return stackTree(await loadManifest(file ?? join(repo, 'hosts', hostname(), 'manifest.yaml')));
}

/** Mountpoints by device id, from fstab entries that were tied to an id at capture. */
function mountpoints(m: Manifest): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of arr(rec(m.mounts).fstab)) {
    const dev = str(e.device);
    const mp = str(e.mountpoint) ?? str(e.file);
    if (dev && mp) out.set(dev, [...(out.get(dev) ?? []), mp]);
  }
  return out;
}

export function stackTree(m: Manifest): TreeNode[] {
  const s = rec(m.storage);
  const mps = mountpoints(m);
  const shownVgs = new Set<string>();
  const shownMd = new Set<string>();

  const above = (id: string): TreeNode[] => {
    const kids: TreeNode[] = [];
    for (const f of arr(s.filesystems)) {
      const devs = arr(f.devices).map((d) => (typeof d === 'string' ? d : str(rec(d).on)));
      if (f.on !== id && !devs.includes(id)) continue;
      const b = rec(f.btrfs);
      const subvols = arr(b.subvolumes).map((sv) => ({
        label: join_(`subvol ${String(sv.path)}`, sv.readOnly === true && 'ro', sv.nodatacow === true && 'nodatacow', sv.path === b.defaultSubvolume && 'default', str(sv.snapshotOf) && `snapshot of ${String(sv.snapshotOf)}`),
      }));
      kids.push({
        label: join_(String(f.type), quoted(str(f.label)), str(f.uuid) && `uuid=${String(f.uuid)}`, mps.get(id)?.map((p) => `→ ${p}`).join(' '), f.unsupported !== undefined && `(unsupported: ${String(rec(f.unsupported).reason)})`),
        ...(f.on === id && subvols.length ? { children: subvols } : {}),
      });
    }
    for (const w of arr(s.swap)) if (w.on === id) kids.push({ label: join_('swap', quoted(str(w.label)), str(w.uuid) && `uuid=${String(w.uuid)}`) });
    for (const l of arr(s.luks)) {
      if (l.on !== id) continue;
      const lid = String(l.id);
      kids.push({ label: join_(`luks${String(l.version ?? '')}`, lid, str(l.mapping) && `(${String(l.mapping)})`, quoted(str(l.label)), str(l.cipher)), children: above(lid) });
    }
    for (const md of arr(s.mdraid)) {
      const members = [...arr(md.members).map((x) => str(x.on)), ...arr(md.spares).map((x) => (typeof x === 'string' ? x : str(x.on)))];
      if (!members.includes(id)) continue;
      const mid = String(md.id);
      if (shownMd.has(mid)) kids.push({ label: `member of ${mid}` });
      else {
        shownMd.add(mid);
        kids.push({ label: join_(mid, str(md.level), str(md.name) && `name=${String(md.name)}`, `${members.length} devices`), children: above(mid) });
      }
    }
    for (const vg of arr(rec(s.lvm).vgs)) {
      if (!arr(vg.pvs).some((pv) => pv.on === id)) continue;
      const name = String(vg.name);
      if (shownVgs.has(name)) {
        kids.push({ label: `pv of vg ${name}` });
        continue;
      }
      shownVgs.add(name);
      const lvs = arr(vg.lvs)
        .filter((lv) => lv.hidden !== true)
        .map((lv) => {
          const lvid = `${name}/${String(lv.name)}`;
          const size = num(lv.sizeBytes) ?? num(lv.size);
          return { label: join_(`lv ${lvid}`, size !== undefined && humanBytes(size), str(lv.segtype ?? lv.type)), children: above(lvid) };
        });
      kids.push({ label: join_(`pv → vg ${name}`, `${arr(vg.pvs).length} PV(s)`), children: lvs });
    }
    return kids;
  };

  return arr(s.disks).map((d) => {
    const id = String(d.id);
    const match = rec(d.match);
    const sector = num(d.logicalSectorSize) ?? 512;
    const table = rec(d.table);
    const size = num(match.sizeBytes);
    const parts = arr(d.partitions).map((p) => {
      const pid = String(p.id);
      const psize = num(p.size);
      return { label: join_(pid, psize !== undefined && humanBytes(psize * sector), quoted(str(p.name)), str(p.kind) !== 'primary' && str(p.kind)), children: above(pid) };
    });
    return {
      label: join_(id, str(d.path), size !== undefined && humanBytes(size), str(match.model), str(match.serial) && `serial=${String(match.serial)}`, str(table.type), d.unsupported !== undefined && `(unsupported: ${String(rec(d.unsupported).reason)})`),
      children: [...parts, ...above(id)],
    };
  });
}
