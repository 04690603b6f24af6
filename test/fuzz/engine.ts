// The manifest fuzzer: seeded mutations of the example manifests (fast-check), each run
// through load → validate → plan in process, against blank disks that match the manifest.
// The property (issue 11): a manifest is either refused with a UserError, or it plans, and the
// plan's rendered commands stay in bounds (check.ts). Never another exception.
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { isUserError } from '../../src/core/errors.ts';
import { parseManifest } from '../../src/core/manifest/load.ts';
import type { Manifest } from '../../src/core/manifest/types.gen.ts';
import { PROJECT_ROOT } from '../../src/core/paths.ts';
import { computePlan, type TargetFacts } from '../../src/services/rebuild/plan.ts';
import type { BlockDevice } from '../../src/providers/storage/types.ts';
import type { DiskIdentity } from '../../src/providers/storage/disks/index.ts';
import { checkPlan, controlChar } from './check.ts';

export const TARGET = '/mnt/sysmanifest';

const EXAMPLES = ['laptop-luks-lvm.yaml', 'server-md-raid1.yaml', 'btrfs-desktop.yaml'].map((f) => ({
  file: f,
  value: JSON.parse(JSON.stringify(parseExample(f))) as unknown,
}));

function parseExample(f: string): unknown {
  return parseManifest(readFileSync(join(PROJECT_ROOT, 'manifests', f), 'utf8'), f);
}

// What an attacker or a careless hand writes into a value.
const hostileStrings = [
  '', ' ', '.', '..', '../..', '../vda', '/srv/../../../x', '/', '//', '/./x', 'a/../../b', '@/../..', '../../../../etc',
  'a\nb', 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B\nstart=1, size=9', 'x"y', "x'y", 'a,b', 'a=b', 'a b', 'name="x"', '\\', '\\x0a',
  '\u001b[2J\u001b[H', '\u0000', '\u007f', '\u0085', '\u202eabc', 'é', '😀', '\ud800', '-rf', '--help', '-', '$(reboot)', '`id`', ';rm -rf /', '*', '~',
  'disk0', 'disk0p1', 'disk0p2', 'disk0p3', 'disk1', 'md-boot', 'luks-disk0p3', 'laptop/root', 'vg0/../x', '#orphans_lvm2', 'linear', 'thin', 'thin-pool', 'raid1', 'striped',
  '0x0', '0xffffffff', '00000000-0000-0000-0000-000000000000', 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', '83', '5', 'f', 'ee', 'gpt', 'dos', 'ext4', 'btrfs', 'swap', 'none',
  'x'.repeat(300), 'y'.repeat(5000),
];
const hostileNumbers = [0, -1, 1, 2, 5, 7, 31, 33, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1023, 1024, 4095, 4096, 65536, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 40, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e21, 1.5, -0.5];

const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...hostileStrings) },
  { weight: 5, arbitrary: fc.constantFrom(...hostileNumbers) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [1, 2], { a: 1 }) },
);

export type Mutation =
  | { readonly op: 'set'; readonly at: number; readonly value: unknown }
  | { readonly op: 'nudge'; readonly at: number; readonly by: number }
  | { readonly op: 'sibling'; readonly at: number; readonly from: number }
  | { readonly op: 'copy' | 'swap' | 'alias'; readonly at: number; readonly from: number }
  | { readonly op: 'delete' | 'duplicate'; readonly at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: valueArb }) },
  // Plausible changes, so that many cases get past validation into the planners: a number
  // moved a little, or a value taken from another field of the same name (an id, a size).
  { weight: 4, arbitrary: fc.record({ op: fc.constant('nudge' as const), at: fc.nat(), by: fc.constantFrom(-1, 1, -512, 512, 2, 0.5, 4096) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('sibling' as const), at: fc.nat(), from: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('copy' as const, 'swap' as const, 'alias' as const), at: fc.nat(), from: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('delete' as const, 'duplicate' as const), at: fc.nat() }) },
);

export const caseArb = fc.record({ example: fc.nat({ max: EXAMPLES.length - 1 }), mutations: fc.array(mutationArb, { minLength: 1, maxLength: 4 }) });
export type FuzzCase = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

type Container = Record<string, unknown> | unknown[];
interface Slot {
  readonly parent: Container;
  readonly key: string | number;
}

/** Every value slot of a document, depth first (the root itself is not a slot). */
function slots(root: unknown): Slot[] {
  const out: Slot[] = [];
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) v.forEach((x, i) => (out.push({ parent: v, key: i }), stack.push(x)));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push({ parent: v as Record<string, unknown>, key: k }), stack.push(x);
  }
  return out;
}

const get = (s: Slot): unknown => (s.parent as Record<string | number, unknown>)[s.key];
const put = (s: Slot, v: unknown): void => {
  (s.parent as Record<string | number, unknown>)[s.key] = v;
};

/** The manifest text a case stands for: the example, mutated, written as YAML (aliases included). */
export function render(c: FuzzCase): string {
  const value = structuredClone(EXAMPLES[c.example]!.value);
  const aliases: [number, number][] = [];
  for (const m of c.mutations) {
    const all = slots(value);
    if (all.length === 0) break;
    const at = all[m.at % all.length]!;
    switch (m.op) {
      case 'set':
        put(at, structuredClone(m.value));
        break;
      case 'nudge': {
        const numbers = all.filter((x) => typeof get(x) === 'number');
        if (numbers.length === 0) break;
        const x = numbers[m.at % numbers.length]!;
        const v = get(x) as number;
        put(x, m.by === 2 || m.by === 0.5 ? Math.round(v * m.by) : v + m.by);
        break;
      }
      case 'sibling': {
        const named = all.filter((x) => typeof x.key === 'string');
        if (named.length === 0) break;
        const x = named[m.at % named.length]!;
        const same = named.filter((y) => y.key === x.key && y !== x);
        if (same.length) put(x, structuredClone(get(same[m.from % same.length]!)));
        break;
      }
      case 'copy':
        put(at, structuredClone(get(all[m.from % all.length]!)));
        break;
      case 'swap': {
        const other = all[m.from % all.length]!;
        const a = get(at);
        const b = get(other);
        // Swapping a node with its own ancestor would make a cycle: copy instead.
        put(at, structuredClone(b));
        put(other, structuredClone(a));
        break;
      }
      case 'alias':
        aliases.push([m.at, m.from]);
        break;
      case 'delete':
        if (Array.isArray(at.parent)) at.parent.splice(at.key as number, 1);
        else delete at.parent[at.key as string];
        break;
      case 'duplicate':
        if (Array.isArray(at.parent)) at.parent.splice(at.key as number, 0, structuredClone(get(at)));
        break;
    }
  }
  return withAliases(stringify(value, { lineWidth: 0 }), aliases);
}

/**
 * Anchors and aliases, written into the YAML text: the `from` line's value gets an anchor and
 * the `at` line's value becomes an alias to it — before or after the anchor (undefined), to a
 * scalar or a whole block, or to one of its own ancestors (recursive).
 */
function withAliases(text: string, pairs: readonly (readonly [number, number])[]): string {
  let lines = text.split('\n');
  const KEY = /^(\s*(?:- )?[A-Za-z0-9_]+:)( .*)?$/;
  pairs.forEach(([at, from], n) => {
    const keyed = lines.map((l, i) => (KEY.test(l) ? i : -1)).filter((i) => i >= 0);
    if (keyed.length === 0) return;
    const src = keyed[from % keyed.length]!;
    const dst = keyed[at % keyed.length]!;
    const [, key, value] = KEY.exec(lines[src]!)!;
    lines[src] = `${key} &a${n}${value ?? ''}`;
    const [, dkey, dvalue] = KEY.exec(lines[dst]!)!;
    lines[dst] = `${dkey} *a${n}`;
    if (dvalue === undefined) {
      // A block parent: its children (the more indented lines below it) go with it.
      const indent = (l: string): number => l.length - l.trimStart().length + (l.trimStart().startsWith('- ') ? 2 : 0);
      const own = indent(lines[dst]!);
      let end = dst + 1;
      while (end < lines.length && lines[end]!.trim() !== '' && lines[end]!.length - lines[end]!.trimStart().length >= own) end++;
      lines = [...lines.slice(0, dst + 1), ...lines.slice(end)];
    }
  });
  return lines.join('\n');
}

/** Blank disks that match the manifest's disks (by --map: the fuzzer tests planners, not matching). */
export function blankTargets(m: Manifest): { facts: TargetFacts; maps: { src: string; dev: string }[] } {
  const disks = m.storage?.disks ?? [];
  const devices: Record<string, BlockDevice> = {};
  const present: DiskIdentity[] = [];
  disks.forEach((d, i) => {
    const kname = `vd${i.toString(36)}z`;
    const sector = d.logicalSectorSize;
    devices[kname] = { kname, path: `/dev/${kname}`, kind: 'disk', majMin: `254:${i * 16}`, sizeBytes: d.match.sizeBytes, logicalSectorSize: sector, physicalSectorSize: d.physicalSectorSize, slaves: [], holders: [], removable: false, readOnly: false, probe: {} };
    present.push({ kname, path: `/dev/${kname}`, sizeBytes: d.match.sizeBytes, logicalSectorSize: sector, physicalSectorSize: d.physicalSectorSize });
  });
  const maps = disks.map((d, i) => ({ src: d.id, dev: `/dev/vd${i.toString(36)}z` }));
  return { facts: { inventory: { devices, mounts: [], swaps: [] }, present, resolve: (dev) => dev.replace(/^\/dev\//, '') }, maps };
}

export type Outcome = 'planned' | 'refused-manifest' | 'refused-plan';

/** One case: throws (with what went wrong) when the property does not hold. */
export function runCase(text: string): Outcome {
  let manifest: Manifest;
  try {
    manifest = parseManifest(text, 'fuzz.yaml');
  } catch (e) {
    if (!isUserError(e)) throw e;
    const bad = controlChar(e.message.replaceAll('\n', ' ') + (e.hint ?? ''));
    if (bad) throw new Error(`a refusal message carries the control character ${bad} to the terminal: ${JSON.stringify(e.message.slice(0, 300))}`);
    return 'refused-manifest';
  }
  const { facts, maps } = blankTargets(manifest);
  try {
    const sha = createHash('sha256').update(text).digest('hex');
    const plan = computePlan(manifest, sha, facts, { maps, wipe: [], target: TARGET });
    checkPlan(manifest, plan, TARGET);
    return 'planned';
  } catch (e) {
    if (!isUserError(e)) throw e;
    return 'refused-plan';
  }
}
