// The contract every provider folder fulfils (see src/providers/README.md).
import type { ReadOnlyRunner } from '../core/runner/types.ts';
import type { Manifest, Mounts, Storage } from '../core/manifest/types.gen.ts';
import type { PlanContext } from '../core/plan/context.ts';
import type { Step } from '../core/plan/types.ts';
import type { IdentityMap } from '../core/plan/identity-map.ts';
import type { IdMap, Inventory } from './storage/types.ts';
import type { EtcTree } from './system/etc/tree.ts';

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
  /**
   * The /etc tree (what the /etc repository holds), computed at most once per capture and
   * shared by the etc provider and the merge bases recorded beside the manifest.
   */
  readonly etcTree?: () => Promise<EtcTree>;
}

/**
 * The rebuild stages after storage, in the order a plain `rebuild MANIFEST` runs them
 * (DESIGN.md "Rebuild stages"; issue 12). Each is a list of steps in the one journal.
 */
export const SYSTEM_STAGES = ['base', 'packages', 'etc', 'users', 'homes', 'boot', 'datasets'] as const;
export type SystemStage = (typeof SYSTEM_STAGES)[number];

/**
 * What a system-stage planner gets: pure data, like PlanContext for storage. Its steps run on
 * the live system; a command meant for the target system runs as
 * ['chroot', target, …] (the binds of /proc, /sys, /dev are runtime steps of the rebuild
 * service, redone on resume). Paths inside the target are joined with core/confine's
 * joinInside(target, …), never by hand.
 */
export interface SystemPlanContext {
  readonly manifest: Manifest;
  /** Where the target's root filesystem is mounted (--target, default /mnt/sysmanifest). */
  readonly target: string;
  /** The manifest's folder in the manifest repository (hosts/NAME): its side files (apt keys). */
  readonly hostDir: string;
  /** --mirror URLs (file:// included) that replace the captured sources for the install; [] = the captured ones. */
  readonly mirrors: readonly string[];
  /** --cache DIR: the apt archive cache shared by every stage and every attempt. */
  readonly cacheDir: string;
  /** Files handed over on the command line: secrets (--secrets), identity (--identity), dotfiles (--dotfiles-from). */
  readonly inputs: Readonly<Partial<Record<'secrets' | 'identity' | 'dotfiles', string>>>;
  /** --new-identities: the old and new storage identities (the etc stage rewrites /etc's references). */
  readonly identities?: IdentityMap;
  /**
   * --release NAME: the manifest above is already retargeted to NAME; the etc and homes stages
   * merge (sysmanifest merge) instead of checking the captured files out. `manifestFile`: the
   * captured manifest the merges read.
   */
  readonly release?: { readonly from: string; readonly to: string; readonly manifestFile: string };
}

export interface SystemProvider {
  readonly name: string;
  readonly area: 'system';
  readonly tools: readonly string[];
  contribute(ctx: SystemContext): Promise<Partial<Manifest>>;
  /** The rebuild stage this provider plans for, if any. */
  readonly stage?: SystemStage;
  /** Pure: the steps of its stage (see SystemPlanContext). */
  plan?(ctx: SystemPlanContext): Step[];
}
