// A tree as the tools see it, to compare two trees exactly: every entry's path, mode, owner,
// size, mtime (whole seconds) and link target (find -printf), then every file's sha256.
import { execFileSync } from 'node:child_process';

export const treeView = (root: string): string => execFileSync('sh', ['-c', `cd "$1" && find . -mindepth 1 -printf '%P %M %u:%g %s %T@ %l\\n' | sort && find . -type f -exec sha256sum {} + | sort -k2`, 'sh', root], { encoding: 'utf8' }).replace(/(\d+)\.\d+ /g, '$1 ');
