// Text that reaches the operator's terminal. A manifest, a --root tree or a tool's output can
// carry control characters: an ESC sequence that clears the screen and redraws a harmless
// plan, a carriage return that overwrites a line, a right-to-left override that shows a name
// backwards. Everything shown goes through printable(): such characters are shown as
// escapes (\u001b, \u202e), never sent raw. Newlines are kept where they separate lines.

// C0 (except tab and newline, when lines are kept), DEL, C1, and the Unicode bidi controls.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/gu;
// eslint-disable-next-line no-control-regex
const UNPRINTABLE_NL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/gu;

// \uXXXX: the form JSON, JavaScript and YAML's double quotes all read back, so JSON output
// that goes through printable() stays valid JSON.
const escape = (c: string): string => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`;

/** `s` with every control character escaped; newlines too unless `lines` is set. */
export function printable(s: string, options: { lines?: boolean } = {}): string {
  // Lone surrogates only: a well-formed pair is one code point the /u flag does not match.
  return s.replace(options.lines ? UNPRINTABLE : UNPRINTABLE_NL, escape);
}

/** POSIX single quoting: any string as one shell word (a command line for sh or for ssh's remote shell). */
export function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
