// capture: gather facts with a read-only runner, build the manifest (pure), check it
// against the schema and rules, and only then write it (atomically) into the manifest
// repository. Nothing here can change a disk: it only ever holds a ReadOnlyRunner.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { dumpManifest } from '../core/manifest/dump.ts';
import { checkRules } from '../core/manifest/rules.ts';
import type { Manifest, Storage } from '../core/manifest/types.gen.ts';
import { formatPath, validateSchema } from '../core/manifest/validate.ts';
import { writeIfChanged } from '../core/repo/files.ts';
import { ensureRepo } from '../core/runner/git.ts';
import type { ReadOnlyRunner } from '../core/runner/types.ts';
import { provider as hostProvider } from '../providers/system/host/index.ts';
import { storageProviders, systemProviders } from '../providers/registry.ts';
import { selectStorage, type DiskSelection } from './select.ts';
import type { StorageContribution } from '../providers/types.ts';

export interface CaptureOptions extends DiskSelection {
  /** Root of the system whose packages, /etc and homes are read ("/" or --root DIR). */
  readonly root: string;
  /** Overrides the hostname read from the system. */
  readonly host?: string;
}

export function defaultRepo(): string {
  return process.getuid?.() === 0 ? '/var/lib/sysmanifest/repo' : join(homedir(), 'sysmanifest');
}

const byKey =
  <T>(key: (x: T) => string) =>
  (a: T, b: T): number =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/** Merge provider contributions into one storage section, in a fixed order. */
export function mergeStorage(parts: readonly StorageContribution[]): Pick<Manifest, 'storage' | 'mounts'> {
  const s: Required<Pick<Storage, 'disks' | 'mdraid' | 'luks' | 'filesystems' | 'swap'>> & { vgs: NonNullable<NonNullable<Storage['lvm']>['vgs']> } = {
    disks: [],
    mdraid: [],
    luks: [],
    vgs: [],
    filesystems: [],
    swap: [],
  };
  let mounts: Manifest['mounts'];
  for (const p of parts) {
    s.disks.push(...(p.storage?.disks ?? []));
    s.mdraid.push(...(p.storage?.mdraid ?? []));
    s.luks.push(...(p.storage?.luks ?? []));
    s.vgs.push(...(p.storage?.lvm?.vgs ?? []));
    s.filesystems.push(...(p.storage?.filesystems ?? []));
    s.swap.push(...(p.storage?.swap ?? []));
    if (p.mounts) mounts = p.mounts;
  }
  const storage: Storage = {};
  const rec = (x: unknown): Record<string, unknown> => x as Record<string, unknown>;
  if (s.disks.length) storage.disks = s.disks;
  if (s.mdraid.length) storage.mdraid = [...s.mdraid].sort(byKey((x) => String(rec(x).id)));
  if (s.luks.length) storage.luks = [...s.luks].sort(byKey((x) => String(rec(x).id)));
  if (s.vgs.length) storage.lvm = { vgs: [...s.vgs].sort(byKey((x) => String(rec(x).name))) };
  if (s.filesystems.length) storage.filesystems = [...s.filesystems].sort(byKey((x) => String(rec(x).on)));
  if (s.swap.length) storage.swap = [...s.swap].sort(byKey((x) => String(rec(x).on)));
  return { storage, ...(mounts ? { mounts } : {}) };
}

export async function buildManifest(runner: ReadOnlyRunner, options: CaptureOptions): Promise<Manifest> {
  const ctx = await selectStorage(runner, options);
  const systemCtx = { runner, root: options.root };
  const [host, storageParts, systemParts] = await Promise.all([
    hostProvider.contribute(systemCtx),
    Promise.all(storageProviders.map((p) => p.contribute(ctx))),
    Promise.all(systemProviders.map((p) => p.contribute(systemCtx))),
  ]);
  const manifest: Manifest = {
    apiVersion: 'sysmanifest/v1',
    host: options.host ? { ...host.host!, hostname: options.host } : host.host!,
    ...mergeStorage(storageParts),
  };
  for (const part of systemParts) Object.assign(manifest, part);
  return manifest;
}

/** A captured manifest that fails its own schema is a bug in a provider: never write it. */
export function assertValid(manifest: Manifest): void {
  const issues = [...validateSchema(manifest), ...checkRules(manifest)];
  if (issues.length > 0) {
    throw new Error(`captured manifest is invalid (a provider bug; nothing was written):\n${issues.map((i) => `  ${formatPath(i.path)}: ${i.message}`).join('\n')}`);
  }
}

export interface CaptureResult {
  readonly file: string;
  readonly status: 'new' | 'changed' | 'unchanged';
  readonly manifest: Manifest;
  readonly repoCreated: boolean;
}

export async function captureToRepo(runner: ReadOnlyRunner, options: CaptureOptions & { repo: string }): Promise<CaptureResult> {
  if (process.getuid?.() !== 0) {
    throw new UserError('NOT_ROOT', 'capture reads every disk and partition table and needs root', { hint: 'run it with sudo' });
  }
  const manifest = await buildManifest(runner, options);
  assertValid(manifest);
  const hostname = manifest.host.hostname;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(hostname)) {
    throw new UserError('USAGE', `host name ${JSON.stringify(hostname)} cannot be used as a folder name`, { hint: 'pass --host NAME' });
  }
  const repoCreated = await ensureRepo(options.repo);
  const file = join(options.repo, 'hosts', hostname, 'manifest.yaml');
  const status = await writeIfChanged(file, dumpManifest(manifest));
  return { file, status, manifest, repoCreated };
}
