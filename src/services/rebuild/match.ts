// Matching manifest disks to the disks present: by WWN, then serial, or by an explicit
// --map SRC=DEV (SRC: the disk's id in the manifest, or the device path it had at capture).
// Disks are matched, never assumed: anything ambiguous or missing is an error that lists
// the candidates.
import type { Disk } from '../../core/manifest/types.gen.ts';
import { UserError } from '../../core/errors.ts';
import type { DiskIdentity } from '../../providers/storage/disks/index.ts';
import { humanBytes } from '../../ui/tree.ts';

export interface MapOption {
  readonly src: string;
  readonly dev: string;
}

export function parseMapOption(text: string): MapOption {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new UserError('USAGE', `--map ${text}: expected SRC=DEV, e.g. --map disk0=/dev/sdb`);
  return { src: text.slice(0, eq), dev: text.slice(eq + 1) };
}

export function describeCandidate(d: DiskIdentity): string {
  return [d.path, humanBytes(d.sizeBytes), d.model, d.serial && `serial ${d.serial}`, d.wwn && `wwn ${d.wwn}`].filter(Boolean).join(', ');
}

/**
 * Returns manifest disk id → target kname. `present` are the disks on this machine that
 * could be targets; `resolveDev` turns a --map device path into a kname (following links).
 */
export function matchDisks(disks: readonly Disk[], present: readonly DiskIdentity[], maps: readonly MapOption[], resolveDev: (dev: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  const byKname = new Map(present.map((p) => [p.kname, p]));
  const candidates = (): string => (present.length ? present.map((p) => `  ${describeCandidate(p)}`).join('\n') : '  (no disks found)');

  for (const m of maps) {
    const disk = disks.find((d) => d.id === m.src) ?? disks.find((d) => d.path === m.src);
    if (!disk) {
      problems.push(`--map ${m.src}=${m.dev}: the manifest has no disk with id or captured path ${m.src} (it has: ${disks.map((d) => `${d.id}${d.path ? ` (${d.path})` : ''}`).join(', ')})`);
      continue;
    }
    // The same manifest disk named twice (by id or by its captured path): an error, not last-one-wins.
    const earlier = maps.find((x) => x !== m && (x.src === disk.id || x.src === disk.path) && maps.indexOf(x) < maps.indexOf(m));
    if (earlier) {
      problems.push(`--map ${m.src}=${m.dev}: ${disk.id} is already mapped by --map ${earlier.src}=${earlier.dev}; give each manifest disk one target`);
      continue;
    }
    const kname = resolveDev(m.dev);
    if (!byKname.has(kname)) {
      problems.push(`--map ${m.src}=${m.dev}: ${m.dev} is not a whole disk that can be a target; candidates:\n${candidates()}`);
      continue;
    }
    out[disk.id] = kname;
  }

  for (const disk of disks) {
    if (out[disk.id] !== undefined) continue;
    const { wwn, serial } = disk.match;
    let found = wwn ? present.filter((p) => p.wwn === wwn) : [];
    let by = 'WWN';
    if (found.length === 0 && serial) {
      found = present.filter((p) => p.serial === serial);
      by = 'serial';
    }
    const what = `${disk.id} (${[disk.match.model, serial && `serial ${serial}`, wwn && `wwn ${wwn}`, humanBytes(disk.match.sizeBytes)].filter(Boolean).join(', ')})`;
    if (found.length === 1) out[disk.id] = found[0]!.kname;
    else if (found.length > 1) problems.push(`${what}: ${found.length} disks have this ${by}: ${found.map((f) => f.path).join(', ')}; choose one with --map ${disk.id}=/dev/…`);
    else problems.push(`${what}: no disk here has its ${wwn || serial ? 'WWN or serial' : 'identity (the manifest records none)'}; choose the target with --map ${disk.id}=/dev/…; candidates:\n${candidates()}`);
  }

  const used = new Map<string, string>();
  for (const [id, k] of Object.entries(out)) {
    const prev = used.get(k);
    if (prev) problems.push(`${id} and ${prev} would both be rebuilt onto ${byKname.get(k)?.path ?? k}`);
    used.set(k, id);
  }
  if (problems.length) throw new UserError('DEVICE', `cannot match the manifest's disks to this machine's disks:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  return out;
}
