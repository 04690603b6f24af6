// capture: gather facts with a read-only runner, build the manifest (pure), check it
// against the schema and rules, and only then write it (atomically) into the manifest
// repository. Nothing here can change a disk: it only ever holds a ReadOnlyRunner.
import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { confinedRunner, writeSideFiles } from '../core/confine/index.ts';
import { isUserError, UserError } from '../core/errors.ts';
import { loadManifest } from '../core/manifest/load.ts';
import { dumpManifest } from '../core/manifest/dump.ts';
import { checkRules } from '../core/manifest/rules.ts';
import type { EtcRepo, Manifest, Storage } from '../core/manifest/types.gen.ts';
import { formatPath, validateSchema } from '../core/manifest/validate.ts';
import { writeIfChanged } from '../core/repo/files.ts';
import { formatBasesIndex, readBaseBlob, readBasesIndex, writeBases } from '../core/repo/bases.ts';
import { captureBases } from '../providers/system/etc/bases.ts';
import { computeEtcTree, type EtcTree } from '../providers/system/etc/tree.ts';
import { checkHostName } from '../core/repo/host.ts';
import { schemaRefFor, writeRepoSchemas } from '../core/repo/schemas.ts';
import { readAptKeyFiles } from '../providers/system/apt/index.ts';
import { captureDatasets } from '../providers/system/datasets/index.ts';
import { captureHost } from '../providers/system/host/capture.ts';
import { gatherHost } from '../providers/system/host/gather.ts';
import { ensureRepo } from '../core/runner/git.ts';
import type { ReadOnlyRunner } from '../core/runner/types.ts';
import { provider as hostProvider } from '../providers/system/host/index.ts';
import { storageProviders, systemProviders } from '../providers/registry.ts';
import { selectStorage, type DiskSelection } from './select.ts';
import type { StorageContribution, StorageProvider } from '../providers/types.ts';
import { createMountsProvider } from '../providers/storage/mounts/index.ts';
import { writeSecretsArchive, type SecretsOut, type SecretsWritten } from '../providers/system/secrets/index.ts';

export interface CaptureOptions extends DiskSelection {
  /** Root of the system whose packages, /etc and homes are read ("/" or --root DIR). */
  readonly root: string;
  /** Overrides the hostname read from the system. */
  readonly host?: string;
  /** 'storage': only the storage stack (with --stdout; never written to the repository half). */
  readonly only?: 'storage';
  /** --secrets-out: the age-encrypted archive of what the repositories must not hold. */
  readonly secretsOut?: SecretsOut;
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

/** Storage providers for a capture of `root`: fstab and crypttab are the captured system's, read inside it. */
function storageProvidersFor(root: string, files: ReadOnlyRunner): readonly StorageProvider[] {
  if (root === '/') return storageProviders;
  const mounts = createMountsProvider({ fstab: join(root, 'etc/fstab'), crypttab: join(root, 'etc/crypttab') }, files);
  return storageProviders.map((p) => (p.name === 'mounts' ? mounts : p));
}

/** System sections merge key by key; `repos` is shared by several providers (etc, dotfiles). */
export function mergeSystem(manifest: Manifest, parts: readonly Partial<Manifest>[]): Manifest {
  const out: Manifest = { ...manifest };
  for (const part of parts) {
    const { repos, ...rest } = part;
    if (rest.packages && out.packages) {
      // One package manager per system: two databases under one root is not a state to guess in.
      throw new UserError('PARSE', `two package managers claim this system: ${out.packages.manager} and ${rest.packages.manager}`, {
        hint: 'the root holds both databases (e.g. /var/lib/dpkg/status and /var/lib/pacman/local); capture a root that has one',
      });
    }
    Object.assign(out, rest);
    if (repos) out.repos = { ...out.repos, ...repos };
  }
  return out;
}

export async function buildManifest(runner: ReadOnlyRunner, options: CaptureOptions & { previous?: Manifest; etcTree?: () => Promise<EtcTree> }): Promise<Manifest> {
  if (options.only !== 'storage') await checkDpkgTree(runner, options.root);
  const ctx = await selectStorage(runner, options);
  // Every read of a --root tree goes through core/confine: paths resolve inside the root
  // (symlinks included), never to the host's files. "/" is the host itself: nothing to confine.
  const files = options.root === '/' ? runner : confinedRunner(runner, options.root);
  const systemCtx = { runner: files, root: options.root, ...(options.previous ? { previous: options.previous } : {}), ...(options.etcTree ? { etcTree: options.etcTree } : {}) };
  const [host, storageParts, systemParts] = await Promise.all([
    hostProvider.contribute(systemCtx),
    Promise.all(storageProvidersFor(options.root, files).map((p) => p.contribute(ctx))),
    Promise.all(options.only === 'storage' ? [] : systemProviders.map((p) => p.contribute(systemCtx))),
  ]);
  const manifest: Manifest = {
    apiVersion: 'sysmanifest/v1',
    host: options.host ? { ...host.host!, hostname: options.host } : host.host!,
    ...mergeStorage(storageParts),
  };
  const merged = mergeSystem(manifest, systemParts);
  if (!merged.packages && options.only !== 'storage' && resolve(options.root) !== '/') throw noPackageDatabase(options.root);
  return merged;
}

// Every supported system has a package database: a tree without one is not a system's root (a
// wrong --root, or one not mounted yet), and a manifest without packages would say otherwise.
function noPackageDatabase(root: string, missing?: string): UserError {
  return new UserError('USAGE', missing ? `${root} has an incomplete dpkg database: ${missing} is missing` : `${root} has no package database: it is not the root of an installed system`, {
    hint: `expected ${join(root, 'var/lib/dpkg/status')} and ${join(root, 'var/lib/dpkg/info/')} (Debian, Ubuntu), ${join(root, 'var/lib/pacman/local/')} (Arch) or dnf state in ${join(root, 'var/lib/dnf/')} (Fedora); give --root the directory where that system is mounted`,
  });
}

/** --root: a dpkg database is there whole (status and info/), before the providers read it. */
async function checkDpkgTree(runner: ReadOnlyRunner, root: string): Promise<void> {
  const dpkg = join(root, 'var/lib/dpkg');
  if (resolve(root) === '/' || !(await runner.exists(dpkg))) return;
  for (const need of [join(dpkg, 'status'), join(dpkg, 'info')]) if (!(await runner.exists(need))) throw noPackageDatabase(root, need);
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
  readonly secrets?: SecretsWritten;
  /** Merge bases written beside the manifest (hosts/HOST/bases/, issue 15). */
  readonly bases?: BasesWritten;
}

export interface BasesWritten {
  /** /etc bases recorded, /etc bases unavailable (the index says why), /etc/skel files. */
  readonly etc: number;
  readonly unavailable: number;
  readonly skel: number;
  /** Blobs written and removed in this capture. */
  readonly written: number;
  readonly removed: number;
  /** Whether index.json changed (or was new). */
  readonly indexChanged: boolean;
}

/**
 * The merge bases of the captured system (pristine conffiles, /etc/skel) into hosts/HOST/bases/.
 * The last capture's index is reused for unchanged package versions; one that cannot be read
 * (damaged, edited by hand) is simply not reused: this capture writes a good one.
 */
async function recordBases(runner: ReadOnlyRunner, root: string, hostDir: string, tree: EtcTree): Promise<BasesWritten> {
  const index = await readBasesIndex(hostDir).catch((e: unknown) => {
    if (isUserError(e)) return undefined;
    throw e;
  });
  const files = root === '/' ? runner : confinedRunner(runner, root);
  const captured = await captureBases({
    runner: files,
    root,
    tree,
    ...(index ? { previous: { index, read: (sha256: string) => readBaseBlob(hostDir, sha256) } } : {}),
    // Only the running system's apt may fetch a missing .deb; a --root tree's is never run.
    download: resolve(root) === '/',
  });
  const before = index === undefined ? undefined : formatBasesIndex(index);
  const w = await writeBases(hostDir, captured.index, captured.blobs);
  return { ...captured.counts, ...w, indexChanged: before !== formatBasesIndex(captured.index) };
}

/** The manifest already in the repository, if any: the user's declarations carry over. */
async function previousManifest(file: string): Promise<Manifest | undefined> {
  try {
    await access(file);
  } catch {
    return undefined;
  }
  try {
    return await loadManifest(file);
  } catch (e) {
    if (isUserError(e)) {
      throw new UserError(e.code, `the manifest already in the repository is not valid, and capture would lose what it declares:\n${e.message}`, {
        hint: `fix ${file} (sysmanifest validate ${file}), or move it away to start afresh`,
      });
    }
    throw e;
  }
}

export interface CaptureToRepoOptions extends CaptureOptions {
  readonly repo: string;
  /**
   * capture --commit: brings the /etc repository up to date before gathering (the caller's
   * closure holds the MutatingRunner; this service never does) and returns repos.etc to use.
   * Called with the host name and the manifest being replaced (for its repos.etc.exclude).
   */
  readonly syncEtc?: (hostname: string, previous: Manifest | undefined) => Promise<EtcRepo>;
}

export async function captureToRepo(runner: ReadOnlyRunner, options: CaptureToRepoOptions): Promise<CaptureResult> {
  if (process.getuid?.() !== 0) {
    throw new UserError('NOT_ROOT', 'capture reads every disk and partition table and needs root', { hint: 'run it with sudo' });
  }
  // The name becomes hosts/NAME/: checked here too, for the one read from a (hostile) --root tree.
  const hostRunner = options.root === '/' ? runner : confinedRunner(runner, options.root);
  const hostname = checkHostName(options.host ?? captureHost(await gatherHost(hostRunner, options.root)).hostname, options.host === undefined ? 'the system\'s host name' : '--host');
  const hostDir = join(options.repo, 'hosts', hostname);
  const file = join(hostDir, 'manifest.yaml');
  const previous = await previousManifest(file);
  const etc = options.syncEtc ? await options.syncEtc(hostname, previous) : undefined;
  // One walk of /etc for the etc provider and the merge bases, with the user's exclusions.
  const exclude = previous?.repos?.etc?.exclude;
  let etcTree: Promise<EtcTree> | undefined;
  const sharedTree = (): Promise<EtcTree> => (etcTree ??= computeEtcTree(options.root === '/' ? runner : confinedRunner(runner, options.root), options.root, exclude));
  let manifest = await buildManifest(runner, { ...options, host: hostname, ...(previous ? { previous } : {}), etcTree: sharedTree });
  if (etc) manifest = { ...manifest, repos: { ...manifest.repos, etc } };
  if (previous?.datasets?.length) {
    // Declarations are the user's; capture only refreshes their `expect` (cached, cheap).
    const { datasets } = await captureDatasets(previous.datasets, { root: options.root });
    manifest = { ...manifest, datasets };
  }
  // The merge settings are the user's too: kept as written.
  if (previous?.merge) manifest = { ...manifest, merge: previous.merge };
  assertValid(manifest);
  // Before the manifest: a failed archive leaves the repository as it was.
  const secrets = options.secretsOut ? await writeSecretsArchive({ root: options.root, manifest, hostDir, out: options.secretsOut }) : undefined;
  const repoCreated = await ensureRepo(options.repo);
  const keys = manifest.packages?.keys ?? [];
  // Side files only below hosts/NAME/apt-keys/, read inside --root, modes kept (core/confine).
  await writeSideFiles(hostDir, await readAptKeyFiles(options.root, keys), 'apt-keys');
  const bases = await recordBases(runner, options.root, hostDir, await sharedTree());
  // The schemas beside the manifests, and a first line pointing at them: editors check offline.
  await writeRepoSchemas(options.repo);
  const status = await writeIfChanged(file, dumpManifest(manifest, { schemaRef: schemaRefFor(options.repo, file) }));
  return { file, status, manifest, repoCreated, bases, ...(secrets ? { secrets } : {}) };
}
