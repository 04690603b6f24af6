// Password hashes restored by merging by name (shadow(5), gshadow(5)): the target's accounts are
// made by the users stage (useradd), by the packages' maintainer scripts (system accounts), so
// replacing the target's whole /etc/shadow would drop or orphan entries. For every account the
// target has and the archive's file holds, the hash is set with `chpasswd -e` / `chgpasswd -e`
// (stdin "name:hash", the hash stored as given: chpasswd(8) -e) and the aging fields with
// `chage -d -m -M -W -I -E` (chage(1); -1 empties a field), only where they differ. Pure.

export interface ShadowEntry {
  readonly name: string;
  readonly hash: string;
  /** lastchg, min, max, warn, inactive, expire: fields 3–8, as written ('' = unset). */
  readonly aging: readonly [string, string, string, string, string, string];
}

export function parseShadow(text: string): Map<string, ShadowEntry> {
  const m = new Map<string, ShadowEntry>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 2 || f[0] === '' || m.has(f[0]!)) continue;
    const a = (i: number): string => (/^-?\d*$/.test(f[i] ?? '') ? (f[i] ?? '') : '');
    m.set(f[0]!, { name: f[0]!, hash: f[1]!, aging: [a(2), a(3), a(4), a(5), a(6), a(7)] });
  }
  return m;
}

export interface HashMerge {
  /** chpasswd -e / chgpasswd -e input ("name:hash\n"…); '' when nothing changes. */
  readonly input: string;
  /** Names whose hash is set. */
  readonly names: readonly string[];
  /** chage argv tails (after ['chage']) for the accounts whose aging differs (shadow only). */
  readonly chage: ReadonlyArray<readonly string[]>;
  /** In the archive, not in the target: not restored (the users stage made no such account). */
  readonly unknown: readonly string[];
  /** In the target, not in the archive: their hash stays as the target has it. */
  readonly missing: readonly string[];
}

const SAFE_NAME = /^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$/;

export function mergeHashes(archive: string, target: string, kind: 'shadow' | 'gshadow'): HashMerge {
  const from = parseShadow(archive);
  const into = parseShadow(target);
  const lines: string[] = [];
  const names: string[] = [];
  const chage: string[][] = [];
  for (const [name, t] of [...into].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const s = from.get(name);
    // A name that chpasswd's "name:hash" line cannot carry, or a hash with a newline, is left alone.
    if (s === undefined || !SAFE_NAME.test(name) || /[\n:]/.test(s.hash)) continue;
    if (s.hash !== t.hash) {
      lines.push(`${name}:${s.hash}\n`);
      names.push(name);
    }
    const aging = kind === 'shadow' && (s.hash !== t.hash || s.aging.some((v, i) => v !== t.aging[i]));
    if (aging) {
      const v = (x: string): string => (x === '' ? '-1' : x);
      const [d, min, max, warn, inactive, expire] = s.aging;
      chage.push(['-d', v(d), '-m', v(min), '-M', v(max), '-W', v(warn), '-I', v(inactive), '-E', v(expire), name]);
    }
  }
  return {
    input: lines.join(''),
    names,
    chage,
    unknown: [...from.keys()].filter((n) => !into.has(n)).sort(),
    missing: [...into.keys()].filter((n) => !from.has(n)).sort(),
  };
}
