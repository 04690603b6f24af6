// `sysmanifest internal dataset-restore` (the datasets stage of a rebuild): one dataset, from
// the plan's entry on stdin, back into the target tree at its path. The entry is checked again
// as a manifest (schema and rules: confined paths, targets), the path is joined inside the
// target and every component that already exists must be a real directory (a symlink in the
// rebuilt tree is never followed out of it), then services/datasets/sync.ts restoreDataset does
// the work and verifies against `expect`. btrfs: the snapshot is received into the dataset's
// snapshot directory inside the target, so the rebuilt machine's first sync is incremental.
import { lstat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { joinInside } from '../../core/confine/index.ts';
import { parseManifest } from '../../core/manifest/load.ts';
import type { MutatingRunner } from '../../core/runner/types.ts';
import { snapshotDirOf } from './btrfs.ts';
import { restoreDataset, type RestoreResult } from './sync.ts';

export async function restoreIntoTarget(runner: MutatingRunner, target: string, stdin: string, onLine?: (l: string) => void): Promise<RestoreResult> {
  let spec: { dataset?: unknown };
  try {
    spec = JSON.parse(stdin) as { dataset?: unknown };
  } catch {
    throw new UserError('USAGE', 'internal dataset-restore: stdin is not the JSON the datasets stage writes');
  }
  // JSON is YAML: the entry goes through the same schema and rules as a manifest file.
  const m = parseManifest(JSON.stringify({ apiVersion: 'sysmanifest/v1', host: { hostname: 'rebuild' }, datasets: [spec.dataset] }), 'the datasets stage entry (stdin)');
  const d = m.datasets![0]!;
  const to = joinInside(target, d.path, `datasets (${d.name}).path`);
  for (let p = dirname(to); p.length > target.length; p = dirname(p)) {
    const st = await lstat(p).catch(() => undefined);
    if (st && !st.isDirectory()) throw new UserError('REFUSED', `${p} in the rebuilt tree is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}: dataset ${d.name} is not restored through it`, { hint: `restore it by hand where it belongs (sysmanifest datasets restore ${d.name} --to DIR)` });
  }
  const snapshotDir = d.kind === 'btrfs' ? joinInside(target, snapshotDirOf(d.path, d.name, d.snapshotDir), `datasets (${d.name}).snapshotDir`) : undefined;
  return restoreDataset(runner, m, { name: d.name, to, ...(snapshotDir ? { snapshotDir } : {}), ...(onLine ? { onLine } : {}) });
}
