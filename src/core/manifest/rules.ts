// Cross-field rules the schema cannot express, as one list of small functions (one module
// per area under rules/). Each returns issues located by manifest path. They read the
// manifest loosely (records), so that a rule never crashes on a document that passed the
// schema but is odd in a way the rule does not care about. Every accepted manifest either
// plans or is refused here: the fuzzer (test/fuzz/) holds the planners to that.
import type { Manifest } from './types.gen.ts';
import { manifestPathRules } from '../confine/manifest-rules.ts';
import { datasetsRule } from './rules/datasets.ts';
import { disksRule } from './rules/disks.ts';
import { filesystemsRule, mountPointsRule } from './rules/fs.ts';
import { luksRule, lvmRule, mdRule, oneConsumerRule, uniqueIdentitiesRule } from './rules/stack.ts';
import { arr, rec, type RuleIssue } from './rules/util.ts';

export type { RuleIssue } from './rules/util.ts';

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
  arr(rec(s.lvm).vgs).forEach((vg, i) =>
    arr(vg.lvs).forEach((lv, j) => arr(lv.segments).forEach((seg, k) => arr(seg.areas).forEach((a, l) => ref(a.pv, ['storage', 'lvm', 'vgs', i, 'lvs', j, 'segments', k, 'areas', l, 'pv'])))),
  );
  arr(s.filesystems).forEach((f, i) => {
    ref(f.on, ['storage', 'filesystems', i, 'on']);
    arr(f.devices).forEach((d, j) => ref(typeof d === 'string' ? d : d.on, ['storage', 'filesystems', i, 'devices', j]));
    arr(rec(f.btrfs).devices).forEach((d, j) => ref(d.on, ['storage', 'filesystems', i, 'btrfs', 'devices', j, 'on']));
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

export const RULES: ReadonlyArray<(m: Manifest) => RuleIssue[]> = [
  uniqueIds,
  referencesResolve,
  disksRule,
  oneConsumerRule,
  mdRule,
  luksRule,
  lvmRule,
  uniqueIdentitiesRule,
  filesystemsRule,
  mountPointsRule,
  manifestPathRules,
  datasetsRule,
];

export function checkRules(m: Manifest): RuleIssue[] {
  return RULES.flatMap((r) => r(m));
}
