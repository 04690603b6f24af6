// Pure parsers for flatpak's installation state: the deploy file of a deployed ref and the
// OSTree repo/config that holds the installation's remotes.
import { ParseError } from '../../../core/errors.ts';

/**
 * The origin (remote) of a deployed ref from its `active/deploy` file: a GVariant of type
 * (ssasta{sv}) (flatpak-dir.c, FLATPAK_DEPLOY_DATA_GVARIANT_FORMAT) whose first member, the
 * origin, is a string: in GVariant's serialisation it starts at offset 0 and ends with NUL.
 */
export function parseDeployOrigin(bytes: Uint8Array, what: string): string {
  const end = bytes.indexOf(0);
  if (end <= 0) throw new ParseError(what, 'no origin string at the start of the deploy data');
  const origin = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, end));
  // flatpak_is_valid_name-ish: remote names are printable and have no "/".
  if (!/^[A-Za-z0-9_.-]+$/.test(origin)) throw new ParseError(what, `origin ${JSON.stringify(origin)} is not a remote name`);
  return origin;
}

export interface RepoRemote {
  readonly name: string;
  readonly url: string;
  readonly gpgVerify: boolean | undefined;
}

/** The [remote "NAME"] groups of an OSTree repo/config (a GKeyFile). */
export function parseRepoConfig(text: string, what: string): RepoRemote[] {
  const out: RepoRemote[] = [];
  let current: { name: string; keys: Map<string, string> } | undefined;
  const flush = (): void => {
    if (!current) return;
    const gpg = current.keys.get('gpg-verify');
    out.push({ name: current.name, url: current.keys.get('url') ?? '', gpgVerify: gpg === undefined ? undefined : gpg === 'true' });
  };
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      flush();
      const m = /^\[remote "([^"]+)"\]$/.exec(line);
      current = m ? { name: m[1]!, keys: new Map() } : undefined;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ParseError(what, `line ${i + 1}: not a key=value line`);
    current?.keys.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  flush();
  return out;
}

/** name → home directory from an /etc/passwd file. */
export function parsePasswdHomes(text: string): Array<{ user: string; home: string }> {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7 && f[5]!.startsWith('/'))
    .map((f) => ({ user: f[0]!, home: f[5]! }));
}
