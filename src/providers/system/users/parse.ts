// Pure parsers of the account databases: passwd(5), group(5) and login.defs(5). The second
// field of passwd and group (a password hash on systems without shadow) is never kept: not
// here, not in a message.

/** One passwd line: name:password:UID:GID:GECOS:directory:shell (passwd(5)). */
export interface PasswdEntry {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly gecos: string;
  readonly home: string;
  readonly shell: string;
}

/** One group line: group_name:password:GID:user_list (group(5)). */
export interface GroupEntry {
  readonly line: number;
  readonly name: string;
  readonly gid: number;
  /** The user list, comma-separated in the file; empty names dropped. */
  readonly members: readonly string[];
}

/** A line that is not an entry, and why (never its content). */
export interface BadLine {
  readonly line: number;
  readonly why: string;
}

/** The largest id useradd/groupadd take: (uid_t)-1 = 2^32-1 means "no id". */
export const MAX_ID = 4294967294;

/**
 * Names as upstream shadow takes them (chkname.c is_valid_name: [A-Za-z0-9_.][A-Za-z0-9_.-]*,
 * an optional trailing $, not all digits, not . or ..), at most 32 characters
 * (USER_NAME_MAX_LENGTH / GROUP_NAME_MAX_LENGTH in Debian 12's shadow 4.13). The same
 * pattern is in schemas/system/users.schema.json.
 */
const NAME_RE = /^(?![0-9]+$)(?!\.\.?$)[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/;
export const NAME_MAX = 32;

export function nameProblem(name: string): string | undefined {
  if (name.length > NAME_MAX) return `is longer than ${NAME_MAX} characters`;
  if (!NAME_RE.test(name)) return 'is not a name useradd(8) and groupadd(8) take without --badname (letters, digits, _ . -, an optional final $; not only digits; not starting with -)';
  return undefined;
}

function id(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= MAX_ID ? n : undefined;
}

/** Lines with their numbers; the empty string after a final newline is not a line. */
function lines(text: string): { line: number; text: string }[] {
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all.map((t, i) => ({ line: i + 1, text: t }));
}

/** A +/- line is NIS compat syntax (nsswitch "compat"): it names no local account. */
function nisLine(text: string): boolean {
  return text.startsWith('+') || text.startsWith('-');
}

export function parsePasswd(text: string): { entries: PasswdEntry[]; bad: BadLine[] } {
  const entries: PasswdEntry[] = [];
  const bad: BadLine[] = [];
  for (const { line, text: t } of lines(text)) {
    if (t.trim() === '') continue; // getpwent(3) skips blank lines: nothing is lost
    if (nisLine(t)) {
      bad.push({ line, why: 'a NIS compat (+/-) entry: accounts from NIS are not local and are not recreated' });
      continue;
    }
    const f = t.split(':');
    if (f.length !== 7) {
      bad.push({ line, why: `has ${f.length} fields, passwd(5) has 7` });
      continue;
    }
    const [name, , u, g, gecos, home, shell] = f as [string, string, string, string, string, string, string];
    const uid = id(u);
    const gid = id(g);
    if (uid === undefined || gid === undefined) {
      bad.push({ line, why: `the ${uid === undefined ? 'UID' : 'GID'} is not a number in 0..${MAX_ID}` });
      continue;
    }
    entries.push({ line, name, uid, gid, gecos, home, shell });
  }
  return { entries, bad };
}

export function parseGroup(text: string): { entries: GroupEntry[]; bad: BadLine[] } {
  const entries: GroupEntry[] = [];
  const bad: BadLine[] = [];
  for (const { line, text: t } of lines(text)) {
    if (t.trim() === '') continue;
    if (nisLine(t)) {
      bad.push({ line, why: 'a NIS compat (+/-) entry: groups from NIS are not local and are not recreated' });
      continue;
    }
    const f = t.split(':');
    if (f.length !== 4) {
      bad.push({ line, why: `has ${f.length} fields, group(5) has 4` });
      continue;
    }
    const gid = id(f[2]!);
    if (gid === undefined) {
      bad.push({ line, why: `the GID is not a number in 0..${MAX_ID}` });
      continue;
    }
    entries.push({ line, name: f[0]!, gid, members: f[3]!.split(',').filter((m) => m !== '') });
  }
  return { entries, bad };
}

export interface IdRanges {
  /** Human accounts: uid in uidMin..uidMax, gid in gidMin..gidMax. */
  readonly uidMin: number;
  readonly uidMax: number;
  readonly gidMin: number;
  readonly gidMax: number;
}

/** Debian 12's /etc/login.defs values, which are also shadow's built-in defaults (login.defs(5)). */
export const DEBIAN_RANGES: IdRanges = { uidMin: 1000, uidMax: 60000, gidMin: 1000, gidMax: 60000 };

/**
 * UID_MIN/UID_MAX/GID_MIN/GID_MAX from login.defs(5) ("NAME value" lines, # comments); a
 * missing file or key keeps Debian's default. SYS_UID_MAX need not be read: system accounts
 * are exactly those outside the human range (shadow puts SYS_UID_MAX at UID_MIN-1 by default).
 */
export function parseLoginDefs(text: string | undefined): IdRanges {
  const get = (key: string, dflt: number): number => {
    const m = new RegExp(`^[ \\t]*${key}[ \\t]+(\\d{1,10})[ \\t]*$`, 'm').exec(text ?? '');
    const n = m ? Number(m[1]) : NaN;
    return Number.isSafeInteger(n) && n <= MAX_ID ? n : dflt;
  };
  return { uidMin: get('UID_MIN', DEBIAN_RANGES.uidMin), uidMax: get('UID_MAX', DEBIAN_RANGES.uidMax), gidMin: get('GID_MIN', DEBIAN_RANGES.gidMin), gidMax: get('GID_MAX', DEBIAN_RANGES.gidMax) };
}
