// Pure: boot facts → the `boot` section.
import type { Boot, BootCmdline, BootEfi, BootInitramfs, EfiBootEntry } from '../../../core/manifest/types.gen.ts';
import type { BootFacts, InitramfsFacts, TextFile } from './gather.ts';
import { devicePathParts, meaningfulLines, parseEfibootmgr, parseShellAssignments, type ShellValue } from './parse.ts';

/** Packages that install a grub boot loader (not the *-bin ones, which only ship the images). */
const GRUB_LOADER_PKG = /^grub-(pc|efi|efi-[a-z0-9]+(-signed)?|coreboot|ieee1275|xen|uboot|emu)$/;
const GRUB_EFI_PKG = /^grub-efi(-[a-z0-9]+(-signed)?)?$/;

const sorted = (xs: Iterable<string>): string[] => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Later files override earlier ones, as when a shell sources them in order. */
function mergedAssignments(files: readonly TextFile[]): Map<string, ShellValue & { file: string }> {
  const out = new Map<string, ShellValue & { file: string }>();
  for (const f of files) for (const [k, v] of parseShellAssignments(f.text)) out.set(k, { ...v, file: f.path });
  return out;
}

function firmwareOf(f: BootFacts, grubPackages: readonly string[]): Pick<Boot, 'firmware' | 'firmwareFrom'> {
  if (f.live) return { firmware: f.efiSysfs ? 'uefi' : 'bios', firmwareFrom: 'sysfs' };
  const efi = grubPackages.some((p) => GRUB_EFI_PKG.test(p)) || (f.installed?.has('systemd-boot') ?? false);
  const bios = grubPackages.includes('grub-pc');
  if (efi !== bios) return { firmware: efi ? 'uefi' : 'bios', firmwareFrom: 'packages' };
  return { firmware: 'unknown', firmwareFrom: 'none' };
}

function cmdlineOf(f: BootFacts): BootCmdline {
  const vars = mergedAssignments(f.defaultGrub);
  const out: { -readonly [K in keyof BootCmdline]: BootCmdline[K] } = {};
  const unreadable: string[] = [];
  for (const [name, key] of [
    ['GRUB_CMDLINE_LINUX', 'grubLinux'],
    ['GRUB_CMDLINE_LINUX_DEFAULT', 'grubLinuxDefault'],
  ] as const) {
    const v = vars.get(name);
    if (v === undefined) continue;
    if ('value' in v) out[key] = v.value.trim();
    else unreadable.push(`${name} in ${v.file} needs a shell to evaluate: ${v.expansion}`);
  }
  if (f.kernelCmdline !== undefined) out.kernelCmdline = meaningfulLines(f.kernelCmdline).join(' ');
  // /proc/cmdline is deliberately not recorded: it is a fact of one boot, may carry
  // credentials (some installers and firmware agents put tokens there), and a rebuild uses
  // the configured command line above.
  if (unreadable.length > 0) out.unsupported = { reason: unreadable.join('; ') };
  return out;
}

function efiOf(f: BootFacts): BootEfi | undefined {
  if (f.efibootmgr === undefined) return undefined;
  if ('unsupported' in f.efibootmgr) return { unsupported: { reason: f.efibootmgr.unsupported } };
  const vars = parseEfibootmgr(f.efibootmgr.stdout);
  const entries: EfiBootEntry[] = vars.entries.map((e) => ({ ...e, ...(e.devicePath ? devicePathParts(e.devicePath) : {}) }));
  return { ...(vars.timeout === undefined ? {} : { timeout: vars.timeout }), bootOrder: vars.bootOrder, entries };
}

function initramfsOf(i: InitramfsFacts): BootInitramfs {
  switch (i.tool) {
    case 'none':
      return { tool: 'none' };
    case 'dracut':
      return { tool: 'dracut', confFiles: [...i.confD] };
    case 'mkinitcpio':
    case 'initramfs-tools': {
      const vars = mergedAssignments(i.tool === 'mkinitcpio' ? [i.conf] : i.conf);
      const settings: Record<string, string> = {};
      const unreadable: string[] = [];
      for (const k of sorted(vars.keys())) {
        const v = vars.get(k)!;
        if ('value' in v) settings[k] = v.value;
        else unreadable.push(`${k} in ${v.file} needs a shell to evaluate: ${v.expansion}`);
      }
      const base: BootInitramfs = { tool: i.tool, settings, ...(unreadable.length > 0 ? { unsupported: { reason: unreadable.join('; ') } } : {}) };
      if (i.tool === 'mkinitcpio') return base;
      return { ...base, confFiles: [...i.confD], hooks: [...i.hooks], scripts: sorted(i.scripts), modules: i.modules === undefined ? [] : meaningfulLines(i.modules) };
    }
  }
}

export function captureBoot(f: BootFacts): Boot {
  const grubPackages = sorted([...(f.installed ?? [])].filter((p) => GRUB_LOADER_PKG.test(p)));
  const grub = grubPackages.length > 0 || f.grubCfg;
  const systemdBoot = f.loaderConf !== undefined || (f.installed?.has('systemd-boot') ?? false);
  const efi = efiOf(f);
  return {
    ...firmwareOf(f, grubPackages),
    loader: grub ? 'grub' : systemdBoot ? 'systemd-boot' : 'none',
    ...(grub ? { grub: { platforms: sorted(f.grubPlatforms), packages: grubPackages, config: f.grubCfg } } : {}),
    ...(f.loaderConf !== undefined ? { systemdBoot: { loaderConf: f.loaderConf } } : {}),
    ...(efi === undefined ? {} : { efi }),
    cmdline: cmdlineOf(f),
    initramfs: initramfsOf(f.initramfs),
  };
}
