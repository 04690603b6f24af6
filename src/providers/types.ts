// The contract every provider folder fulfils (see src/providers/README.md).
import type { ReadOnlyRunner } from '../core/runner/types.ts';
import type { Manifest, Mounts, Storage } from '../core/manifest/types.gen.ts';
import type { PlanContext } from '../core/plan/context.ts';
import type { Step } from '../core/plan/types.ts';
import type { IdMap, Inventory } from './storage/types.ts';

export interface StorageContext {
  readonly runner: ReadOnlyRunner;
  readonly inventory: Inventory;
  /** kname → manifest id for every device in scope (see storage/ids.ts). */
  readonly ids: IdMap;
  /** knames being captured: the chosen disks and everything built on them. */
  readonly scope: ReadonlySet<string>;
}

export interface StorageContribution {
  readonly storage?: Storage;
  readonly mounts?: Mounts;
}

export interface StorageProvider {
  readonly name: string;
  readonly area: 'storage' | 'filesystems';
  /** Programs the provider calls (for preflight and "install X" messages). */
  readonly tools: readonly string[];
  /** gather (read-only runner) → parse → capture (pure); returns its part of the manifest. */
  contribute(ctx: StorageContext): Promise<StorageContribution>;
  /**
   * Pure: the steps that recreate this provider's part of ctx.manifest on the target
   * (rebuild). Step ids are unique ("mkfs:disk0p2"); a step that makes a device usable is
   * named stepIds.device(id) (see core/plan/context.ts) so that the layers above can wait
   * for it through ctx.readyStep(id).
   */
  plan?(ctx: PlanContext): Step[];
}

export interface SystemContext {
  readonly runner: ReadOnlyRunner;
  /** Root of the system being captured: "/" normally, or --root DIR. */
  readonly root: string;
  /**
   * The manifest this capture replaces, when there is a valid one: what the user declared
   * in it (datasets, extra /etc exclusions) carries over into the new capture.
   */
  readonly previous?: Manifest;
}

export interface SystemProvider {
  readonly name: string;
  readonly area: 'system';
  readonly tools: readonly string[];
  contribute(ctx: SystemContext): Promise<Partial<Manifest>>;
}
