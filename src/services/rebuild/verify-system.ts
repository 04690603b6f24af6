// verify, the system layer: the rebuilt tree captured again with the same providers that
// captured the original (confined to the tree, read-only), then compared with the manifest
// section by section, in manifest paths:
//   packages  the manual set (less what the packages stage reported missing), holds, foreign
//             architectures, the Recommends setting; the sources with /etc (they come back with it)
//   etc       the tree the /etc capture would commit, blob by blob, against the captured commit
//             in the manifest repository; its metadata file line by line (owner, group, mode,
//             kind, symlink target of each path)
//   users     accounts and groups (users/verify.ts)
//   homes     each user's dotfiles repository: layout, git dir, work tree, branch, commit, clean
//   boot      loader, grub platforms and packages, grub.cfg present, command line, initramfs
//             tool; and every initramfs in /boot holds what reaching root needs
// An identical system gives no difference.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { confinedRunner } from '../../core/confine/index.ts';
import { diffValues, type Difference } from '../../core/manifest/diff.ts';
import type { Manifest } from '../../core/manifest/types.gen.ts';
import type { ReadOnlyRunner } from '../../core/runner/types.ts';
import { provider as apt } from '../../providers/system/apt/index.ts';
import { provider as boot } from '../../providers/system/boot/index.ts';
import { provider as dotfiles } from '../../providers/system/dotfiles/index.ts';
import { provider as users } from '../../providers/system/users/index.ts';
import { verifyUsers } from '../../providers/system/users/verify.ts';
import { parseLsTree } from '../../providers/system/etc/capture.ts';
import { gitArgs } from '../../providers/system/dotfiles/gitstate.ts';
import { computeEtcTree, METADATA_FILE } from '../../providers/system/etc/tree.ts';
import { initramfsMissing, listInitramfs } from '../../providers/system/boot/initramfs.ts';
import { bootNeeds } from '../../providers/system/boot/stage.ts';
import type { SystemContext } from '../../providers/types.ts';
import type { IdentityMap } from '../../core/plan/identity-map.ts';
import { rewriteIdentities } from './new-identities.ts';

export type VerifyPart = 'packages' | 'etc' | 'users' | 'homes' | 'boot';
export const VERIFY_PARTS: readonly VerifyPart[] = ['packages', 'etc', 'users', 'homes', 'boot'];

/** The parts a rebuild's verify checks: those of the stages it ran; all with `--stage verify` alone; none with storage alone. */
export function verifyParts(stages: readonly string[]): VerifyPart[] {
  if (stages.some((s) => s !== 'storage' && s !== 'verify')) return VERIFY_PARTS.filter((p) => stages.includes(p));
  return stages.includes('storage') ? [] : [...VERIFY_PARTS];
}

export interface VerifySystemOptions {
  readonly parts: readonly VerifyPart[];
  /** The manifest repository (the /etc commits are there, under refs/sysmanifest/etc/HOST). */
  readonly repo: string;
  /** A clone (--new-identities): /etc's files name the new storage identities where the captured ones named the old. */
  readonly identities?: IdentityMap;
}

/** Every difference between the tree at `target` and the manifest's system sections. */
export async function verifySystemTree(runner: ReadOnlyRunner, m: Manifest, target: string, o: VerifySystemOptions): Promise<Difference[]> {
  const files = confinedRunner(runner, target);
  const ctx: SystemContext = { runner: files, root: target };
  const has = (p: VerifyPart): boolean => o.parts.includes(p);
  const parts = await Promise.all([
    has('packages') && m.packages?.manager === 'apt' ? verifyPackages(m, files, ctx, has('etc')) : [],
    has('etc') ? verifyEtc(runner, files, m, target, o.repo, o.identities) : [],
    has('users') && m.users ? users.contribute(ctx).then((c) => verifyUsers(m, c.users)) : [],
    has('homes') ? verifyHomes(m, ctx) : [],
    has('boot') && m.boot ? verifyBoot(m, files, ctx) : [],
  ]);
  return parts.flat();
}

/** `withEtc`: the sources come back with /etc (an install from --mirror leaves the mirror's until the etc stage). */
async function verifyPackages(m: Manifest, files: ReadOnlyRunner, ctx: SystemContext, withEtc: boolean): Promise<Difference[]> {
  const want = m.packages!;
  const got = (await apt.contribute(ctx)).packages;
  if (!got) return [{ path: ['packages'], expected: `a ${want.manager} package database`, actual: undefined }];
  const out: Difference[] = [];
  // The packages stage's report: names the archive did not have, and "OLD -> NEW" for the ones it has under a new name.
  const report = (await files.readFileOptional(join(ctx.root, 'var/log/sysmanifest/missing-packages')))?.split('\n').filter(Boolean) ?? [];
  const renamed = new Map(report.filter((l) => l.includes(' -> ')).map((l) => l.split(' -> ') as [string, string]));
  const missing = new Set(report.filter((l) => !l.includes(' -> ')));
  const manual = (want.manual ?? []).filter((p) => !missing.has(p)).map((p) => renamed.get(p) ?? p);
  const have = new Set(got.manual ?? []);
  for (const p of manual) if (!have.has(p)) out.push({ path: ['packages', 'manual', p], expected: 'manually installed', actual: undefined });
  for (const p of have) if (!manual.includes(p)) out.push({ path: ['packages', 'manual', p], expected: undefined, actual: 'manually installed' });
  const held = new Set(got.held ?? []);
  for (const p of want.held ?? []) if (!missing.has(p) && !held.has(p)) out.push({ path: ['packages', 'held', p], expected: 'held', actual: undefined });
  for (const p of held) if (!(want.held ?? []).includes(p)) out.push({ path: ['packages', 'held', p], expected: undefined, actual: 'held' });
  const pick = (p: typeof want): Record<string, unknown> => ({ ...(withEtc ? { sources: p.sources, pins: p.pins } : {}), foreignArchitectures: p.foreignArchitectures, installRecommends: p.installRecommends });
  out.push(...diffValues(pick(want), pick(got), ['packages']));
  return out;
}

/**
 * The backups the shadow tools write (passwd-, shadow- …) at the account change after the one
 * they copy: a rebuilt system has them or not depending on how many changes its users stage
 * made, so neither their presence nor their content says anything about the rebuild.
 */
const SHADOW_BACKUPS = new Set(['passwd-', 'group-', 'shadow-', 'gshadow-', 'subuid-', 'subgid-']);
/** LVM's own copies of its metadata, written at every LVM change (the storage stage made the VG anew). */
const LVM_COPIES = /^lvm\/(backup|archive)(\/|$)/;
const volatile = (rel: string): boolean => SHADOW_BACKUPS.has(rel) || LVM_COPIES.test(rel);

/**
 * Metadata lines by path (the 5th column), less the volatile paths and the directories that
 * are listed only as the parents of volatile ones (lvm/ for lvm/backup/VG).
 */
function metadataLines(text: string): Map<string, string> {
  const all = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cols = line.split('\t');
    all.set(cols[4] ?? line, line);
  }
  const m = new Map<string, string>();
  for (const [rel, line] of all) {
    if (volatile(rel)) continue;
    if (line.startsWith('dir\t')) {
      const below = [...all.keys()].filter((r) => r.startsWith(`${rel}/`));
      if (below.length > 0 && below.every(volatile)) continue;
    }
    m.set(rel, line);
  }
  return m;
}

/** git's id of a blob with this content. */
const blobId = (content: Buffer): string => createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');

async function verifyEtc(runner: ReadOnlyRunner, files: ReadOnlyRunner, m: Manifest, target: string, repo: string, identities?: IdentityMap): Promise<Difference[]> {
  const etc = m.repos?.etc;
  if (etc === undefined || etc.kind !== 'sysmanifest' || etc.commit === undefined) return [];
  const git = (...a: string[]): string[] => [...gitArgs({ gitDir: `${repo}/.git` }), ...a];
  const at = ['repos', 'etc'];
  let committed: Map<string, string>;
  try {
    committed = parseLsTree((await runner.run(git('ls-tree', '-r', '-z', '--full-tree', etc.commit))).stdout);
  } catch {
    return [{ path: [...at, 'commit'], expected: `${etc.commit} in the manifest repository ${repo}`, actual: undefined }];
  }
  const tree = await computeEtcTree(files, target, etc.exclude ?? []);
  // A clone's file is right when it is the captured one with the identities renewed (the
  // runner decodes UTF-8: a file in another encoding that names an identity is reported).
  const renewed = async (line: string, b: { gitMode: string; blob: string }): Promise<boolean> => {
    const [mode, sha] = line.split(' ');
    if (!identities?.changes.length || mode !== b.gitMode || !/^100[67][54][54]$/.test(mode ?? '') || !/^[0-9a-f]{40}$/.test(sha ?? '')) return false;
    const captured = (await runner.run(git('cat-file', 'blob', sha!))).stdout;
    const r = rewriteIdentities(captured, identities);
    return r.count > 0 && blobId(Buffer.from(r.text)) === b.blob;
  };
  const out: Difference[] = [];
  for (const [rel, line] of committed) {
    if (rel === METADATA_FILE || volatile(rel)) continue;
    const b = tree.blobs.get(rel);
    if (b === undefined) out.push({ path: [...at, `/etc/${rel}`], expected: 'present', actual: undefined });
    else if (`${b.gitMode} ${b.blob}` !== line && !(await renewed(line, b))) out.push({ path: [...at, `/etc/${rel}`], expected: `content ${line}`, actual: `content ${b.gitMode} ${b.blob}` });
  }
  for (const rel of tree.blobs.keys()) if (rel !== METADATA_FILE && !volatile(rel) && !committed.has(rel)) out.push({ path: [...at, `/etc/${rel}`], expected: undefined, actual: 'present' });
  const want = metadataLines((await runner.run(git('cat-file', 'blob', `${etc.commit}:${METADATA_FILE}`), { okExitCodes: [128] })).stdout);
  const got = metadataLines(tree.metadata);
  for (const [rel, line] of want) if (got.get(rel) !== line) out.push({ path: [...at, 'metadata', rel], expected: line, actual: got.get(rel) });
  for (const [rel, line] of got) if (!want.has(rel)) out.push({ path: [...at, 'metadata', rel], expected: undefined, actual: line });
  return out;
}

async function verifyHomes(m: Manifest, ctx: SystemContext): Promise<Difference[]> {
  const want = m.repos?.dotfiles ?? [];
  if (want.length === 0) return [];
  const got = (await dotfiles.contribute(ctx)).repos?.dotfiles ?? [];
  const out: Difference[] = [];
  for (const w of want) {
    const g = got.find((x) => x.user === w.user && x.gitDir === w.gitDir);
    const pick = (d: typeof w): Record<string, unknown> => ({ layout: d.layout, workTree: d.workTree, branch: d.branch, commit: d.commit, ...(w.dirty === false ? { dirty: d.dirty ?? false } : {}) });
    out.push(...(g ? diffValues(pick(w), pick(g), ['repos', 'dotfiles', w.user]) : [{ path: ['repos', 'dotfiles', w.user], expected: `a repository at ${w.gitDir}`, actual: undefined }]));
  }
  return out;
}

async function verifyBoot(m: Manifest, files: ReadOnlyRunner, ctx: SystemContext): Promise<Difference[]> {
  const want = m.boot!;
  const got = (await boot.contribute(ctx)).boot!;
  // EFI variables are the firmware's, read only from a running machine: not a property of a tree.
  const pick = (b: typeof want): Record<string, unknown> => ({ loader: b.loader, grub: b.grub, systemdBoot: b.systemdBoot, cmdline: b.cmdline, initramfs: b.initramfs });
  const out = diffValues(pick(want), pick(got), ['boot']);
  let needs: ReturnType<typeof bootNeeds> | undefined;
  try {
    needs = bootNeeds(m);
  } catch {
    needs = undefined; // no / in the manifest's fstab: nothing to say what reaching root needs
  }
  if (needs === undefined || want.loader === 'none') return out;
  const bootDir = join(ctx.root, 'boot');
  const entries = (await files.exists(bootDir)) ? await files.readDir(bootDir) : [];
  const kernels = entries.filter((e) => e.startsWith('vmlinuz-')).map((e) => e.slice('vmlinuz-'.length));
  if (kernels.length === 0) out.push({ path: ['boot', 'kernel'], expected: 'a kernel in /boot', actual: undefined });
  for (const k of kernels) {
    const image = `/boot/initrd.img-${k}`;
    const where = ['boot', 'initramfs', image];
    if (!entries.includes(`initrd.img-${k}`)) {
      out.push({ path: where, expected: 'present', actual: undefined });
      continue;
    }
    let listing: string[];
    try {
      listing = listInitramfs(await readWhole(files, join(ctx.root, image)), image);
    } catch (e) {
      out.push({ path: where, expected: 'a readable initramfs', actual: e instanceof Error ? e.message : String(e) });
      continue;
    }
    const builtin = (await files.readFileOptional(join(ctx.root, `lib/modules/${k}/modules.builtin`))) ?? '';
    const missing = initramfsMissing(listing, builtin, needs);
    if (missing.length) out.push({ path: where, expected: `holds ${[...needs.programs.map((p) => `the program ${p}`), ...needs.modules.map((x) => `the kernel module ${x}`)].join(', ')}`, actual: `lacks ${missing.join(', ')}` });
  }
  return out;
}

async function readWhole(files: ReadOnlyRunner, path: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const size = 16 << 20;
  for (let off = 0; ; off += size) {
    const c = await files.readBytes(path, off, size);
    chunks.push(c);
    if (c.length < size) break;
  }
  return Buffer.concat(chunks);
}
