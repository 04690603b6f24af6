import type { OsRelease } from '../../../core/manifest/types.gen.ts';

/** os-release(5): shell-compatible KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    if (/^".*"$/.test(v)) v = v.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    else if (/^'.*'$/.test(v)) v = v.slice(1, -1);
    out[m[1]!] = v;
  }
  return out;
}

export function osFromRelease(fields: Record<string, string>): OsRelease {
  const os: OsRelease = {};
  if (fields.ID) os.id = fields.ID;
  if (fields.VERSION_ID) os.versionId = fields.VERSION_ID;
  if (fields.VERSION_CODENAME) os.codename = fields.VERSION_CODENAME;
  if (fields.PRETTY_NAME) os.prettyName = fields.PRETTY_NAME;
  return os;
}
