// Path globs for the /etc secret list (repos.etc.exclude) and dataset include/exclude.
// The syntax is the gitignore subset administrators already know, on paths relative to a
// base directory (/etc, or the dataset's path), always with `/` separators:
//   *        any run of characters except `/`          ssh/ssh_host_*_key
//   ?        one character except `/`
//   [abc]    one character of a class ([!abc] negates)  shadow[-]
//   **       any number of whole segments (also none)   **/*.key, letsencrypt/**
//   dir/     a trailing slash: that directory and everything below it
// A pattern without a `/` (other than a trailing one) matches the last segment at any depth
// (`*.key` matches `ssl/private/x.key`), as in gitignore; a pattern with one is anchored at
// the base. A leading `/` anchors explicitly, and a leading `/etc/` is accepted and dropped so
// that users may write absolute /etc paths.

export interface CompiledGlob {
  readonly pattern: string;
  /** True when `rel` (relative, no leading slash) or one of its parent directories matches. */
  matches(rel: string): boolean;
}

function escapeRe(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/** Translates one segment-level glob (no `**`) into a regex fragment. */
function segmentRe(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^/' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else out += escapeRe(c);
  }
  return out;
}

export function compileGlob(pattern: string, options: { stripPrefix?: string } = {}): CompiledGlob {
  let p = pattern.trim();
  if (p === '') throw new Error('empty glob pattern');
  const prefix = options.stripPrefix;
  if (prefix !== undefined && (p === prefix || p.startsWith(`${prefix}/`))) p = p.slice(prefix.length) || '/';
  const dirOnly = p.endsWith('/');
  if (dirOnly) p = p.replace(/\/+$/, '');
  const anchored = p.startsWith('/') || p.includes('/');
  p = p.replace(/^\/+/, '');
  if (p === '') {
    // "/" or "/etc/": everything.
    return { pattern, matches: () => true };
  }
  const parts = p.split('/');
  let re = '';
  parts.forEach((seg, i) => {
    const last = i === parts.length - 1;
    if (seg === '**') {
      // `a/**/b` matches a/b, a/x/b …; a trailing `**` matches everything below.
      re += last ? '.*' : '(?:[^/]+/)*';
    } else {
      re += segmentRe(seg) + (last ? '' : '/');
    }
  });
  // The path itself, or (directory semantics) anything below it.
  const body = anchored ? `^${re}` : `^(?:.*/)?${re}`;
  const full = new RegExp(`${body}$`);
  const below = new RegExp(`${body}/`);
  return {
    pattern,
    matches(rel: string): boolean {
      if (below.test(rel)) return true; // a parent directory matched: everything in it is covered
      return dirOnly ? false : full.test(rel);
    },
  };
}

/** The first pattern of `globs` that matches `rel`, or undefined. */
export function firstMatch<T extends CompiledGlob>(globs: readonly T[], rel: string): T | undefined {
  return globs.find((g) => g.matches(rel));
}
