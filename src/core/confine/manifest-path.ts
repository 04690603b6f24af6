// Paths that come from a manifest: what they may look like, and the one way they are joined
// to a root directory (--target, --root). A manifest is hostile input (hand-edited, merged,
// pulled from a machine that may have been compromised): a path is accepted only in its one
// canonical form, so that "inside the root" can be decided on the text alone.
import { posix } from 'node:path';
import { UserError } from '../errors.ts';

/** Linux PATH_MAX (include/uapi/linux/limits.h), counting the terminating NUL: 4095 usable bytes. */
export const PATH_MAX = 4096;
/** Linux NAME_MAX: the longest one component may be, in bytes. */
export const NAME_MAX = 255;

/**
 * C0 controls, DEL and C1 controls. NUL ends a C string (the kernel would see a shorter path
 * than the one checked); newline and ESC break the line-oriented files these paths go into
 * (fstab, crypttab) and the terminal that shows the plan. C1 (U+0080–U+009F) includes CSI.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export const hasControl = (s: string): boolean => CONTROL.test(s);

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Why the components of a path (split on "/") are not acceptable; undefined when they are. */
function componentsProblem(parts: readonly string[]): string | undefined {
  for (const c of parts) {
    if (c === '') return 'has an empty component ("//", or a trailing "/")';
    if (c === '.' || c === '..') return `has a "${c}" component (write the path without it)`;
    if (bytes(c) > NAME_MAX) return `has a component longer than ${NAME_MAX} bytes`;
  }
  return undefined;
}

function stringProblem(p: unknown): string | undefined {
  if (typeof p !== 'string') return 'is not a string';
  if (p === '') return 'is empty';
  if (hasControl(p)) return 'contains a control character (NUL, newline, ESC …)';
  if (bytes(p) >= PATH_MAX) return `is longer than ${PATH_MAX - 1} bytes`;
  return undefined;
}

/**
 * Why `p` is not an absolute, normalised path; undefined when it is one. Normalised: no
 * empty, "." or ".." component and no trailing "/" ("/" itself is fine) — exactly the
 * strings that posix.normalize leaves unchanged and that contain no "..".
 */
export function absolutePathProblem(p: unknown): string | undefined {
  const s = stringProblem(p);
  if (s !== undefined) return s;
  const str = p as string;
  if (!str.startsWith('/')) return 'is not absolute (it must start with "/")';
  if (str === '/') return undefined;
  return componentsProblem(str.slice(1).split('/'));
}

/** Why `p` is not a relative, normalised path (btrfs subvolume paths, files under hosts/NAME/). */
export function relativePathProblem(p: unknown): string | undefined {
  const s = stringProblem(p);
  if (s !== undefined) return s;
  const str = p as string;
  if (str.startsWith('/')) return 'is absolute (it must be relative, without a leading "/")';
  return componentsProblem(str.split('/'));
}

/** Why `name` is not one plain path component (a file name): no "/", not "." or "..". */
export function componentProblem(name: unknown): string | undefined {
  const s = stringProblem(name);
  if (s !== undefined) return s;
  const str = name as string;
  if (str.includes('/')) return 'contains "/" (it must be a single name)';
  return componentsProblem([str]);
}

const shown = (p: unknown): string => (typeof p === 'string' ? JSON.stringify(p) : String(p));

function refuse(where: string, p: unknown, problem: string): UserError {
  return new UserError('MANIFEST_RULE', `${where}: ${shown(p)} ${problem}`, {
    hint: 'paths in a manifest are absolute and normalised (no "//", ".", "..", trailing "/" or control characters); fix the manifest',
  });
}

/** `p` when it is an absolute, normalised path; else a UserError naming `where` (a manifest path). */
export function checkManifestPath(p: unknown, where = 'path'): string {
  const problem = absolutePathProblem(p);
  if (problem !== undefined) throw refuse(where, p, problem);
  return p as string;
}

/** `p` when it is a relative, normalised path; else a UserError naming `where`. */
export function checkRelativePath(p: unknown, where = 'path'): string {
  const problem = relativePathProblem(p);
  if (problem !== undefined) throw refuse(where, p, problem);
  return p as string;
}

/**
 * The ONLY way a manifest path is joined to a root directory. `p` is an absolute path of the
 * described system ("/srv/data") or a relative one ("@home/nested"); it is checked, joined,
 * and the result is proven (lexically: `p` has no ".." left to resolve) to be `root` or below
 * it. Throws a UserError otherwise. `root` is the program's own (a --target or --root the user
 * gave); it is resolved to an absolute, normalised path first.
 */
export function joinInside(root: string, p: unknown, where = 'path'): string {
  const problem = typeof p === 'string' && !p.startsWith('/') ? relativePathProblem(p) : absolutePathProblem(p);
  if (problem !== undefined) throw refuse(where, p, problem);
  const base = posix.resolve(root);
  const out = p === '/' ? base : posix.join(base, p as string);
  const rel = posix.relative(base, out);
  // Belt and braces: the checks above make this unreachable; it is what the invariant says.
  if (rel === '..' || rel.startsWith('../') || posix.isAbsolute(rel)) throw refuse(where, p, `leads outside ${base}`);
  if (bytes(out) >= PATH_MAX) throw refuse(where, p, `joined to ${base} is longer than ${PATH_MAX - 1} bytes`);
  return out;
}

/** `dir/name` for a single plain component `name` (a cache file, a side file); a UserError otherwise. */
export function childInside(dir: string, name: unknown, where = 'name'): string {
  const problem = componentProblem(name);
  if (problem !== undefined) throw refuse(where, name, problem);
  return joinInside(dir, name as string, where);
}
