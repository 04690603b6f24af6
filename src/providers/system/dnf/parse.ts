// Pure parsers: the name lists rpm and dnf print, and dnf's .repo files.
import { ParseError } from '../../../core/errors.ts';

const NAME = /^[A-Za-z0-9@_+][A-Za-z0-9@._+-]*$/;

/** One package name a line (`rpm -qa --qf '%{NAME}\n'`, `dnf repoquery --qf '%{name}'`). */
export function parseNameLines(stdout: string, what: string): string[] {
  const names = stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  for (const n of names) if (!NAME.test(n)) throw new ParseError(what, `${JSON.stringify(n)} is not a package name`);
  return names;
}

export interface RepoSection {
  readonly id: string;
  readonly enabled: boolean;
  readonly settings: Record<string, string>;
}

// libdnf's ConfigParser (an ini dialect): "#" and ";" comment lines, [section], key=value,
// a line starting with whitespace continues the previous value (baseurl lists).
export function parseRepoFile(text: string, what: string): RepoSection[] {
  const out: Array<{ id: string; keys: Map<string, string> }> = [];
  let current: { id: string; keys: Map<string, string> } | undefined;
  let last: string | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\r$/, '');
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) {
      last = undefined;
      continue;
    }
    if (/^\s/.test(line) && current && last !== undefined) {
      current.keys.set(last, `${current.keys.get(last)!}\n${t}`);
      continue;
    }
    const section = /^\[([^\]]+)\]$/.exec(t);
    if (section) {
      out.push((current = { id: section[1]!.trim(), keys: new Map() }));
      last = undefined;
      continue;
    }
    const eq = t.indexOf('=');
    if (eq <= 0 || current === undefined) throw new ParseError(what, `line ${i + 1}: ${JSON.stringify(t)} is not key=value inside a [section]`);
    last = t.slice(0, eq).trim();
    current.keys.set(last, t.slice(eq + 1).trim());
  }
  return out.map(({ id, keys }) => {
    const enabled = keys.get('enabled');
    if (enabled !== undefined && !/^(1|0|yes|no|true|false|on|off)$/i.test(enabled)) throw new ParseError(what, `[${id}] enabled=${enabled} is not a boolean`);
    const settings = Object.fromEntries([...keys].filter(([k]) => k !== 'enabled').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return { id, enabled: enabled === undefined || /^(1|yes|true|on)$/i.test(enabled), settings };
  });
}
