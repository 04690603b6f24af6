// Which merge a file gets, decided from its name alone, and whether its bytes are text at all.
import { basename } from 'node:path';

export type MergeFormat = 'json' | 'yaml' | 'ini' | 'gitconfig' | 'toml' | 'text';

export const MERGE_FORMATS: readonly MergeFormat[] = ['json', 'yaml', 'ini', 'gitconfig', 'toml', 'text'];

export function isMergeFormat(s: string): s is MergeFormat {
  return (MERGE_FORMATS as readonly string[]).includes(s);
}

/**
 * The format of a file by its name. Deliberately narrow: `*.conf` and `*.cfg` stay text, because
 * under /etc they are anything from shell fragments (default/*) to nginx blocks to TOML
 * (containers' registries.conf); a key merge on the wrong grammar would be worse than diff3.
 */
export function formatFor(path: string): MergeFormat {
  const p = path.replaceAll('\\', '/');
  const name = basename(p).toLowerCase();
  if (name.endsWith('.json') || name.endsWith('.jsonc') || name.endsWith('.code-workspace')) return 'json';
  if (name.endsWith('.yaml') || name.endsWith('.yml')) return 'yaml';
  if (name.endsWith('.toml')) return 'toml';
  // git-config: ~/.gitconfig, /etc/gitconfig, a repository's .git/config, ~/.config/git/config,
  // and included files named *.gitconfig; .gitmodules uses the same grammar (git-config(1)).
  if (name === '.gitconfig' || name === 'gitconfig' || name.endsWith('.gitconfig') || name === '.gitmodules') return 'gitconfig';
  if (name === 'config' && (/(^|\/)\.git\/config$/.test(p) || /(^|\/)git\/config$/.test(p))) return 'gitconfig';
  // Desktop entries and the XDG mime lists are INI-like key files (Desktop Entry Specification).
  if (name.endsWith('.ini') || name.endsWith('.desktop') || name.endsWith('.directory') || name === 'mimeapps.list' || name.endsWith('-mimeapps.list')) return 'ini';
  return 'text';
}

// git's buffer_is_binary() looks at the first 8000 bytes for a NUL (xdiff-interface.c).
const FIRST_FEW_BYTES = 8000;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Binary as git decides it (a NUL in the first 8000 bytes), or bytes that are not UTF-8 at all. */
export function isBinary(data: Uint8Array): boolean {
  const n = Math.min(data.length, FIRST_FEW_BYTES);
  for (let i = 0; i < n; i++) if (data[i] === 0) return true;
  try {
    utf8.decode(data);
    return false;
  } catch {
    return true;
  }
}
