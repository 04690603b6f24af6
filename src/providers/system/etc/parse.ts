// What dpkg shipped under /etc: conffiles with their md5 (the `Conffiles:` field of
// /var/lib/dpkg/status, see deb-conffiles(5) and dpkg(1)), every path a package owns
// (/var/lib/dpkg/info/<pkg>[:<arch>].list) and the md5 of non-conffiles
// (/var/lib/dpkg/info/<pkg>[:<arch>].md5sums, "md5␠␠path-without-leading-slash").
import { ParseError } from '../../../core/errors.ts';

export interface Conffile {
  readonly pkg: string;
  /** Hex md5 of the shipped version; undefined for dpkg's "newconffile" placeholder. */
  readonly md5: string | undefined;
  /** Flagged obsolete or remove-on-upgrade: no longer shipped, so its absence means nothing. */
  readonly obsolete: boolean;
}

const MD5 = /^[0-9a-f]{32}$/;

/**
 * Conffiles of every package in the status file (installed or in config-files state), keyed
 * by absolute path. A path listed by two packages (a conffile moving between packages) keeps
 * both entries: the file is unchanged when it matches either.
 */
export function parseStatusConffiles(status: string): Map<string, Conffile[]> {
  const out = new Map<string, Conffile[]>();
  for (const para of status.split(/\n\s*\n/)) {
    const lines = para.split('\n');
    const pkg = lines.find((l) => l.startsWith('Package: '))?.slice('Package: '.length).trim();
    const start = lines.findIndex((l) => l === 'Conffiles:' || l.startsWith('Conffiles: '));
    if (start === -1) continue;
    if (pkg === undefined) throw new ParseError('/var/lib/dpkg/status', `a paragraph has Conffiles but no Package field: ${lines[0] ?? ''}`);
    for (const line of lines.slice(start + 1)) {
      if (!line.startsWith(' ')) break; // the next field: continuation lines start with a space
      // " /etc/foo md5" or " /etc/foo md5 obsolete" / " … remove-on-upgrade"; paths never contain spaces in practice,
      // but the md5 and flags are the last fields, so split from the end.
      const fields = line.trim().split(' ');
      const flags = new Set(['obsolete', 'remove-on-upgrade']);
      let obsolete = false;
      while (fields.length > 2 && flags.has(fields[fields.length - 1]!)) {
        fields.pop();
        obsolete = true;
      }
      const md5 = fields.pop();
      const path = fields.join(' ');
      if (md5 === undefined || !path.startsWith('/')) throw new ParseError('/var/lib/dpkg/status', `conffile line of ${pkg}: ${JSON.stringify(line)}`);
      if (md5 !== 'newconffile' && !MD5.test(md5)) throw new ParseError('/var/lib/dpkg/status', `conffile md5 of ${pkg}: ${JSON.stringify(line)}`);
      const list = out.get(path) ?? [];
      list.push({ pkg, md5: md5 === 'newconffile' ? undefined : md5, obsolete });
      out.set(path, list);
    }
  }
  return out;
}

/** The paths of one <pkg>.list file (absolute; "/." is dpkg's entry for the root). */
export function parseList(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && l !== '/.');
}

/** One <pkg>.md5sums file → absolute path → md5. */
export function parseMd5sums(text: string, what: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^([0-9a-f]{32}) [ *](.+)$/.exec(line);
    if (!m) throw new ParseError(what, `md5sums line ${JSON.stringify(line)}`);
    out.set(`/${m[2]!}`, m[1]!);
  }
  return out;
}

/** "adduser.list" → "adduser"; "libc6:amd64.list" → "libc6:amd64" (the info file stem). */
export function infoStem(file: string, ext: '.list' | '.md5sums'): string | undefined {
  return file.endsWith(ext) ? file.slice(0, -ext.length) : undefined;
}

export interface StatusPackage {
  readonly name: string;
  /** "amd64", "all"… (dpkg's Architecture field). */
  readonly arch: string;
  readonly version: string;
  /** The third word of Status: installed, config-files, half-configured… */
  readonly state: string;
}

/**
 * Name, architecture, version and state of every paragraph of dpkg's status file, keyed by
 * name (several entries for a package installed for several architectures). Fields are single
 * lines (deb-control(5)); continuation lines belong to other fields and are skipped.
 */
export function parseStatusPackages(status: string): Map<string, StatusPackage[]> {
  const out = new Map<string, StatusPackage[]>();
  for (const para of status.split(/\n\s*\n/)) {
    const field = (name: string): string | undefined => {
      const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(para);
      return m ? m[1]!.trim() : undefined;
    };
    const name = field('Package');
    if (name === undefined) continue;
    const status = field('Status')?.split(/\s+/);
    const p: StatusPackage = { name, arch: field('Architecture') ?? '', version: field('Version') ?? '', state: status?.[2] ?? '' };
    out.set(name, [...(out.get(name) ?? []), p]);
  }
  return out;
}

/** `dpkg-deb --field DEB F1 F2 …` (several fields: "Name: value" lines) → field → value. */
export function parseDebFields(out: string, what: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of out.split('\n')) {
    if (line === '' || line.startsWith(' ')) continue;
    const m = /^([A-Za-z0-9-]+):[ \t]*(.*)$/.exec(line);
    if (!m) throw new ParseError(what, `line ${JSON.stringify(line)}`);
    fields.set(m[1]!, m[2]!.trim());
  }
  return fields;
}

/**
 * ucf(1)'s registry, /var/lib/ucf/registry: "package <tab> /path" per line (ucfr writes it
 * with a space, a tab and a space) → path → package. ucf manages configuration files that a
 * maintainer script generates (sshd_config), which dpkg does not know as conffiles.
 */
export function parseUcfRegistry(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\/\S.*?)\s*$/.exec(line);
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}

/** ucf's /var/lib/ucf/hashfile: "md5  /path" of the pristine version ucf last installed → path → md5. */
export function parseUcfHashfile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{32})\s+(\/\S.*?)\s*$/.exec(line);
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}
