// The commit message of `capture --commit`: a subject that says in words what changed on the
// machine, e.g. "laptop: packages +htop −nano · /etc: 2 files · storage: unchanged", and a
// body with one line per change (semanticDiff's words) and the /etc paths that moved.
import type { Manifest } from '../../core/manifest/types.gen.ts';
import type { Change, Section } from './semantic.ts';

/** What the /etc sync committed in this run (paths relative to /etc), if it ran. */
export interface EtcSummary {
  readonly added: readonly string[];
  readonly modified: readonly string[];
  readonly removed: readonly string[];
  readonly metadata: boolean;
}

const MAX_BRIEFS = 6;

function list(briefs: readonly string[]): string {
  const uniq = [...new Set(briefs)];
  return uniq.length <= MAX_BRIEFS ? uniq.join(' ') : `${uniq.slice(0, MAX_BRIEFS).join(' ')} (+${uniq.length - MAX_BRIEFS} more)`;
}

const LABEL: Readonly<Record<Section, string>> = {
  host: 'host',
  storage: 'storage',
  mounts: 'mounts',
  boot: 'boot',
  packages: 'packages',
  etc: '/etc',
  dotfiles: 'dotfiles',
  datasets: 'datasets',
  other: 'other',
};

function etcFiles(etc: EtcSummary): string {
  const n = etc.added.length + etc.modified.length + etc.removed.length;
  if (n === 0) return etc.metadata ? 'metadata' : 'unchanged';
  return `${n} file${n === 1 ? '' : 's'}${etc.metadata ? ' + metadata' : ''}`;
}

/** The one-line summary: changed sections in a fixed order; storage always (it is what a rebuild needs most). */
export function summaryLine(host: string, changes: readonly Change[], etc?: EtcSummary): string {
  const by = (s: Section): Change[] => changes.filter((c) => c.section === s);
  const parts: string[] = [];
  const pk = by('packages');
  if (pk.length) {
    const manual = pk.filter((c) => c.path === 'packages.manual').map((c) => c.brief);
    const other = pk.filter((c) => c.path !== 'packages.manual').map((c) => c.brief);
    parts.push(`packages ${list([...manual, ...other])}`);
  }
  const etcChanged = etc && (etc.added.length + etc.modified.length + etc.removed.length > 0 || etc.metadata);
  if (etcChanged) parts.push(`/etc: ${etcFiles(etc)}`);
  else if (by('etc').length) parts.push(`/etc: ${list(by('etc').map((c) => c.brief))}`);
  for (const s of ['dotfiles', 'datasets', 'boot', 'mounts', 'host', 'other'] as const) {
    if (by(s).length) parts.push(`${LABEL[s]}: ${list(by(s).map((c) => c.brief))}`);
  }
  const st = by('storage');
  parts.push(`storage: ${st.length ? list(st.map((c) => c.brief)) : 'unchanged'}`);
  return `${host}: ${parts.join(' · ')}`;
}

function firstCapture(host: string, m: Manifest): string {
  const s = m.storage ?? {};
  const counts = [
    `${s.disks?.length ?? 0} disk${s.disks?.length === 1 ? '' : 's'}`,
    `${s.filesystems?.length ?? 0} filesystem${s.filesystems?.length === 1 ? '' : 's'}`,
    ...(m.packages?.manual ? [`${m.packages.manual.length} manual packages`] : []),
    ...(m.repos?.dotfiles?.length ? [`${m.repos.dotfiles.length} dotfiles repositories`] : []),
    ...(m.datasets?.length ? [`${m.datasets.length} datasets`] : []),
  ];
  return `${host}: first capture (${counts.join(', ')})`;
}

/** Full commit message; `previous` undefined means the host's first commit. */
export function commitMessage(host: string, previous: Manifest | undefined, next: Manifest, changes: readonly Change[], etc?: EtcSummary, bases?: string): string {
  const subject = previous === undefined ? firstCapture(host, next) : summaryLine(host, changes, etc);
  const body = previous === undefined ? [] : changes.map((c) => `- ${c.what}`);
  const etcLines = etc ? [...etc.added.map((p) => `  A /etc/${p}`), ...etc.modified.map((p) => `  M /etc/${p}`), ...etc.removed.map((p) => `  D /etc/${p}`)] : [];
  // `bases`: one line when hosts/HOST/bases/ changed (e.g. a .deb came back into the cache).
  const blocks = [subject, ...(body.length ? [body.join('\n')] : []), ...(etcLines.length ? [`/etc repository:\n${etcLines.join('\n')}`] : []), ...(bases ? [bases] : [])];
  return `${blocks.join('\n\n')}\n`;
}
