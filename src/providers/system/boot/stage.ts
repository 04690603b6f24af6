// The boot stage of a rebuild, pure: GRUB and the initramfs of a Debian target.
//   1. `internal initramfs-build`: update-initramfs put back (the packages stage diverted it),
//      the initramfs built once, checked for what reaching root needs (from the manifest's
//      stack under / and /boot: LUKS → cryptsetup, LVM → lvm, md → mdadm, the fs module).
//   2. `internal grub-config`: update-grub, with /dev/disk/by-uuid links from the identity map
//      (root=UUID=… whatever the live system's udev does or does not provide).
//   3. grub-install for BIOS on EVERY disk that has a BIOS boot partition (GPT) or holds the
//      boot stack (MBR): all members of a RAID1 boot array boot; for UEFI, the removable
//      fallback \EFI\BOOT\BOOTX64.EFI on the ESP, without NVRAM entries (boot entries: not yet).
//   4. policy-rc.d removed: the target may start its services again.
import { UserError } from '../../../core/errors.ts';
import { joinInside } from '../../../core/confine/index.ts';
import type { Manifest } from '../../../core/manifest/types.gen.ts';
import type { Step } from '../../../core/plan/types.ts';
import type { SystemPlanContext } from '../../types.ts';

export const BIOS_BOOT_TYPE = '21686148-6449-6E6F-744E-656564454649';
const ESP_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';

/** Every manifest id below `id` (the devices it is built on), itself included. */
function stackBelow(m: Manifest, id: string): Set<string> {
  const s = m.storage ?? {};
  const out = new Set<string>();
  const visit = (x: string): void => {
    if (out.has(x)) return;
    out.add(x);
    for (const l of s.luks ?? []) if (l.id === x) visit(l.on);
    for (const md of s.mdraid ?? []) if (md.id === x) for (const mem of md.members ?? []) visit(mem.on);
    for (const vg of s.lvm?.vgs ?? []) for (const lv of vg.lvs ?? []) if (`${vg.name}/${lv.name}` === x) for (const pv of vg.pvs ?? []) visit(pv.on);
    for (const d of s.disks ?? []) for (const p of d.partitions ?? []) if (p.id === x) visit(d.id);
  };
  visit(id);
  return out;
}

export interface BootNeeds {
  readonly programs: string[];
  readonly modules: string[];
  /** Manifest ids of the devices / and /boot stand on. */
  readonly stack: Set<string>;
}

export function bootNeeds(m: Manifest): BootNeeds {
  const fstab = m.mounts?.fstab ?? [];
  const root = fstab.find((e) => e.file === '/');
  if (root?.device === undefined) throw new UserError('REFUSED', 'mounts.fstab: no entry for / on a captured device: the boot stage cannot tell what reaching root needs');
  const stack = new Set<string>();
  for (const e of fstab.filter((x) => (x.file === '/' || x.file === '/boot') && x.device !== undefined)) for (const id of stackBelow(m, e.device!)) stack.add(id);
  const s = m.storage ?? {};
  const programs = [
    ...((s.luks ?? []).some((l) => stack.has(l.id)) ? ['cryptsetup'] : []),
    ...((s.lvm?.vgs ?? []).some((vg) => (vg.lvs ?? []).some((lv) => stack.has(`${vg.name}/${lv.name}`))) ? ['lvm'] : []),
    ...((s.mdraid ?? []).some((md) => stack.has(md.id)) ? ['mdadm'] : []),
  ];
  if (!/^[a-z0-9]+$/.test(root.vfstype)) throw new UserError('REFUSED', `mounts.fstab: / has the filesystem type ${JSON.stringify(root.vfstype)}`);
  return { programs, modules: [root.vfstype], stack };
}

/** Filesystem UUID → the target device it will be on: the links grub-mkconfig looks for. */
export function uuidLinks(m: Manifest, devicePath: (id: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of m.storage?.filesystems ?? []) if (f.uuid !== undefined) out[f.uuid] = devicePath(f.on);
  for (const w of m.storage?.swap ?? []) if (w.uuid !== undefined) out[w.uuid] = devicePath(w.on);
  return out;
}

/** One EFI boot entry the boot stage makes (internal efi-entries). */
export interface WantedEntry {
  readonly label: string;
  /** The loader on the ESP, as EFI writes it: \\EFI\\debian\\grubx64.efi. */
  readonly file: string;
  /** The rebuilt disk (efibootmgr -d) and the ESP's partition number on it (-p). */
  readonly disk: string;
  readonly part: number;
  /** The ESP's GPT partition UUID (lower case). */
  readonly partUuid: string;
}

export interface BootDisks {
  /** Manifest disk id → the target disk's device path (the storage stage's matching). */
  readonly disks: Readonly<Record<string, string>>;
  readonly devicePath: (id: string) => string;
  /** --no-nvram: the disks are for another machine; write no EFI boot entry here. */
  readonly noNvram?: boolean;
}

/**
 * The EFI boot entries to make: the captured ones that load from an ESP of the manifest (in
 * the captured BootOrder), or, when none was captured (a --root capture reads no NVRAM), one
 * "debian" entry for GRUB on the mounted ESP — what Debian's installer makes.
 */
export function wantedEfiEntries(m: Manifest, d: BootDisks, esp: { disk: string; part: { id: string; number: number; uuid?: string } }): { entries: WantedEntry[]; bootloaderIds: string[] } {
  const esps = (m.storage?.disks ?? []).flatMap((disk) => (disk.partitions ?? []).filter((p) => p.type.toUpperCase() === ESP_TYPE && p.uuid !== undefined && d.disks[disk.id] !== undefined).map((p) => ({ disk: d.disks[disk.id]!, part: p })));
  const efi = m.boot?.efi;
  const order = efi?.bootOrder ?? [];
  const captured = [...(efi?.entries ?? [])].sort((a, b) => (order.indexOf(a.number) + 1 || 1e6) - (order.indexOf(b.number) + 1 || 1e6));
  const entries: WantedEntry[] = [];
  for (const e of captured) {
    const on = esps.find((x) => e.partUuid !== undefined && x.part.uuid!.toLowerCase() === e.partUuid.toLowerCase());
    if (on === undefined || e.file === undefined || !/^\\[\x20-\x7e]+$/.test(e.file)) continue;
    entries.push({ label: e.label, file: e.file, disk: on.disk, part: on.part.number, partUuid: on.part.uuid!.toLowerCase() });
  }
  if (entries.length === 0 && esp.part.uuid !== undefined) entries.push({ label: 'debian', file: '\\EFI\\debian\\grubx64.efi', disk: esp.disk, part: esp.part.number, partUuid: esp.part.uuid.toLowerCase() });
  // grub-install --bootloader-id=ID writes \EFI\ID\grubx64.efi: one install per directory the entries load from.
  const bootloaderIds = [...new Set(entries.map((e) => /^\\EFI\\([A-Za-z0-9._-]+)\\/i.exec(e.file)?.[1]).filter((x): x is string => x !== undefined && x.toUpperCase() !== 'BOOT'))];
  return { entries, bootloaderIds };
}

export function planBoot(ctx: SystemPlanContext, cli: readonly string[], d: BootDisks): Step[] {
  const m = ctx.manifest;
  const boot = m.boot;
  if (boot?.loader !== 'grub') throw new UserError('REFUSED', `boot.loader: ${JSON.stringify(boot?.loader ?? null)} — only GRUB can be installed so far`);
  if (boot.initramfs.tool !== 'initramfs-tools') throw new UserError('REFUSED', `boot.initramfs.tool: ${boot.initramfs.tool} — only initramfs-tools (Debian) is built so far`);
  if (boot.firmware === 'unknown') throw new UserError('REFUSED', 'boot.firmware: unknown at capture; cannot tell BIOS from UEFI');
  // grub-install and update-grub come with the loader package: without one, the boot stage
  // would fail after the whole base and package install. Refused before anything is written.
  if (!boot.grub?.packages.length) throw new UserError('REFUSED', `boot.grub.packages: ${boot.grub ? 'empty' : 'absent'} — the manifest names GRUB as its loader but no GRUB loader package (grub-pc for BIOS, grub-efi-amd64 for UEFI …), so nothing would bring grub-install into the rebuilt system`, { hint: `install the loader package on the machine (apt-get install ${boot.firmware === 'uefi' ? 'grub-efi-amd64' : 'grub-pc'}) and capture it again` });
  if (Object.keys(d.disks).length === 0) throw new UserError('USAGE', 'the boot stage installs GRUB onto the rebuilt disks, and the manifest records no disks (storage.disks): capture the machine with its disks');
  const needs = bootNeeds(m);
  const steps: Step[] = [
    { id: 'boot:initramfs', stage: 'boot', title: `initramfs, built once (checked for ${[...needs.programs, ...needs.modules].join(', ')})`, argv: [...cli, 'internal', 'initramfs-build', '--target', ctx.target, ...needs.programs.flatMap((p) => ['--program', p]), ...needs.modules.flatMap((x) => ['--module', x])], risk: 'create', after: [], long: true },
    { id: 'boot:grub-config', stage: 'boot', title: 'GRUB configuration (update-grub; root=UUID from the identity map)', argv: [...cli, 'internal', 'grub-config', '--target', ctx.target], input: { kind: 'text', text: `${JSON.stringify({ links: uuidLinks(m, d.devicePath) })}\n` }, risk: 'create', after: ['boot:initramfs'] },
  ];
  let last = 'boot:grub-config';
  if (boot.firmware === 'bios') {
    const disks = (m.storage?.disks ?? []).filter((disk) => d.disks[disk.id] !== undefined && (disk.table?.type === 'gpt' ? (disk.partitions ?? []).some((p) => p.type.toUpperCase() === BIOS_BOOT_TYPE) : needs.stack.has(disk.id)));
    if (disks.length === 0) throw new UserError('REFUSED', 'boot.firmware is bios, but no rebuilt disk has a BIOS boot partition (GPT) or holds / or /boot (MBR): GRUB has nowhere to go');
    for (const disk of disks) {
      const id = `boot:grub-install:${disk.id}`;
      steps.push({ id, stage: 'boot', title: `GRUB for BIOS on ${d.disks[disk.id]} (${disk.id})`, argv: ['chroot', ctx.target, 'grub-install', '--target=i386-pc', d.disks[disk.id]!], risk: 'create', after: [last] });
      last = id;
    }
  } else {
    const esp = (m.mounts?.fstab ?? []).find((e) => e.device !== undefined && (m.storage?.disks ?? []).some((disk) => (disk.partitions ?? []).some((p) => p.id === e.device && p.type.toUpperCase() === ESP_TYPE)));
    if (esp === undefined) throw new UserError('REFUSED', 'boot.firmware is uefi, but no EFI system partition is mounted in mounts.fstab');
    // The removable fallback loader first: whatever happens to NVRAM, the disk boots.
    steps.push({ id: 'boot:grub-efi', stage: 'boot', title: `GRUB for UEFI on the ESP ${esp.file}: the removable fallback \\EFI\\BOOT\\BOOTX64.EFI`, argv: ['chroot', ctx.target, 'grub-install', '--target=x86_64-efi', `--efi-directory=${esp.file}`, '--removable', '--no-nvram'], risk: 'create', after: [last] });
    last = 'boot:grub-efi';
    const espDisk = (m.storage?.disks ?? []).find((disk) => (disk.partitions ?? []).some((p) => p.id === esp.device));
    const espPart = espDisk?.partitions?.find((p) => p.id === esp.device);
    const wanted = espDisk && espPart && d.disks[espDisk.id] ? wantedEfiEntries(m, d, { disk: d.disks[espDisk.id]!, part: espPart }) : { entries: [], bootloaderIds: [] };
    for (const id of wanted.bootloaderIds) {
      const step = `boot:grub-efi:${id}`;
      steps.push({ id: step, stage: 'boot', title: `GRUB for UEFI on the ESP ${esp.file}: \\EFI\\${id}\\grubx64.efi (for the boot entry)`, argv: ['chroot', ctx.target, 'grub-install', '--target=x86_64-efi', `--efi-directory=${esp.file}`, `--bootloader-id=${id}`, '--no-nvram'], risk: 'create', after: [last] });
      last = step;
    }
    if (!d.noNvram && wanted.entries.length) {
      steps.push({
        id: 'boot:efi-entries',
        stage: 'boot',
        title: `EFI boot entries, made once, first in BootOrder: ${wanted.entries.map((e) => `"${e.label}" ${e.file}`).join(', ')}`,
        argv: [...cli, 'internal', 'efi-entries'],
        input: { kind: 'text', text: `${JSON.stringify({ entries: wanted.entries, espDir: joinInside(ctx.target, esp.file) })}\n` },
        risk: 'create',
        after: [last],
      });
      last = 'boot:efi-entries';
    }
  }
  steps.push({ id: 'boot:policy-rc.d', stage: 'boot', title: 'services may start again in the target (policy-rc.d removed)', argv: ['rm', '-f', joinInside(ctx.target, '/usr/sbin/policy-rc.d')], risk: 'create', after: [last] });
  return steps;
}
