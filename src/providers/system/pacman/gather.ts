// Read-only: pacman's configuration and databases under the captured root, read as files (no
// process is spawned; pacman itself is not needed on the capturing machine). Paths: pacman's
// defaults (ROOT/etc/pacman.conf, DBPath /var/lib/pacman/ unless pacman.conf moves it).
// Include paths are paths of the captured system and are read under ROOT; a glob is matched
// in its last component only (what every Include in Arch's own files uses).
import { posix } from 'node:path';
import { ParseError } from '../../../core/errors.ts';
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import { readWholeFile, underRoot } from '../apt/gather.ts';
import { confItem, parsePacmanConf, type ConfLine } from './parse.ts';

export const PACMAN_CONF = '/etc/pacman.conf';

export interface PacmanFacts {
  /** pacman.conf with its Include files spliced in, line by line. */
  readonly conf: readonly ConfLine[];
  /** Local database: directory name → its desc file. */
  readonly local: ReadonlyMap<string, string>;
  /** Sync database bytes by repository name; absent when the repository has no sync db yet. */
  readonly sync: ReadonlyMap<string, Uint8Array>;
}

const GLOB = /[*?[]/;

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function includeTargets(r: ReadOnlyRunner, root: string, pattern: string, from: ConfLine): Promise<string[]> {
  if (!GLOB.test(pattern)) return [pattern];
  const dir = posix.dirname(pattern);
  if (GLOB.test(dir)) throw new ParseError(from.file, `line ${from.line}: Include ${pattern}: a glob in a directory name is not supported`);
  const re = globToRegExp(posix.basename(pattern));
  const names = (await r.exists(underRoot(root, dir))) ? await r.readDir(underRoot(root, dir)) : [];
  // glob(3) sorts its matches; pacman then reads them in that order.
  return names.filter((n) => re.test(n) && !n.startsWith('.')).map((n) => posix.join(dir, n));
}

async function readConf(r: ReadOnlyRunner, root: string, path: string, depth: number, from?: ConfLine): Promise<ConfLine[]> {
  const text = await r.readFileOptional(underRoot(root, path));
  if (text === undefined) {
    const where = from ? `${from.file} line ${from.line}: Include ` : '';
    throw new ParseError('pacman configuration', `${where}${path} does not exist under ${root} (pacman itself would refuse to run)`);
  }
  const out: ConfLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l: ConfLine = { file: path, line: i + 1, text: lines[i]! };
    out.push(l);
    const item = confItem(l);
    if (item && 'key' in item && item.key === 'Include' && item.value !== undefined) {
      if (depth >= 10) throw new ParseError(path, `line ${i + 1}: Include nested more than 10 deep`);
      for (const target of await includeTargets(r, root, item.value, l)) out.push(...(await readConf(r, root, target, depth + 1, l)));
    }
  }
  return out;
}

/** The facts, or undefined when ROOT has no pacman local database (not an Arch-family system). */
export async function gatherPacman(r: ReadOnlyRunner, root: string): Promise<PacmanFacts | undefined> {
  // Debian's pacman package ships /etc/pacman.conf without any database: a local database
  // is what says pacman manages this system.
  const hasConf = await r.exists(underRoot(root, PACMAN_CONF));
  const conf = hasConf ? await readConf(r, root, PACMAN_CONF, 0) : [];
  const { dbPath, repos } = parsePacmanConf(conf);
  const localDir = underRoot(root, posix.join(dbPath, 'local'));
  if (!(await r.exists(localDir))) return undefined;
  if (!hasConf) throw new ParseError('pacman configuration', `${root} has a pacman database (${localDir}) but no ${PACMAN_CONF}`);

  const local = new Map<string, string>();
  for (const name of await r.readDir(localDir)) {
    if (name === 'ALPM_DB_VERSION') continue;
    const desc = await r.readFileOptional(posix.join(localDir, name, 'desc'));
    if (desc === undefined) throw new ParseError('pacman local database', `${posix.join(localDir, name)} has no desc file`);
    local.set(name, desc);
  }
  const sync = new Map<string, Uint8Array>();
  for (const repo of repos) {
    const file = underRoot(root, posix.join(dbPath, 'sync', `${repo.name}.db`));
    if (await r.exists(file)) sync.set(repo.name, await readWholeFile(r, file));
  }
  return { conf, local, sync };
}
