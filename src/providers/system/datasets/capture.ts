// Datasets are declarations the user writes into the manifest; capture keeps every declared
// field and only recomputes `expect` from what is on disk. It writes a cache file (see
// expect.ts), so it is called by the capture service, not by a read-only provider.
import { createHash } from 'node:crypto';
import { childInside, checkManifestPath, resolveInRoot } from '../../../core/confine/index.ts';
import type { Dataset } from '../../../core/manifest/types.gen.ts';
import { computeExpect } from './expect.ts';

/** The host's cache directory. Never inside --root: capture does not write into the system it reads. */
export const CACHE_DIR = '/var/cache/sysmanifest/datasets';

/**
 * Where the cache of one dataset lives: CACHE_DIR/<name>-<hash>.json, the hash of its path
 * (and of the root, for a --root capture, so that two roots never share a cache). The name
 * is one file name (core/confine: a name such as "../x" is refused).
 */
export function defaultCachePath(root: string, d: Pick<Dataset, 'name' | 'path'>, where = 'datasets[].name'): string {
  const h = createHash('sha256').update(root === '/' ? d.path : `${root}\0${d.path}`).digest('hex').slice(0, 12);
  return childInside(CACHE_DIR, `${d.name}-${h}.json`, where);
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
  for (const [i, d] of declared.entries()) {
    // A declared path is a path of the captured system: checked, then resolved inside the
    // root (a symlink in it leads to the root's files, never the host's).
    const found = await resolveInRoot(options.root, checkManifestPath(d.path, `datasets[${i}].path`));
    if (found === undefined || found.stat.type !== 'dir') {
      // An unplugged disk or an unmounted share is not a change of the dataset.
      absent.push(d.name);
      datasets.push({ ...d });
      continue;
    }
    const expect = await computeExpect(found.path, {
      ...(d.include ? { include: d.include } : {}),
      ...(d.exclude ? { exclude: d.exclude } : {}),
      cachePath: (options.cachePath ?? ((x: Dataset) => defaultCachePath(options.root, x, `datasets[${i}].name`)))(d),
      skipTopGit: d.kind === 'git-annex',
      ...(options.statFiles ? { statFiles: true } : {}),
    });
    datasets.push({ ...d, expect });
  }
  return { datasets, absent };
}
