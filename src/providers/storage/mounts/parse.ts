// Pure parsers for /etc/fstab (fstab(5)) and /etc/crypttab (crypttab(5)).
import { ParseError } from '../../../core/errors.ts';
import { unescapeOctal } from '../inventory/parse.ts';

export interface RawFstabEntry {
  readonly spec: string;
  readonly file: string;
  readonly vfstype: string;
  readonly options: string;
  readonly freq: number;
  readonly passno: number;
}

export interface RawCrypttabEntry {
  readonly name: string;
  readonly spec: string;
  readonly keyfile?: string;
  readonly options?: string;
}

/** Non-comment, non-blank lines split into blank-separated fields, with 1-based line numbers. */
function records(text: string): Array<{ line: number; fields: string[] }> {
  const out: Array<{ line: number; fields: string[] }> = [];
  text.split('\n').forEach((raw, i) => {
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) return;
    out.push({ line: i + 1, fields: t.split(/[ \t]+/) });
  });
  return out;
}

function count(text: string, what: string, line: number): number {
  if (!/^\d+$/.test(text)) throw new ParseError(what, `line ${line}: "${text}" is not a number`);
  return Number(text);
}

/**
 * fstab(5): fs_spec fs_file fs_vfstype fs_mntops fs_freq fs_passno. Blanks inside a field
 * are written as octal escapes (\040 space, \011 tab, \134 backslash), undone here. As in
 * libmount, a missing fs_mntops means "defaults" and missing fs_freq / fs_passno mean 0.
 */
export function parseFstab(text: string, what = 'fstab'): RawFstabEntry[] {
  return records(text).map(({ line, fields }) => {
    if (fields.length < 3 || fields.length > 6) throw new ParseError(what, `line ${line}: expected 3 to 6 fields, found ${fields.length}`);
    const [spec, file, vfstype, options = 'defaults', freq = '0', passno = '0'] = fields.map(unescapeOctal) as [string, string, string, ...string[]];
    return { spec, file, vfstype, options, freq: count(freq, what, line), passno: count(passno, what, line) };
  });
}

/**
 * crypttab(5): name encrypted-device [key-file [options]]. Fields are kept as written
 * (systemd-cryptsetup-generator and Debian's cryptdisks split on blanks without octal
 * unescaping). The key file is a path: its content is never read.
 */
export function parseCrypttab(text: string, what = 'crypttab'): RawCrypttabEntry[] {
  return records(text).map(({ line, fields }) => {
    if (fields.length < 2 || fields.length > 4) throw new ParseError(what, `line ${line}: expected 2 to 4 fields, found ${fields.length}`);
    const [name, spec, keyfile, options] = fields as [string, string, string?, string?];
    return { name, spec, ...(keyfile !== undefined ? { keyfile } : {}), ...(options !== undefined ? { options } : {}) };
  });
}
