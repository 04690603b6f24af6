// Pure parsers for boot configuration: shell-style variable files (/etc/default/grub,
// initramfs.conf, mkinitcpio.conf) and `efibootmgr -v` output.
import { ParseError } from '../../../core/errors.ts';

export type ShellValue = { readonly value: string } | { readonly expansion: string };

/**
 * Simple `NAME=value` assignments of a shell file that is sourced (grub-mkconfig sources
 * /etc/default/grub; initramfs-tools sources initramfs.conf). Quotes are removed; a value
 * with `$` or a backquote needs a shell to evaluate and is returned as `expansion` (raw text),
 * never guessed. Lines that are not plain assignments (comments, `if`, functions) are skipped.
 * `NAME=(a b)` (bash arrays, mkinitcpio.conf) gives the words joined by one space.
 */
export function parseShellAssignments(text: string): Map<string, ShellValue> {
  const out = new Map<string, ShellValue>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(lines[i]!);
    if (m === null) continue;
    const name = m[1]!;
    let raw = m[2]!.trim();
    if (raw.startsWith('(')) {
      // An array may span lines (mkinitcpio.conf HOOKS=(…\n…)); "#" after a blank starts a comment.
      const uncomment = (l: string): string => l.replace(/(^|\s)#.*$/, '');
      raw = uncomment(raw);
      while (!raw.includes(')') && i + 1 < lines.length) raw += ` ${uncomment(lines[++i]!)}`;
      const inner = raw.slice(1, raw.includes(')') ? raw.indexOf(')') : raw.length);
      const words = inner
        .split(/\s+/)
        .filter((w) => w !== '')
        .map((w) => w.replace(/^(["'])(.*)\1$/, '$2'));
      out.set(name, { value: words.join(' ') });
      continue;
    }
    const v = unquote(raw);
    out.set(name, v === undefined ? { expansion: raw } : { value: v });
  }
  return out;
}

/** A shell word without expansions; undefined when it would need a shell. */
function unquote(raw: string): string | undefined {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === "'") {
      const end = raw.indexOf("'", i + 1);
      if (end < 0) return undefined;
      out += raw.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < raw.length && raw[i] !== '"') {
        if (raw[i] === '$' || raw[i] === '`') return undefined;
        if (raw[i] === '\\' && i + 1 < raw.length && '"\\$`'.includes(raw[i + 1]!)) i++;
        out += raw[i];
        i++;
      }
      if (i >= raw.length) return undefined;
      i++;
    } else if (/\s/.test(c)) {
      // The end of the word: only a comment may follow (`A=b c` would run c with A set).
      const rest = raw.slice(i).trim();
      if (rest !== '' && !rest.startsWith('#')) return undefined;
      break;
    } else if (c === '$' || c === '`' || c === ';' || c === '&' || c === '|') {
      return undefined;
    } else if (c === '\\' && i + 1 < raw.length) {
      out += raw[i + 1];
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// efibootmgr -v (efibootmgr 17: "Boot0001* label<TAB>device path")

export interface EfiEntryParsed {
  readonly number: string;
  readonly label: string;
  readonly active: boolean;
  readonly devicePath?: string;
}

export interface EfiVars {
  readonly timeout?: number;
  readonly bootOrder: string[];
  readonly entries: EfiEntryParsed[];
}

export function parseEfibootmgr(text: string): EfiVars {
  let timeout: number | undefined;
  let bootOrder: string[] = [];
  const entries: EfiEntryParsed[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const entry = /^Boot([0-9A-Fa-f]{4})([* ]) ([^\t]*)(?:\t(.*))?$/.exec(line);
    if (entry !== null) {
      const devicePath = entry[4]?.trim();
      entries.push({ number: entry[1]!.toUpperCase(), label: entry[3]!.trimEnd(), active: entry[2] === '*', ...(devicePath ? { devicePath } : {}) });
      continue;
    }
    const kv = /^([A-Za-z0-9]+): ?(.*)$/.exec(line);
    if (kv === null) throw new ParseError('efibootmgr -v output', `unexpected line: ${JSON.stringify(line)}`);
    const [, key, value] = kv;
    if (key === 'Timeout') {
      const t = /^(\d+) seconds?$/.exec(value!.trim());
      if (t === null) throw new ParseError('efibootmgr -v output', `Timeout: ${value}`);
      timeout = Number(t[1]);
    } else if (key === 'BootOrder') {
      bootOrder = value!.trim() === '' ? [] : value!.trim().split(',').map((n) => n.toUpperCase());
      if (!bootOrder.every((n) => /^[0-9A-F]{4}$/.test(n))) throw new ParseError('efibootmgr -v output', `BootOrder: ${value}`);
    }
    // BootCurrent, BootNext and platform lines (MirroredPercentageAbove4G…) are facts of this
    // boot or of the firmware, not configuration: not recorded.
  }
  return { ...(timeout === undefined ? {} : { timeout }), bootOrder, entries };
}

/** HD(part,GPT,<uuid>,start,size) and File(path) out of a device path. */
export function devicePathParts(path: string): { partUuid?: string; file?: string } {
  const hd = /HD\(\d+,GPT,([0-9A-Fa-f-]{36}),/.exec(path);
  const file = /File\(([^)]*)\)/.exec(path);
  return { ...(hd ? { partUuid: hd[1]!.toLowerCase() } : {}), ...(file ? { file: file[1]! } : {}) };
}

/** /etc/initramfs-tools/modules and /etc/kernel/cmdline style: lines without comments. */
export function meaningfulLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
}

