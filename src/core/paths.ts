// Where the installation lives. The code runs from the sources (src/…) or from the bundle
// (dist/sysmanifest.js), so paths are found by walking up to the project's package.json,
// not by counting "../" from one file.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'sysmanifest') return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the sysmanifest installation above ${start}`);
  }
}

export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
