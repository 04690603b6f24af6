// Comments the user wrote: carried with the keys they changed into theirs' text. A comment line
// is the user's when neither base nor theirs has it (the package's own comments are in one of
// them), so a note is never copied over a comment the new default already carries.
export const lineStart = (s: string, at: number): number => s.lastIndexOf('\n', at - 1) + 1;

export const lineEnd = (s: string, at: number): number => {
  const nl = s.indexOf('\n', at);
  return nl < 0 ? s.length : nl + 1;
};

/** Every line of base and theirs, trimmed. */
export function knownLines(base: string, theirs: string): Set<string> {
  return new Set([...base.split('\n'), ...theirs.split('\n')].map((l) => l.trim()));
}

/**
 * Where the user's comment lines right above the line holding offset `at` begin (the start of
 * that line when there are none). `comment` says what a comment line starts with.
 */
export function notesStart(text: string, at: number, known: ReadonlySet<string>, comment: RegExp): number {
  let start = lineStart(text, at);
  while (start > 0) {
    const prev = lineStart(text, start - 1);
    const line = text.slice(prev, start).trim();
    if (!comment.test(line) || known.has(line)) break;
    start = prev;
  }
  return start;
}
