// `sysmanifest internal etc-apply --target T`: the second half of the etc stage. The /etc
// repository's commit was checked out over the fresh /etc (git, into the target); its metadata
// file (providers/system/etc/tree.ts formatMetadata) is applied here: owners and groups by
// name through the TARGET's passwd and group (the restored ones), modes, empty directories,
// deleted conffiles removed, and the metadata file itself removed. The file comes from a git
// repository: hostile input. Every path is resolved inside the target (core/confine RootFs,
// symlinks never followed out of it, the last component never followed: a link is lchown'ed,
// never chmod'ed through), and a path that is not canonical is refused.
import { lchown, chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { UserError } from '../../core/errors.ts';
import { checkRelativePath, RootFs } from '../../core/confine/index.ts';

export const METADATA_FILE = '.sysmanifest-metadata';

export interface MetadataLine {
  readonly kind: string;
  readonly mode?: number;
  readonly owner?: string;
  readonly group?: string;
  readonly rel: string;
}

const unquote = (s: string): string => (s.startsWith('"') ? (JSON.parse(s) as string) : s);

export function parseMetadata(text: string): MetadataLine[] {
  const out: MetadataLine[] = [];
  text.split('\n').forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    const cols = line.split('\t');
    if (cols.length < 5) throw new UserError('PARSE', `/etc/${METADATA_FILE}:${i + 1}: expected kind, mode, owner, group, path`);
    const [kind, mode, owner, group, rel] = cols as [string, string, string, string, string];
    if (!/^(file|dir|link|fifo|socket|chardev|blockdev|secret|absent)$/.test(kind)) throw new UserError('PARSE', `/etc/${METADATA_FILE}:${i + 1}: unknown kind ${JSON.stringify(kind)}`);
    const path = unquote(rel);
    checkRelativePath(path, `/etc/${METADATA_FILE}:${i + 1}`);
    if (mode !== '-' && !/^[0-7]{4}$/.test(mode)) throw new UserError('PARSE', `/etc/${METADATA_FILE}:${i + 1}: mode ${JSON.stringify(mode)} is not 4 octal digits`);
    out.push({ kind, rel: path, ...(mode !== '-' ? { mode: parseInt(mode, 8) } : {}), ...(owner !== '-' ? { owner } : {}), ...(group !== '-' ? { group } : {}) });
  });
  return out;
}

/** name → id from a passwd or group file (the target's). */
export function ids(text: string): Map<string, number> {
  return new Map(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':')).filter((f) => f.length >= 3 && /^\d+$/.test(f[2]!)).map((f) => [f[0]!, Number(f[2])]));
}

export interface EtcApplyResult {
  readonly applied: number;
  readonly removed: readonly string[];
  readonly unknownOwners: readonly string[];
}

export async function etcApply(target: string): Promise<EtcApplyResult> {
  const fs = new RootFs(target);
  const metaAt = await fs.resolve(`/etc/${METADATA_FILE}`, false);
  if (metaAt === undefined || metaAt.stat.type !== 'file') throw new UserError('REFUSED', `${target}/etc/${METADATA_FILE} is missing: the /etc checkout did not happen`);
  const lines = parseMetadata(await readFile(metaAt.path, 'utf8'));
  const read = async (p: string): Promise<string> => {
    const r = await fs.resolve(p);
    return r && r.stat.type === 'file' ? readFile(r.path, 'utf8') : '';
  };
  const users = ids(await read('/etc/passwd'));
  const groups = ids(await read('/etc/group'));
  const unknown = new Set<string>();
  const idOf = (map: Map<string, number>, name: string | undefined): number | undefined => {
    if (name === undefined) return undefined;
    if (/^\d+$/.test(name)) return Number(name);
    const id = map.get(name);
    if (id === undefined) unknown.add(name);
    return id;
  };
  let applied = 0;
  const removed: string[] = [];
  // Directories first (parents before children: the file is sorted by path), then the rest.
  for (const l of lines.filter((x) => x.kind === 'dir')) {
    const parent = await fs.resolve(`/etc/${l.rel.split('/').slice(0, -1).join('/')}`);
    if (parent === undefined || parent.stat.type !== 'dir') continue;
    const at = await fs.resolve(`/etc/${l.rel}`, false);
    if (at === undefined) await mkdir(`${parent.path}/${l.rel.split('/').at(-1)!}`);
  }
  for (const l of lines) {
    if (l.kind === 'secret') continue; // restored from the secrets archive, not from here
    const at = await fs.resolve(`/etc/${l.rel}`, false);
    if (l.kind === 'absent') {
      if (at !== undefined) {
        await rm(at.path, { recursive: at.stat.type === 'dir', force: true });
        removed.push(`/etc/${l.rel}`);
      }
      continue;
    }
    if (at === undefined) continue;
    const uid = idOf(users, l.owner);
    const gid = idOf(groups, l.group);
    if (uid !== undefined || gid !== undefined) await lchown(at.path, uid ?? -1, gid ?? -1);
    if (l.mode !== undefined && at.stat.type !== 'link') await chmod(at.path, l.mode);
    applied++;
  }
  await rm(metaAt.path, { force: true });
  return { applied, removed, unknownOwners: [...unknown].sort() };
}

/**
 * Accounts whose shadow line has no hash of their own ("x": pwconv's placeholder for an
 * account restored without its hash) are locked with usermod --lock in the target. Returns
 * their names.
 */
export async function lockUnset(runner: import('../../core/runner/types.ts').MutatingRunner, target: string): Promise<string[]> {
  const shadow = await new RootFs(target).resolve('/etc/shadow');
  if (!shadow || shadow.stat.type !== 'file') return [];
  const names = (await readFile(shadow.path, 'utf8')).split('\n').map((l) => l.split(':')).filter((f) => f.length > 2 && f[1] === 'x' && /^[a-z_][a-z0-9_-]*\$?$/.test(f[0]!)).map((f) => f[0]!);
  for (const n of names) await runner.mutate(['chroot', target, 'usermod', '--lock', n]);
  return names;
}
