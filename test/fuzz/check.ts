// What "a plan whose rendered commands stay in bounds" means, checked on every plan the fuzzer
// gets: every program is one the planners use; every argument is control-free; every path is
// normalised and lies under /dev (one component under /dev/mapper and /dev/md), the target, or
// sysmanifest's own /run directory; every sfdisk script line is one sfdisk reads as intended
// (exactly the manifest's partitions, field by field); every LVM metadata text tokenises.
import { posix } from 'node:path';
import type { Manifest } from '../../src/core/manifest/types.gen.ts';
import type { Plan, Step } from '../../src/core/plan/types.ts';
import { ASSEMBLE } from '../../src/providers/storage/mdraid/plan.ts';

const PROGRAMS = new Set([
  'sfdisk', 'partx', 'wipefs', 'udevadm', 'mdadm', 'cryptsetup', 'pvcreate', 'pvresize', 'vgcfgrestore', 'vgchange', 'lvchange', 'lvs', 'tee', 'thin_restore',
  'mke2fs', 'tune2fs', 'debugfs', 'resize2fs', 'mkfs.xfs', 'xfs_admin', 'mkfs.btrfs', 'btrfs', 'mkfs.fat', 'mkswap', 'chattr', 'mkdir', 'mount', 'umount', 'rm', 'true',
  'sh', // only `sh -s -- ARGS` with the md-assemble script, a constant, on stdin (checked below)
]);

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
export function controlChar(s: string): string | undefined {
  const m = CONTROL.exec(s);
  return m ? `U+${m[0].codePointAt(0)!.toString(16).padStart(4, '0')}` : undefined;
}

const DM_NAME = /^(?!\.\.?$)(?!-)[A-Za-z0-9_.+:@=#-]{1,127}$/;
const MD_NAME = /^(?!\.\.?$)[A-Za-z0-9_.+-]{1,32}$/;

function fail(step: Step, what: string): never {
  throw new Error(`step ${JSON.stringify(step.id)} (${JSON.stringify(step.argv)}): ${what}`);
}

function checkPath(step: Step, p: string, target: string): void {
  if (posix.normalize(p) !== p || (p.length > 1 && p.endsWith('/'))) fail(step, `path ${JSON.stringify(p)} is not normalised (it would resolve to ${posix.normalize(p)})`);
  const under = (root: string): boolean => p === root || p.startsWith(`${root}/`);
  if (under('/dev')) {
    const mapper = /^\/dev\/mapper\/(.*)$/.exec(p);
    if (mapper && !DM_NAME.test(mapper[1]!)) fail(step, `${JSON.stringify(p)}: not one valid device-mapper name under /dev/mapper`);
    const md = /^\/dev\/md\/(.*)$/.exec(p);
    if (md && !MD_NAME.test(md[1]!)) fail(step, `${JSON.stringify(p)}: not one valid md name under /dev/md`);
    return;
  }
  if (under(target) || under('/run/sysmanifest')) return;
  fail(step, `path ${JSON.stringify(p)} lies outside /dev, the target ${target} and /run/sysmanifest`);
}

// Options whose value is free text (a label, a volume name): a label may start with "/".
const TEXT_OPTIONS = new Set(['-L', '--label', '-n', '--subsystem', '-U', '--uuid']);

/** The arguments that are paths: those starting with "/", except the values of TEXT_OPTIONS. */
function pathArgs(argv: readonly string[]): string[] {
  return argv.filter((a, i) => i > 0 && a.startsWith('/') && !TEXT_OPTIONS.has(argv[i - 1]!));
}

/** sfdisk's script: header lines, a blank line, one line per partition. Parsed as sfdisk does (sfdisk(8) "Input format"). */
function checkSfdisk(step: Step, text: string, m: Manifest): void {
  const device = step.argv[step.argv.length - 1]!;
  const disk = (m.storage?.disks ?? []).find((d) => step.id === `sfdisk:${d.id}` || step.id === `table:${d.id}`);
  if (!disk) fail(step, 'an sfdisk step for no manifest disk');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const blank = lines.indexOf('');
  const header = blank < 0 ? lines : lines.slice(0, blank);
  const body = blank < 0 ? [] : lines.slice(blank + 1);
  const HEADER = /^(label|label-id|unit|first-lba|last-lba|table-length|sector-size): [A-Za-z0-9-]+$/;
  for (const h of header) if (!HEADER.test(h)) fail(step, `sfdisk header line ${JSON.stringify(h)} is not one sfdisk reads as a header`);
  const parts = [...(disk.partitions ?? [])].sort((a, b) => a.number - b.number);
  if (body.length !== parts.length) fail(step, `sfdisk script has ${body.length} partition lines for ${parts.length} partitions`);
  body.forEach((line, i) => {
    const p = parts[i]!;
    const m2 = /^(\S+) : (.*)$/.exec(line);
    if (!m2 || !m2[1]!.startsWith(device)) fail(step, `partition line ${JSON.stringify(line)} does not name a partition of ${device}`);
    if (!m2[1]!.endsWith(String(p.number))) fail(step, `partition line ${JSON.stringify(line)} is not partition ${p.number}`);
    // Fields: key=value separated by ", "; a quoted value may hold anything but a raw quote.
    const fields = new Map<string, string>();
    const re = /(?:^|, )([a-z-]+)(?:=("(?:[^"\\]|\\x[0-9a-f]{2})*"|[^,"\s]*))?(?=, |$)/gy;
    let consumed = 0;
    for (let f = re.exec(m2[2]!); f; f = re.exec(m2[2]!)) {
      fields.set(f[1]!, f[2] ?? '');
      consumed = re.lastIndex;
    }
    if (consumed !== m2[2]!.length) fail(step, `partition line ${JSON.stringify(line)} has text sfdisk would read differently`);
    const unquote = (v: string): string => v.slice(1, -1).replace(/\\x([0-9a-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16)));
    const expect: [string, string | undefined][] = [['start', String(p.start)], ['size', String(p.size)], ['type', p.type], ['uuid', p.uuid], ['name', p.name], ['attrs', p.attrs]];
    for (const [k, v] of expect) {
      const got = fields.get(k);
      const value = got?.startsWith('"') ? unquote(got) : got;
      if (v !== undefined && value !== v) fail(step, `partition ${p.number}: ${k} is ${JSON.stringify(value)}, the manifest says ${JSON.stringify(v)}`);
    }
  });
}

/** LVM text metadata (lvm.conf syntax): identifiers, =, {, }, [, ], ",", numbers and "strings". */
function checkLvmText(step: Step, text: string): void {
  const token = /\s+|#[^\n]*|[A-Za-z_][A-Za-z0-9_.+-]*|[={}[\],]|-?[0-9]+|"(?:[^"\\\n]|\\.)*"/y;
  let depth = 0;
  for (let i = 0; i < text.length; ) {
    token.lastIndex = i;
    const t = token.exec(text);
    if (!t) fail(step, `LVM metadata does not tokenise at ${JSON.stringify(text.slice(i, i + 40))}`);
    if (t[0] === '{' || t[0] === '[') depth++;
    if (t[0] === '}' || t[0] === ']') depth--;
    if (depth < 0) fail(step, 'LVM metadata closes more than it opens');
    i = token.lastIndex;
  }
  if (depth !== 0) fail(step, 'LVM metadata is unbalanced');
}

export function checkPlan(m: Manifest, plan: Plan, target: string): void {
  const ids = new Set<string>();
  for (const step of plan.steps) {
    if (ids.has(step.id)) fail(step, 'duplicate step id');
    ids.add(step.id);
    if (!Array.isArray(step.argv) || step.argv.length === 0 || step.argv.some((a) => typeof a !== 'string')) fail(step, 'argv is not a non-empty list of strings');
    if (!PROGRAMS.has(step.argv[0]!)) fail(step, `runs ${JSON.stringify(step.argv[0])}, which no planner runs`);
    if (step.argv[0] === 'sh' && (step.argv[1] !== '-s' || step.argv[2] !== '--' || step.input?.kind !== 'text' || step.input.text !== ASSEMBLE)) fail(step, 'runs sh with something other than the md-assemble script');
    for (const a of step.argv) {
      const bad = controlChar(a);
      if (bad) fail(step, `argument ${JSON.stringify(a)} has the control character ${bad}`);
    }
    for (const p of pathArgs(step.argv)) checkPath(step, p, target);
    const bad = controlChar(step.title);
    if (bad) fail(step, `the title shown to the operator has the control character ${bad}`);
    if (step.input?.kind === 'text') {
      const text = step.input.text;
      if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) fail(step, 'stdin has a control character other than newline and tab');
      if (step.argv[0] === 'sfdisk') checkSfdisk(step, text, m);
      else if (step.argv[0] === 'tee' && step.argv[1]?.endsWith('.vg')) checkLvmText(step, text);
    }
  }
}
