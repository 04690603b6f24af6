// A dataset's files as the datasets tests make them: nested directories, a file owned by
// uid 1000 with mode 0640 and an xattr, a hard link, an old mtime — everything a restore must
// bring back exactly (compared with tree-view.ts). xattrs through python3 (no attr package needed).
import { execFileSync } from 'node:child_process';
import { chownSync, linkSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const setXattr = (f: string, k: string, v: string): void => {
  execFileSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())', f, k, v]);
};

export const getXattr = (f: string, k: string): string => execFileSync('python3', ['-c', 'import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2]).decode())', f, k], { encoding: 'utf8' }).trim();

/** The tree in DIR (made if absent): 2025/summer/a.jpg (`big` bytes) and its hard link a-again.jpg, notes.txt (1000:1000, 0640, user.sysmanifest=kept), 2025/summer/b.jpg with a 2020 mtime. */
export function datasetTree(dir: string, big = 100_000): string {
  mkdirSync(join(dir, '2025/summer'), { recursive: true });
  writeFileSync(join(dir, '2025/summer/a.jpg'), 'A'.repeat(big));
  writeFileSync(join(dir, '2025/summer/b.jpg'), 'B'.repeat(50_000));
  writeFileSync(join(dir, 'notes.txt'), 'first\n', { mode: 0o640 });
  chownSync(join(dir, 'notes.txt'), 1000, 1000);
  linkSync(join(dir, '2025/summer/a.jpg'), join(dir, 'a-again.jpg'));
  setXattr(join(dir, 'notes.txt'), 'user.sysmanifest', 'kept');
  utimesSync(join(dir, '2025/summer/b.jpg'), new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
  return dir;
}
