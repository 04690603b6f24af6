// Plain-text tree renderer (used by `show`); it only renders, it decides nothing.

export interface TreeNode {
  readonly label: string;
  readonly children?: readonly TreeNode[];
}

export function renderTree(roots: readonly TreeNode[]): string {
  const lines: string[] = [];
  const walk = (node: TreeNode, prefix: string, childPrefix: string): void => {
    lines.push(`${prefix}${node.label}`);
    const kids = node.children ?? [];
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      walk(k, `${childPrefix}${last ? '└─ ' : '├─ '}`, `${childPrefix}${last ? '   ' : '│  '}`);
    });
  };
  for (const r of roots) walk(r, '', '');
  return lines.length ? `${lines.join('\n')}\n` : '(no storage in this manifest)\n';
}

/** 1.5 GiB, 512 MiB, 4 KiB: binary units, one decimal where it matters. */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}
