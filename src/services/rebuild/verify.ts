// verify: capture the target disks (read-only) under the manifest's own disk ids and compare
// their storage with the manifest's, difference by difference, in manifest paths.
import type { Manifest, Storage } from '../../core/manifest/types.gen.ts';
import { diffValues, type Difference } from '../../core/manifest/diff.ts';
import type { ReadOnlyRunner } from '../../core/runner/types.ts';
import { storageProviders } from '../../providers/registry.ts';
import { mergeStorage } from '../capture.ts';
import { selectStorage } from '../select.ts';

/**
 * What identifies the physical disk (serial, model, size, the /dev name) legitimately
 * differs on a new disk; everything that was *created* must be identical.
 */
export function comparable(storage: Storage | undefined): Storage {
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
  return s;
}

export async function verifyStorage(runner: ReadOnlyRunner, manifest: Manifest, targets: Readonly<Record<string, string>>): Promise<Difference[]> {
  const fixedIds = Object.fromEntries(Object.entries(targets).map(([id, path]) => [path.replace(/^\/dev\//, ''), id]));
  const ctx = await selectStorage(runner, { fixedIds });
  const parts = await Promise.all(storageProviders.map((p) => p.contribute(ctx)));
  const actual = mergeStorage(parts).storage;
  return diffValues(comparable(manifest.storage), comparable(actual), ['storage']);
}
