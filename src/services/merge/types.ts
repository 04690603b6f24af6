// The vocabulary of a merge: one entry per path that needs a decision, what was decided and
// what `merge apply` will do with it. Kept in the staging area as JSON (state.json).
import type { MergeFormat } from './engine/index.ts';

export type Outcome =
  /** both sides changed, merged without overlap */
  | 'merged'
  /** the new release's file kept: the user had not changed it (ours = base) */
  | 'theirs'
  /** the user's file kept: the new release had not changed it (theirs = base), or it is new */
  | 'ours'
  /** the user had deleted it and the new release ships the old default: it stays deleted */
  | 'deleted'
  /** overlapping edits: staged with diff3 markers */
  | 'conflict'
  /** no way to decide safely (no common ancestor, binary, a symlink, deleted on one side and changed on the other) */
  | 'review'
  /** clutter: never brought back */
  | 'clutter'
  /** handled elsewhere (accounts) or not a file a merge writes */
  | 'skipped';

/** What `merge apply` does for an entry. */
export type Action = 'write' | 'link' | 'delete' | 'none';

export type Side =
  | { readonly kind: 'file'; readonly data: Buffer }
  | { readonly kind: 'link'; readonly target: string }
  | { readonly kind: 'absent' }
  /** a directory, device, FIFO or socket where the other side has a file */
  | { readonly kind: 'other'; readonly what: string };

export interface TheirsFact {
  readonly kind: Side['kind'];
  /** sha256 of a file's bytes or of a link's target: apply refuses when it changed since the merge. */
  readonly sha256?: string;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
}

export interface Entry {
  /** The path in the fresh system ("/etc/ssh/sshd_config", "/home/alice/.bashrc"). */
  readonly path: string;
  /** Relative to the area's base directory: the name inside the staging area. */
  readonly rel: string;
  outcome: Outcome;
  readonly why: string;
  action: Action;
  readonly format?: MergeFormat;
  readonly conflicts?: number;
  /** Where the base came from. */
  readonly base?: 'recorded' | 'skel' | 'first-commit';
  readonly theirs: TheirsFact;
  /** What the user's side holds. */
  readonly ours: 'file' | 'link' | 'absent';
  /** Mode for a file the fresh system does not have (from git: 0755 or 0644, or the /etc metadata). */
  readonly newMode?: number;
  /** Owner for a file the fresh system does not have. */
  readonly newOwner?: { readonly uid: number; readonly gid: number };
  /** A symlink's target (action 'link'). */
  readonly linkTarget?: string;
  /** Set by `merge resolve`. */
  resolved?: 'ours' | 'theirs' | 'edit';
  /** Set by `merge apply` once its change is made (cleared by undo). */
  applied?: boolean;
}

export type AreaName = 'etc' | `home-${string}`;

export interface StagedArea {
  readonly format: 1;
  readonly area: AreaName;
  /** The directory of the fresh system the paths are under ("/etc", "/home/alice"). */
  readonly dir: string;
  /** The fresh system's root ("/" or --root). */
  readonly root: string;
  readonly manifest: string;
  readonly createdAt: string;
  readonly entries: Entry[];
  /** Paths looked at and found equal on both sides, or only in the fresh system: not listed one by one. */
  readonly unchanged: number;
  /** Set by apply, cleared by undo. */
  applied?: { readonly at: string; readonly changes: number };
}
