// Read-only: boot configuration under the captured root. The running machine is asked only
// when the root is "/": /sys/firmware/efi and `efibootmgr -v` describe the
// machine that booted, not a system mounted under --root.
import { posix } from 'node:path';
import type { ReadOnlyRunner } from '../../../core/runner/types.ts';
import { parseDpkgStatus } from '../apt/parse.ts';

export interface TextFile {
  readonly path: string;
  readonly text: string;
}

export type InitramfsFacts =
  | {
      readonly tool: 'initramfs-tools';
      /** initramfs.conf, then conf.d/* in name order. */
      readonly conf: readonly TextFile[];
      readonly confD: readonly string[];
      readonly hooks: readonly string[];
      readonly scripts: readonly string[];
      readonly modules: string | undefined;
    }
  | { readonly tool: 'dracut'; readonly confD: readonly string[] }
  | { readonly tool: 'mkinitcpio'; readonly conf: TextFile }
  | { readonly tool: 'none' };

export interface BootFacts {
  readonly live: boolean;
  /** Live root only: whether /sys/firmware/efi exists. */
  readonly efiSysfs: boolean | undefined;
  /** Installed package names from ROOT's dpkg database; undefined without one. */
  readonly installed: ReadonlySet<string> | undefined;
  readonly grubCfg: boolean;
  /** Directories in ROOT/boot/grub named like grub-install targets. */
  readonly grubPlatforms: readonly string[];
  /** Path (on the captured system) of systemd-boot's loader.conf, if any. */
  readonly loaderConf: string | undefined;
  /** efibootmgr -v stdout, or why it was not run; undefined on a BIOS live machine. */
  readonly efibootmgr: { readonly stdout: string } | { readonly unsupported: string } | undefined;
  readonly defaultGrub: readonly TextFile[];
  readonly kernelCmdline: string | undefined;
  readonly initramfs: InitramfsFacts;
}

const under = (root: string, path: string): string => posix.join(root, path);

async function listDir(r: ReadOnlyRunner, path: string): Promise<string[]> {
  return (await r.exists(path)) ? r.readDir(path) : [];
}

/** grub-install target directories: i386-pc, x86_64-efi, arm64-efi, powerpc-ieee1275, … */
const GRUB_PLATFORM = /^[a-z0-9_]+-(pc|efi|ieee1275|coreboot|xen|xen_pvh|uboot|emu|qemu|multiboot)$/;
const LOADER_CONF = ['/efi/loader/loader.conf', '/boot/efi/loader/loader.conf', '/boot/loader/loader.conf'];
/** initramfs-tools boot script phases (initramfs-tools(7)). */
const SCRIPT_PHASES = ['init-top', 'init-premount', 'init-bottom', 'local-top', 'local-block', 'local-premount', 'local-bottom', 'nfs-top', 'nfs-premount', 'nfs-bottom', 'panic'];
// mkinitramfs skips editor and dpkg leftovers in conf.d.
const CONF_D_IGNORED = /(~|\.dpkg-[a-z]+|\.ucf-[a-z]+|\.bak|\.orig|\.swp)$/;

async function readTextFiles(r: ReadOnlyRunner, root: string, paths: readonly string[]): Promise<TextFile[]> {
  const out: TextFile[] = [];
  for (const path of paths) {
    const text = await r.readFileOptional(under(root, path));
    if (text !== undefined) out.push({ path, text });
  }
  return out;
}

async function installedPackages(r: ReadOnlyRunner, root: string): Promise<Set<string> | undefined> {
  const status = await r.readFileOptional(under(root, '/var/lib/dpkg/status'));
  if (status === undefined) return undefined;
  return new Set(parseDpkgStatus(status).filter((p) => p.state !== 'not-installed' && p.state !== 'config-files').map((p) => p.name));
}

async function gatherInitramfs(r: ReadOnlyRunner, root: string, installed: ReadonlySet<string> | undefined): Promise<InitramfsFacts> {
  const has = async (p: string): Promise<boolean> => r.exists(under(root, p));
  const itools = installed ? installed.has('initramfs-tools') : (await has('/usr/sbin/update-initramfs')) && (await has('/etc/initramfs-tools'));
  const dracut = installed ? installed.has('dracut') || installed.has('dracut-core') : (await has('/usr/bin/dracut')) || (await has('/usr/sbin/dracut'));
  if (itools) {
    const dir = '/etc/initramfs-tools';
    const confD = (await listDir(r, under(root, `${dir}/conf.d`))).filter((n) => !n.startsWith('.') && !CONF_D_IGNORED.test(n));
    const scripts: string[] = [];
    for (const phase of SCRIPT_PHASES) for (const n of await listDir(r, under(root, `${dir}/scripts/${phase}`))) scripts.push(`${phase}/${n}`);
    return {
      tool: 'initramfs-tools',
      conf: await readTextFiles(r, root, [`${dir}/initramfs.conf`, ...confD.map((n) => `${dir}/conf.d/${n}`)]),
      confD,
      hooks: await listDir(r, under(root, `${dir}/hooks`)),
      scripts,
      modules: await r.readFileOptional(under(root, `${dir}/modules`)),
    };
  }
  if (dracut) return { tool: 'dracut', confD: (await listDir(r, under(root, '/etc/dracut.conf.d'))).filter((n) => n.endsWith('.conf')) };
  const mk = await r.readFileOptional(under(root, '/etc/mkinitcpio.conf'));
  if (mk !== undefined) return { tool: 'mkinitcpio', conf: { path: '/etc/mkinitcpio.conf', text: mk } };
  return { tool: 'none' };
}

async function gatherEfibootmgr(r: ReadOnlyRunner, live: boolean, efi: boolean | undefined): Promise<BootFacts['efibootmgr']> {
  if (!live) return { unsupported: 'EFI boot entries live in the firmware of the running machine; they are not read for a system under --root' };
  if (efi !== true) return undefined;
  if (!(await r.hasProgram('efibootmgr'))) return { unsupported: 'efibootmgr is not installed (apt-get install efibootmgr)' };
  return { stdout: (await r.run(['efibootmgr', '-v'])).stdout };
}

export async function gatherBoot(r: ReadOnlyRunner, root: string): Promise<BootFacts> {
  const live = posix.resolve(root) === '/';
  const efiSysfs = live ? await r.exists('/sys/firmware/efi') : undefined;
  const installed = await installedPackages(r, root);
  const grubDirs = await listDir(r, under(root, '/boot/grub'));
  let loaderConf: string | undefined;
  for (const p of LOADER_CONF) if (loaderConf === undefined && (await r.exists(under(root, p)))) loaderConf = p;
  const grubD = (await listDir(r, under(root, '/etc/default/grub.d'))).filter((n) => n.endsWith('.cfg')).map((n) => `/etc/default/grub.d/${n}`);
  const kernelCmdline = await r.readFileOptional(under(root, '/etc/kernel/cmdline'));
  return {
    live,
    efiSysfs,
    installed,
    grubCfg: await r.exists(under(root, '/boot/grub/grub.cfg')),
    grubPlatforms: grubDirs.filter((n) => GRUB_PLATFORM.test(n)),
    loaderConf,
    efibootmgr: await gatherEfibootmgr(r, live, efiSysfs),
    defaultGrub: await readTextFiles(r, root, ['/etc/default/grub', ...grubD]),
    kernelCmdline,
    initramfs: await gatherInitramfs(r, root, installed),
  };
}
