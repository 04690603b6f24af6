import type { ActiveSwap, MountInfo } from '../types.ts';

// Parsing the two sources of the inventory: `blkid -p -o export` and sysfs attribute files.

/**
 * `blkid -p -o export DEV` prints KEY=value lines. Values are escaped by blkid
 * (blkid_safe_string / "export" format uses shell-style backslash escaping of
 * unsafe characters), so undo backslash escapes.
 */
export function parseBlkidExport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    if (!/^[A-Z_0-9]+$/.test(key)) continue;
    out[key] = line.slice(eq + 1).replace(/\\(.)/g, '$1');
  }
  return out;
}

export function parseIntStrict(text: string, what: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new Error(`${what}: expected an integer, got ${JSON.stringify(text)}`);
  return Number(t);
}

/** /proc/self/mountinfo: "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue" (proc(5)). */
export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const f = left.split(' ');
    const g = right.split(' ');
    out.push({
      majMin: f[2] ?? '',
      root: unescapeOctal(f[3] ?? ''),
      mountpoint: unescapeOctal(f[4] ?? ''),
      fstype: g[0] ?? '',
      source: unescapeOctal(g[1] ?? ''),
      options: f[5] ?? '',
    });
  }
  return out;
}

/** /proc/swaps: "Filename Type Size Used Priority" header, then one line per swap area. */
export function parseProcSwaps(text: string): ActiveSwap[] {
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => {
      const [path = '', type = ''] = l.trim().split(/\s+/);
      return { path: unescapeOctal(path), type };
    });
}

/** The kernel escapes space, tab, newline and backslash in these files as \040 etc. */
export function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
