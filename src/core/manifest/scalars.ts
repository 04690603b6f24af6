// One guard over every scalar of a manifest, before the schema looks at it. A manifest comes
// out of a git repository that anyone may have edited, merged or pulled from a compromised
// machine; its strings end up in argv, in script lines (sfdisk, fstab, crypttab) and on the
// operator's terminal, and its numbers in sector and byte arithmetic. So, everywhere:
// - no control characters (C0, DEL, C1) and no bidirectional overrides: a newline would add a
//   line to a rendered script, an ESC would redraw the confirmation screen, U+202E would show
//   a name reversed. No value sysmanifest captures ever needs one.
// - no lone UTF-16 surrogates (they cannot be written to a file as UTF-8);
// - strings of at most MAX_STRING characters;
// - numbers finite and exact: an integer beyond 2^53 (1e21) has lost its low digits, and a
//   byte count that is not what the user wrote must never reach a disk.
// It is a generic rule on purpose: one check for the whole input surface, not one per field.

export const MAX_STRING = 4096;

export interface ScalarIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

// C0 controls, DEL, C1 controls, and the Unicode bidi embedding/override/isolate controls.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const LONE_SURROGATE = /\p{Surrogate}/u;

/** How a forbidden character is named in a message: U+000A (newline). */
export function describeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  const names: Record<number, string> = { 0: 'NUL', 9: 'tab', 10: 'newline', 13: 'carriage return', 27: 'ESC', 127: 'DEL', 0x202e: 'right-to-left override' };
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}${names[code] ? ` (${names[code]})` : ''}`;
}

function stringProblem(s: string): string | undefined {
  if (s.length > MAX_STRING) return `is ${s.length} characters long; at most ${MAX_STRING} are accepted`;
  const bad = FORBIDDEN.exec(s);
  if (bad) return `contains the control character ${describeChar(bad[0])} at position ${bad.index}; manifest values never contain control characters`;
  if (LONE_SURROGATE.test(s)) return 'contains a lone UTF-16 surrogate (not valid Unicode text)';
  return undefined;
}

/** Every scalar problem of a parsed document (plain JSON-like value), with its path. Iterative: no recursion limit. */
export function checkScalars(doc: unknown): ScalarIssue[] {
  const issues: ScalarIssue[] = [];
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: doc, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      const p = stringProblem(v);
      if (p) issues.push({ path, message: p });
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) issues.push({ path, message: `${String(v)} is not a number sysmanifest accepts` });
      else if (Number.isInteger(v) ? !Number.isSafeInteger(v) : Math.abs(v) > Number.MAX_SAFE_INTEGER)
        issues.push({ path, message: `${String(v)} is too large to be exact (at most ${Number.MAX_SAFE_INTEGER})` });
    } else if (typeof v === 'bigint') {
      issues.push({ path, message: 'is too large to be exact' });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i] });
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v).reverse()) {
        const p = stringProblem(k);
        if (p) issues.push({ path: [...path, k], message: `the key ${p}` });
        stack.push({ v: x, path: [...path, k] });
      }
    }
    if (issues.length >= 50) break; // enough to act on; a hostile file could have millions
  }
  return issues;
}
