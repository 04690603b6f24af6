// verify: capture the target disks (read-only) under the manifest's own disk ids and compare
// their storage with the manifest's, difference by difference, in manifest paths.
import type { Manifest, Storage } from '../../core/manifest/types.gen.ts';
import { diffValues, type Difference } from '../../core/manifest/diff.ts';
import type { ReadOnlyRunner } from '../../core/runner/types.ts';
import { RUNTIME_FEATURES } from '../../providers/filesystems/ext/plan.ts';
import { storageProviders } from '../../providers/registry.ts';
import { mergeStorage } from '../capture.ts';
import { selectStorage } from '../select.ts';
import { grownManifest } from '../../providers/storage/disks/index.ts';
import { matchDisks, type MapOption } from './match.ts';
import { resolveGrow, type TargetFacts } from './plan.ts';

/**
 * What identifies the physical disk (serial, model, size, the /dev name) legitimately
 * differs on a new disk; everything that was *created* must be identical.
 */
export function comparable(storage: Storage | undefined, grown: ReadonlySet<string> = new Set()): Storage {
  const s = structuredClone(storage ?? {});
  for (const d of s.disks ?? []) {
    delete d.path;
    d.match = { sizeBytes: 0 };
    d.physicalSectorSize = 0;
  }
  // A rebuilt LUKS header has one keyslot (the rebuild passphrase) and no tokens: the others
  // are credentials whose secrets the manifest must not hold. The plan lists them as "not
  // recreated (re-enroll afterwards)" (providers/storage/luks/plan.ts); they are no difference.
  for (const v of s.luks ?? []) {
    delete v.keyslots;
    delete v.tokens;
  }
  // btrfs device UUIDs (UUID_SUB) cannot be chosen: mkfs.btrfs (6.2) has no option for them
  // and always makes new ones; the mkfs step says so in its title. They are no difference.
  for (const f of s.filesystems ?? []) for (const d of f.btrfs?.devices ?? []) delete (d as { uuid?: string }).uuid;
  // ext state the kernel keeps, not mkfs: needs_recovery while mounted (or after a crash),
  // orphan_present, and the journal's own features (journal_64bit, journal_checksum_v3),
  // which jbd2 sets the first time it uses the journal. A rebuilt tree is mounted under
  // --target before verify runs; an original was captured mounted or not.
  for (const f of s.filesystems ?? []) {
    if (!f.ext) continue;
    f.ext.features = f.ext.features.filter((x) => !RUNTIME_FEATURES.has(x));
    delete (f.ext as { journalFeatures?: string[] }).journalFeatures;
  }
  // A filesystem grown into an enlarged partition (--grow) differs exactly in what follows
  // from its size; everything mkfs decided otherwise must still match.
  for (const f of s.filesystems ?? []) {
    if (!grown.has(f.on) && !(f.devices ?? []).some((d) => grown.has(d))) continue;
    if (f.ext) {
      const e = f.ext as Partial<typeof f.ext>;
      delete e.blockCount;
      delete e.inodeCount;
      delete e.reservedBlockCount;
      delete e.reservedGdtBlocks;
    }
    if (f.xfs) {
      const x = f.xfs as { metadata: { agcount?: number }; data: { blocks?: number } };
      delete x.metadata.agcount;
      delete x.data.blocks;
    }
  }
  for (const w of s.swap ?? []) if (grown.has(w.on)) delete (w as { pages?: number }).pages;
  return s;
}

export async function verifyStorage(runner: ReadOnlyRunner, manifest: Manifest, targets: Readonly<Record<string, string>>, grown: ReadonlySet<string> = new Set()): Promise<Difference[]> {
  const fixedIds = Object.fromEntries(Object.entries(targets).map(([id, path]) => [path.replace(/^\/dev\//, ''), id]));
  const ctx = await selectStorage(runner, { fixedIds });
  const parts = await Promise.all(storageProviders.map((p) => p.contribute(ctx)));
  const actual = mergeStorage(parts).storage;
  return diffValues(comparable(manifest.storage, grown), comparable(actual, grown), ['storage']);
}

/**
 * The disks matched to the manifest (--map, else WWN/serial) and how their storage differs
 * from it: `verify` itself, and the guard of a boot stage run without the storage stage
 * (GRUB goes only onto disks that hold what the manifest describes).
 */
export async function matchAndVerifyDisks(runner: ReadOnlyRunner, manifest: Manifest, facts: TargetFacts, maps: readonly MapOption[], grow: readonly string[]): Promise<{ paths: Record<string, string>; differences: Difference[] }> {
  const targets = matchDisks(manifest.storage?.disks ?? [], facts.present, maps, facts.resolve);
  const paths = Object.fromEntries(Object.entries(targets).map(([id, k]) => [id, facts.inventory.devices[k]!.path]));
  const diskBytes = Object.fromEntries(Object.entries(targets).map(([id, k]) => [id, facts.inventory.devices[k]!.sizeBytes]));
  const grown = resolveGrow(manifest, grow);
  return { paths, differences: await verifyStorage(runner, grownManifest(manifest, diskBytes, grown), paths, grown) };
}
