// The decision for one path, pure: base (the recorded common ancestor, if any), ours (the
// user's captured file), theirs (what the fresh install has). Nothing is ever overwritten
// silently: every case the three versions cannot settle is a conflict or a review item.
import { formatFor, isBinary, mergeFile, type MergeFormat } from './engine/index.ts';
import type { Action, Outcome, Side } from './types.ts';

export interface Decision {
  readonly outcome: Outcome;
  readonly action: Action;
  readonly why: string;
  /** The staged content (action 'write'; for a conflict: the text with markers). */
  readonly result?: Buffer;
  readonly linkTarget?: string;
  readonly format?: MergeFormat;
  readonly conflicts?: number;
}

/** undefined: nothing to do (both sides hold the same thing). */
export function decide(rel: string, base: Buffer | undefined, ours: Side, theirs: Side, labels?: { ours: string; theirs: string; base: string }): Decision | undefined {
  if (ours.kind === 'absent') {
    // A file the user had deleted (a deleted conffile: the base is its shipped version).
    if (theirs.kind === 'absent' || base === undefined) return undefined;
    if (theirs.kind === 'file' && theirs.data.equals(base)) return { outcome: 'deleted', action: 'delete', why: 'you had deleted it; the new release ships the same default: it stays deleted' };
    return { outcome: 'review', action: 'none', why: 'you had deleted it; the new release changed it' };
  }
  if (ours.kind === 'link') {
    if (theirs.kind === 'absent') return { outcome: 'ours', action: 'link', linkTarget: ours.target, why: 'your symbolic link, new in this system' };
    if (theirs.kind === 'link' && theirs.target === ours.target) return undefined;
    return { outcome: 'review', action: 'none', linkTarget: ours.target, why: `your symbolic link (→ ${ours.target}) where the new system has ${theirs.kind === 'link' ? `one to ${theirs.target}` : `a ${theirs.kind === 'other' ? theirs.what : 'file'}`}` };
  }
  if (ours.kind === 'other') return { outcome: 'skipped', action: 'none', why: `not a file (${ours.what})` };
  // ours is a file
  if (theirs.kind === 'absent') {
    if (base === undefined) return { outcome: 'ours', action: 'write', result: ours.data, why: 'your file, new in this system' };
    if (ours.data.equals(base)) return undefined; // the new release removed a default the user never changed
    return { outcome: 'review', action: 'none', why: 'you changed it; the new release no longer has it' };
  }
  if (theirs.kind !== 'file') return { outcome: 'review', action: 'none', why: `your file where the new system has ${theirs.kind === 'link' ? `a symbolic link to ${theirs.target}` : `a ${theirs.what}`}` };
  if (ours.data.equals(theirs.data)) return undefined;
  if (base !== undefined && base.equals(ours.data)) return { outcome: 'theirs', action: 'none', why: 'you had not changed it: the new default is kept' };
  if (base !== undefined && base.equals(theirs.data)) return { outcome: 'ours', action: 'write', result: ours.data, why: 'the new release did not change it: your version is kept' };
  if (base === undefined) return { outcome: 'review', action: 'none', why: 'differs from the new system\'s, and no common ancestor is known (not a package\'s pristine file, or none was recorded)' };
  if (isBinary(base) || isBinary(ours.data) || isBinary(theirs.data)) return { outcome: 'review', action: 'none', why: 'binary, changed on both sides' };
  const format = formatFor(rel);
  const r = mergeFile({ base: base.toString('utf8'), ours: ours.data.toString('utf8'), theirs: theirs.data.toString('utf8'), format, path: rel, ...(labels ? { labels } : {}) });
  const result = Buffer.from(r.text, 'utf8');
  if (r.conflicts > 0) return { outcome: 'conflict', action: 'write', result, format: r.format, conflicts: r.conflicts, why: `${r.conflicts} overlapping change${r.conflicts === 1 ? '' : 's'} (${r.method === 'structured' ? `by key, ${r.format}` : 'by lines'})` };
  return { outcome: 'merged', action: 'write', result, format: r.format, conflicts: 0, why: `your changes and the new defaults merged (${r.method === 'structured' ? `by key, ${r.format}` : 'by lines'})` };
}
