// merge etc: the candidates of /etc. Ours = the /etc repository's commit recorded in the
// manifest (capture --commit keeps it in the manifest repository under refs/sysmanifest/etc/HOST):
// it holds exactly the files the administrator changed or added. Base = the pristine file of
// the package version that was installed, recorded at capture (hosts/HOST/bases/). Theirs =
// the fresh system's /etc. A deleted conffile (metadata kind `absent`) is a candidate too:
// the deletion is the user's change.
import { UserError } from '../../core/errors.ts';
import type { Manifest } from '../../core/manifest/types.gen.ts';
import { readBasesIndex, type BasesIndex } from '../../core/repo/bases.ts';
import { METADATA_FILE, parseMetadata } from '../rebuild/etc-apply.ts';
import type { Candidate } from './build.ts';
import { readBlobs, readTree } from './git-tree.ts';
import { pipeRun } from '../../core/runner/pipe.ts';

/** Account databases: the users stage of a rebuild restores them; never merged as text. */
const ACCOUNTS = new Set(['passwd', 'group', 'shadow', 'gshadow', 'subuid', 'subgid']);
/** The machine's identity and storage: with no recorded ancestor, the captured file is the truth. */
const IDENTITY = new Map<string, string>([
  ['fstab', 'the captured file systems (the fresh install knows nothing of them)'],
  ['crypttab', 'the captured encrypted volumes'],
  ['mdadm/mdadm.conf', 'the captured RAID arrays'],
  ['hostname', "the machine's name"],
  ['hosts', "the machine's name and addresses"],
  ['mailname', "the machine's mail name"],
  ['timezone', "the machine's time zone"],
]);

export interface EtcSources {
  readonly candidates: Candidate[];
  readonly gitDir: string;
  readonly bases: BasesIndex | undefined;
}

export async function etcSources(manifest: Manifest, repo: string, hostDir: string, names: { users: Map<string, number>; groups: Map<string, number> }): Promise<EtcSources> {
  const etc = manifest.repos?.etc;
  if (etc === undefined) throw new UserError('REFUSED', 'repos.etc: the manifest records no /etc repository', { hint: 'capture the old system with `sysmanifest capture --commit` first' });
  if (etc.kind !== 'sysmanifest') throw new UserError('REFUSED', `repos.etc.kind: ${etc.kind} — merging from an ${etc.kind} /etc repository is not supported yet (only sysmanifest's own)`);
  if (etc.commit === undefined) throw new UserError('REFUSED', 'repos.etc.commit: the /etc repository had no commit at capture');
  const gitDir = `${repo}/.git`;
  try {
    await pipeRun(['git', `--git-dir=${gitDir}`, 'cat-file', '-e', `${etc.commit}^{commit}`], undefined);
  } catch {
    throw new UserError('REPO', `repos.etc.commit ${etc.commit.slice(0, 12)} is not in the manifest repository ${repo}`, { hint: 'capture --commit keeps it under refs/sysmanifest/etc/HOST: fetch those refs too (git fetch origin "refs/sysmanifest/*:refs/sysmanifest/*")' });
  }
  const tree = await readTree(gitDir, etc.commit, `repos.etc.commit ${etc.commit.slice(0, 12)}`);
  const metaEntry = tree.get(METADATA_FILE);
  const meta = metaEntry ? parseMetadata((await readBlobs(gitDir, [metaEntry.id])).get(metaEntry.id)!.toString('utf8')) : [];
  const byRel = new Map(meta.map((m) => [m.rel, m]));
  const bases = await readBasesIndex(hostDir);
  const baseFor = (rel: string): Candidate['base'] => {
    const b = bases?.etc[`/etc/${rel}`];
    return b?.sha256 ? { from: 'recorded', sha256: b.sha256 } : undefined;
  };
  const owner = (rel: string): Candidate['newOwner'] => {
    const m = byRel.get(rel);
    const uid = m?.owner === undefined ? 0 : (names.users.get(m.owner) ?? (/^\d+$/.test(m.owner) ? Number(m.owner) : 0));
    const gid = m?.group === undefined ? 0 : (names.groups.get(m.group) ?? (/^\d+$/.test(m.group) ? Number(m.group) : 0));
    return { uid, gid };
  };
  const candidates: Candidate[] = [];
  for (const [rel, entry] of tree) {
    if (rel === METADATA_FILE) continue;
    const m = byRel.get(rel);
    const base = baseFor(rel);
    candidates.push({
      rel,
      ours: entry,
      ...(base ? { base } : {}),
      ...(m?.mode !== undefined ? { newMode: m.mode } : {}),
      newOwner: owner(rel),
      ...(ACCOUNTS.has(rel) ? { skip: 'an account database: accounts are not merged as text (the users stage of a rebuild restores them)' } : {}),
      ...(IDENTITY.has(rel) ? { oursWithoutBase: `kept from the capture: ${IDENTITY.get(rel)!}` } : {}),
    });
  }
  for (const m of meta) {
    if (m.kind !== 'absent' || tree.has(m.rel)) continue;
    const base = baseFor(m.rel);
    // Without the shipped version there is nothing to compare the fresh file with: left as it is.
    if (base) candidates.push({ rel: m.rel, ours: undefined, base });
  }
  return { candidates, gitDir, bases };
}
