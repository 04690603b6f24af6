// Cross-field rules the schema cannot express, as one list of small functions. Each returns
// issues located by manifest path. They read the manifest loosely (records), so that a rule
// never crashes on a document that passed the schema but is odd in a way the rule does not
// care about.
import type { Manifest } from './types.gen.ts';
import { manifestPathRules } from '../confine/manifest-rules.ts';

export interface RuleIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

type Rec = Record<string, unknown>;
const arr = (v: unknown): Rec[] => (Array.isArray(v) ? (v as Rec[]) : []);
const rec = (v: unknown): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

interface Declared {
  readonly id: string;
  readonly path: (string | number)[];
}

/** Every block-device id the manifest declares, with where it is declared. */
export function declaredIds(m: Manifest): Declared[] {
  const s = rec(m.storage);
  const out: Declared[] = [];
  arr(s.disks).forEach((d, i) => {
    if (typeof d.id === 'string') out.push({ id: d.id, path: ['storage', 'disks', i, 'id'] });
    arr(d.partitions).forEach((p, j) => {
      if (typeof p.id === 'string') out.push({ id: p.id, path: ['storage', 'disks', i, 'partitions', j, 'id'] });
    });
  });
  for (const section of ['mdraid', 'luks'] as const)
    arr(s[section]).forEach((x, i) => {
      if (typeof x.id === 'string') out.push({ id: x.id, path: ['storage', section, i, 'id'] });
    });
  arr(rec(s.lvm).vgs).forEach((vg, i) =>
    arr(vg.lvs).forEach((lv, j) => {
      if (typeof vg.name === 'string' && typeof lv.name === 'string') out.push({ id: `${vg.name}/${lv.name}`, path: ['storage', 'lvm', 'vgs', i, 'lvs', j, 'name'] });
    }),
  );
  return out;
}

/** Every reference to a block-device id, with where it is made. */
export function references(m: Manifest): Declared[] {
  const s = rec(m.storage);
  const out: Declared[] = [];
  const ref = (v: unknown, path: (string | number)[]): void => {
    if (typeof v === 'string') out.push({ id: v, path });
  };
  arr(s.mdraid).forEach((md, i) => {
    arr(md.members).forEach((x, j) => ref(x.on, ['storage', 'mdraid', i, 'members', j, 'on']));
    arr(md.spares).forEach((x, j) => ref(typeof x === 'string' ? x : x.on, ['storage', 'mdraid', i, 'spares', j]));
  });
  arr(s.luks).forEach((l, i) => ref(l.on, ['storage', 'luks', i, 'on']));
  arr(rec(s.lvm).vgs).forEach((vg, i) => arr(vg.pvs).forEach((pv, j) => ref(pv.on, ['storage', 'lvm', 'vgs', i, 'pvs', j, 'on'])));
  arr(s.filesystems).forEach((f, i) => {
    ref(f.on, ['storage', 'filesystems', i, 'on']);
    arr(f.devices).forEach((d, j) => ref(typeof d === 'string' ? d : d.on, ['storage', 'filesystems', i, 'devices', j]));
  });
  arr(s.swap).forEach((w, i) => ref(w.on, ['storage', 'swap', i, 'on']));
  const mounts = rec(m.mounts);
  arr(mounts.fstab).forEach((e, i) => ref(e.device, ['mounts', 'fstab', i, 'device']));
  arr(mounts.crypttab).forEach((e, i) => ref(e.device, ['mounts', 'crypttab', i, 'device']));
  return out;
}

const uniqueIds = (m: Manifest): RuleIssue[] => {
  const seen = new Map<string, Declared>();
  const issues: RuleIssue[] = [];
  for (const d of declaredIds(m)) {
    const first = seen.get(d.id);
    if (first) issues.push({ path: d.path, message: `id "${d.id}" is declared twice (first at ${first.path.join('.')})` });
    else seen.set(d.id, d);
  }
  return issues;
};

const referencesResolve = (m: Manifest): RuleIssue[] => {
  const ids = new Set(declaredIds(m).map((d) => d.id));
  return references(m)
    .filter((r) => !ids.has(r.id))
    .map((r) => ({ path: r.path, message: `refers to "${r.id}", which is not declared anywhere in storage` }));
};

const partitionsFit = (m: Manifest): RuleIssue[] => {
  const issues: RuleIssue[] = [];
  arr(rec(m.storage).disks).forEach((d, i) => {
    const table = rec(d.table);
    const sector = num(d.logicalSectorSize) ?? 512;
    const size = num(rec(d.match).sizeBytes);
    const first = num(table.firstLba) ?? 1;
    const last = num(table.lastLba) ?? (size !== undefined ? Math.floor(size / sector) - 1 : undefined);
    const parts = arr(d.partitions);
    const isContainer = (p: Rec): boolean => p.kind === 'extended';
    parts.forEach((p, j) => {
      const start = num(p.start);
      const len = num(p.size);
      if (start === undefined || len === undefined) return;
      const here = ['storage', 'disks', i, 'partitions', j];
      if (start < first) issues.push({ path: [...here, 'start'], message: `starts at sector ${start}, before the first usable sector ${first}` });
      if (last !== undefined && start + len - 1 > last)
        issues.push({ path: [...here, 'size'], message: `ends at sector ${start + len - 1}, past the last usable sector ${last} of disk ${String(d.id)} (${start + len - 1 - last} sectors too many)` });
      parts.forEach((q, k) => {
        if (k <= j) return;
        const qs = num(q.start);
        const ql = num(q.size);
        if (qs === undefined || ql === undefined) return;
        // A logical partition lies inside its extended partition by design.
        if ((isContainer(p) && q.kind === 'logical') || (isContainer(q) && p.kind === 'logical')) return;
        if (start < qs + ql && qs < start + len)
          issues.push({ path: [...here, 'start'], message: `overlaps partition ${String(q.id ?? q.number)} (sectors ${qs}–${qs + ql - 1})` });
      });
    });
  });
  return issues;
};

export const RULES: ReadonlyArray<(m: Manifest) => RuleIssue[]> = [uniqueIds, referencesResolve, partitionsFit, manifestPathRules];

export function checkRules(m: Manifest): RuleIssue[] {
  return RULES.flatMap((r) => r(m));
}
