// Datasets are declarations the user writes into the manifest; capture keeps every declared
// field and only recomputes `expect` from what is on disk. It writes a cache file (see
// expect.ts), so it is called by the capture service, not by a read-only provider.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../../../core/manifest/types.gen.ts';
import { computeExpect } from './expect.ts';

/** Where the cache of one dataset lives: ROOT/var/cache/sysmanifest/datasets/<name>-<hash of path>.json. */
export function defaultCachePath(root: string, d: Pick<Dataset, 'name' | 'path'>): string {
  const h = createHash('sha256').update(d.path).digest('hex').slice(0, 12);
  return join(root, 'var/cache/sysmanifest/datasets', `${d.name}-${h}.json`);
}

export interface DatasetCaptureResult {
  readonly datasets: Dataset[];
  /** Datasets whose path is absent on this system: their previous `expect` is kept unchanged. */
  readonly absent: string[];
}

export async function captureDatasets(
  declared: readonly Dataset[],
  options: { readonly root: string; readonly cachePath?: (d: Dataset) => string; readonly statFiles?: boolean },
): Promise<DatasetCaptureResult> {
  const datasets: Dataset[] = [];
  const absent: string[] = [];
  for (const d of declared) {
    const hostPath = join(options.root, d.path);
    if (!existsSync(hostPath)) {
      // An unplugged disk or an unmounted share is not a change of the dataset.
      absent.push(d.name);
      datasets.push({ ...d });
      continue;
    }
    const expect = await computeExpect(hostPath, {
      ...(d.include ? { include: d.include } : {}),
      ...(d.exclude ? { exclude: d.exclude } : {}),
      cachePath: (options.cachePath ?? ((x: Dataset) => defaultCachePath(options.root, x)))(d),
      skipTopGit: d.kind === 'git-annex',
      ...(options.statFiles ? { statFiles: true } : {}),
    });
    datasets.push({ ...d, expect });
  }
  return { datasets, absent };
}
