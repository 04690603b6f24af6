// Recreate md arrays with `mdadm --create` (mdadm(8)): the captured UUID, name, homehost,
// metadata version, level, layout, chunk, bitmap, component size and data offset are all
// given explicitly, so nothing depends on mdadm's size-dependent defaults.
//
// No --assume-clean: the members of a rebuilt array are blank or wiped disks whose old
// content differs from member to member. For RAID1/10 that only makes a later `check`
// report mismatches, but for RAID4/5/6 parity that does not match the data is silent
// corruption once a member fails (read-modify-write keeps a wrong parity wrong). md's
// initial resync runs in the background at low priority; the array is usable at once
// (--run), and the manifest does not record sync state, so verify does not wait for it.
import { deviceNameInside, mdHomehostProblem } from '../../../core/confine/index.ts';
import { UserError } from '../../../core/errors.ts';
import type { MdArray } from '../../../core/manifest/types.gen.ts';
import { stepIds, type PlanContext } from '../../../core/plan/context.ts';
import type { Step } from '../../../core/plan/types.ts';

const KiB = 1024;

/** blkid reports an md member's array UUID as 8-4-4-4-12 hex, mdadm as 4 groups of 8 with colons. */
export function mdUuidToBlkid(uuid: string): string {
  const h = uuid.replaceAll(':', '');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function kib(where: string, what: string, bytes: number): string {
  if (bytes % KiB !== 0) throw new UserError('REFUSED', `${where}: ${what} ${bytes} is not a whole number of KiB, which mdadm cannot be given`);
  return `${bytes / KiB}`;
}

function required<T>(where: string, what: string, v: T | undefined): T {
  if (v === undefined) throw new UserError('REFUSED', `${where}: cannot recreate the array: its ${what} was not captured`);
  return v;
}

/** `mdadm --create` for one array; `path` maps member ids to target device paths. */
export function mdadmCreateArgv(where: string, md: MdArray, path: (id: string) => string, grown: boolean): string[] {
  const name = required(where, 'name', md.name);
  const device = deviceNameInside('/dev/md', name, 'md', `${where}.name`);
  const homehostProblem = md.homehost === undefined ? undefined : mdHomehostProblem(md.homehost);
  if (homehostProblem !== undefined) throw new UserError('MANIFEST_RULE', `${where}.homehost: ${JSON.stringify(md.homehost)} ${homehostProblem}`);
  const metadata = required(where, 'metadata version', md.metadata);
  const members = [...(md.members ?? [])].sort((a, b) => a.role - b.role);
  const raidDevices = required(where, 'number of raid devices', md.raidDevices);
  if (members.length !== raidDevices || members.some((m, i) => m.role !== i)) {
    // A degraded array would need "missing" in the free slots; not captured as such yet.
    throw new UserError('REFUSED', `${where}: ${members.length} active member(s) for ${raidDevices} slot(s) (roles ${members.map((m) => m.role).join(', ')}): a degraded array cannot be recreated`);
  }
  // 1.1/1.2 put the data after a gap whose default grows with the device: give it exactly.
  // (1.0 and 0.90 keep the superblock at the end; their data starts at 0.)
  const gap = metadata === '1.1' || metadata === '1.2';
  const perMember = members.some((m) => m.dataOffset !== undefined);
  const argv = ['mdadm', '--create', device, '--run', `--metadata=${metadata}`, `--level=${required(where, 'level', md.level)}`, `--raid-devices=${raidDevices}`];
  if (md.chunkSize !== undefined) argv.push(`--chunk=${kib(where, 'chunk size', md.chunkSize)}`);
  if (md.layout !== undefined) argv.push(`--layout=${md.layout}`);
  const bitmap = md.bitmap ?? { type: 'none' as const };
  if (bitmap.type === 'external') throw new UserError('REFUSED', `${where}: an external bitmap file cannot be recreated`);
  argv.push(`--bitmap=${bitmap.type}`);
  if (bitmap.type === 'internal' && bitmap.chunkSize !== undefined) argv.push(`--bitmap-chunk=${kib(where, 'bitmap chunk', bitmap.chunkSize)}`);
  argv.push(`--uuid=${required(where, 'uuid', md.uuid)}`, `--name=${name}`);
  // Without --homehost mdadm prefixes this machine's hostname to the name: the live system's.
  argv.push(`--homehost=${md.homehost ?? '<none>'}`);
  // --size pins the used space per member: a larger target keeps the captured geometry
  // unless the array (or a member) was named in --grow.
  if (md.componentSize !== undefined && !grown) argv.push(`--size=${kib(where, 'component size', md.componentSize)}`);
  if (gap) {
    if (perMember) argv.push('--data-offset=variable');
    else if (md.dataOffset !== undefined) argv.push(`--data-offset=${kib(where, 'data offset', md.dataOffset)}`);
  }
  for (const m of members) {
    const off = m.dataOffset ?? md.dataOffset;
    argv.push(perMember && gap ? `${path(m.on)}:${kib(where, `data offset of ${m.on}`, required(where, `data offset of ${m.on}`, off))}` : path(m.on));
  }
  const spares = md.spares ?? [];
  if (spares.length > 0) {
    argv.splice(argv.indexOf(`--raid-devices=${raidDevices}`) + 1, 0, `--spare-devices=${spares.length}`);
    // A spare's own offset is not captured (sysfs has it only for active members): mdadm's default.
    for (const s of spares) argv.push(path(s));
  }
  return argv;
}

/** sh -s -- DEV UUID MEMBER… < ASSEMBLE: see the md-assemble step below. */
export const ASSEMBLE = [
  'set -e',
  'dev=$1 uuid=$2; shift 2',
  '[ -e "$dev" ] && exit 0',
  'command -v udevadm >/dev/null && udevadm settle || true',
  '[ -e "$dev" ] && exit 0',
  '# Running already under a name of the live system (md127): the plan\'s name is linked to it.',
  'for m in "$@"; do',
  '  for h in $(ls "/sys/class/block/$(basename "$(readlink -f "$m")")/holders" 2>/dev/null); do',
  '    case $h in md*) ;; *) continue ;; esac',
  '    if mdadm --detail --export "/dev/$h" | grep -qix "MD_UUID=$uuid"; then',
  '      mkdir -p "$(dirname "$dev")"; ln -sfn "/dev/$h" "$dev"; exit 0',
  '    fi',
  '  done',
  'done',
  'exec mdadm --assemble --run "$dev" --uuid="$uuid" "$@"',
  '',
].join('\n');

export function plan(ctx: PlanContext): Step[] {
  return (ctx.manifest.storage?.mdraid ?? []).flatMap((md, i) => {
    const where = `storage.mdraid[${i}] (${md.id})`;
    if (md.unsupported !== undefined) {
      throw new UserError('REFUSED', `${where} cannot be recreated: it was captured as unsupported: ${md.unsupported.reason}`, {
        hint: 'recreate it by hand after the rebuild, or remove the entry from the manifest if it is not needed',
      });
    }
    const devices = [...(md.members ?? []).map((m) => m.on), ...(md.spares ?? [])];
    const grown = ctx.grow.has(md.id) || devices.some((d) => ctx.grow.has(d));
    const argv = mdadmCreateArgv(where, md, (id) => ctx.devicePath(id), grown);
    const after: string[] = [];
    for (const d of devices) {
      const s = ctx.readyStep(d);
      if (s !== undefined && !after.includes(s)) after.push(s);
    }
    const first = [...(md.members ?? [])].sort((a, b) => a.role - b.role)[0]!;
    const dev = ctx.devicePath(md.id);
    // After a reboot of the live system the array is stopped (assembled again from the members
    // it was created on), or the live system's udev assembled it under a name of its own
    // (md127: the homehost differs; the plan's name is then linked to it). The script is a
    // constant, fed on stdin; the manifest gives only its arguments.
    const assemble: Step = {
      id: `md-assemble:${md.id}`,
      title: `assemble md ${dev} (${md.id}) from its members if it is not running as ${dev}`,
      argv: ['sh', '-s', '--', dev, md.uuid!, ...devices.map((d) => ctx.devicePath(d))],
      input: { kind: 'text', text: ASSEMBLE },
      risk: 'create',
      after: [stepIds.device(md.id)],
      check: { device: dev, probe: {} },
      runtime: true,
      ensure: true,
      waitFor: [dev],
    };
    return [{
      id: stepIds.device(md.id),
      title: `md ${md.level} ${dev} (${md.id}) on ${devices.map((d) => ctx.devicePath(d)).join(', ')}${md.spares?.length ? ` (${md.spares.length} spare)` : ''}; resyncs in the background`,
      argv,
      risk: 'create',
      after,
      creates: md.id,
      // After a crash: the superblock on the first member names the array (blkid shows the
      // array UUID in dashed form), so a finished --create is not run twice.
      check: { device: ctx.devicePath(first.on), probe: { TYPE: 'linux_raid_member', UUID: mdUuidToBlkid(md.uuid!) } },
      waitFor: [dev],
    } satisfies Step, assemble];
  });
}
