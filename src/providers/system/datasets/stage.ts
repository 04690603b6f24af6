// The datasets stage of a rebuild, pure: one step per dataset that has targets, run by
// `sysmanifest internal dataset-restore` (the entry on stdin), which restores the newest
// complete snapshot from the first reachable target into the target tree at the dataset's path
// and checks it against `expect` (services/datasets/sync.ts restoreDataset). Targets are read
// on the live system (a backup disk mounted there, `uuid:` found by findmnt). A dataset that is
// not `required` is deferrable: when no target is reachable the rebuild goes on, the step stays
// outstanding in the journal, and `rebuild --stage datasets --resume` runs exactly those.
// Datasets the rebuild cannot bring back (no targets) are named as notices.
import type { Dataset } from '../../../core/manifest/types.gen.ts';
import type { Step } from '../../../core/plan/types.ts';
import type { SystemPlanContext } from '../../types.ts';

export interface DatasetRestoreSpec {
  readonly dataset: Dataset;
}

export function planDatasets(ctx: SystemPlanContext, cli: readonly string[]): Step[] {
  const steps: Step[] = [];
  for (const d of ctx.manifest.datasets ?? []) {
    if (!datasetRestorable(d)) continue;
    steps.push({
      id: `datasets:${d.name}`,
      stage: 'datasets',
      title: `dataset ${d.name} (${d.kind}) into ${d.path} from ${d.targets!.join(' or ')}${d.required ? '' : ' (optional: outstanding if no target is reachable)'}`,
      argv: [...cli, 'internal', 'dataset-restore', '--target', ctx.target],
      input: { kind: 'text', text: `${JSON.stringify({ dataset: d } satisfies DatasetRestoreSpec)}\n` },
      risk: 'create',
      long: true,
      ...(d.required ? {} : { deferrable: true as const }),
      after: [],
    });
  }
  return steps;
}

export function datasetRestorable(d: Dataset): boolean {
  return (d.targets?.length ?? 0) > 0;
}

/** What the datasets stage leaves out, for the plan's notices. */
export function datasetNotices(datasets: readonly Dataset[]): string[] {
  return datasets.filter((d) => !datasetRestorable(d)).map((d) => `dataset ${d.name}: no targets declared, so no backup to restore ${d.path} from (datasets[].targets)`);
}
