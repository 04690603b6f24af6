// The line-based three-way merge: diff3 as git merge-file --diff3 does it, on node-diff3's
// Khanna–Kunal–Pierce merge of the two LCS diffs (base→ours, base→theirs).
import { diff3Merge } from 'node-diff3';

export interface Labels {
  readonly base: string;
  readonly ours: string;
  readonly theirs: string;
}

export const DEFAULT_LABELS: Labels = { base: 'base', ours: 'ours', theirs: 'theirs' };

export interface LinesMerge {
  readonly text: string;
  readonly conflicts: number;
}

/**
 * Lines with their own terminators ("a\n", "b\r\n", and a last "c" without one). Keeping the
 * terminator inside the token is what keeps a missing final newline and CRLF exact: the merge
 * only ever concatenates tokens it was given.
 */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** The line ending a file uses, judged by its first line; what conflict markers are written with. */
export function eolOf(text: string): '\n' | '\r\n' {
  const nl = text.indexOf('\n');
  return nl > 0 && text[nl - 1] === '\r' ? '\r\n' : '\n';
}

/**
 * diff3 merge by lines. Overlapping edits become conflict blocks in git's diff3 style; the same
 * change on both sides is taken once (node-diff3's excludeFalseConflicts).
 */
export function mergeLines(base: string, ours: string, theirs: string, labels: Labels = DEFAULT_LABELS): LinesMerge {
  const a = splitLines(ours);
  const o = splitLines(base);
  const b = splitLines(theirs);
  // Lines the three share at both ends cannot take part in a conflict: leave them out of the
  // LCS, which is the expensive part (a config file usually differs in a few places).
  let head = 0;
  const short = Math.min(a.length, o.length, b.length);
  while (head < short && a[head] === o[head] && o[head] === b[head]) head++;
  let tail = 0;
  while (tail < short - head && a[a.length - 1 - tail] === o[o.length - 1 - tail] && o[o.length - 1 - tail] === b[b.length - 1 - tail]) tail++;

  const out: string[] = a.slice(0, head);
  const eol = eolOf(ours || theirs || base);
  let conflicts = 0;
  const regions = diff3Merge(a.slice(head, a.length - tail), o.slice(head, o.length - tail), b.slice(head, b.length - tail), { excludeFalseConflicts: true });
  for (const r of regions) {
    if (r.ok) {
      out.push(...r.ok);
    } else if (r.conflict) {
      conflicts++;
      // A side whose last line has no newline would run into the next marker: git adds one.
      const side = (lines: string[]): string[] => {
        const last = lines.at(-1);
        return last === undefined || last.endsWith('\n') ? lines : [...lines.slice(0, -1), last + eol];
      };
      out.push(`<<<<<<< ${labels.ours}${eol}`, ...side(r.conflict.a), `||||||| ${labels.base}${eol}`, ...side(r.conflict.o), `=======${eol}`, ...side(r.conflict.b), `>>>>>>> ${labels.theirs}${eol}`);
    }
  }
  out.push(...a.slice(a.length - tail));
  return { text: out.join(''), conflicts };
}
