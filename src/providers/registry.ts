// The explicit list of providers, in capture order (lower layers first). A conformance test
// walks this list and checks that every provider folder has the shape of the others.
import type { StorageProvider, SystemProvider } from './types.ts';
import { provider as disks } from './storage/disks/index.ts';
import { provider as mdraid } from './storage/mdraid/index.ts';
import { provider as luks } from './storage/luks/index.ts';
import { provider as lvm } from './storage/lvm/index.ts';
import { provider as mounts } from './storage/mounts/index.ts';
import { provider as ext } from './filesystems/ext/index.ts';
import { provider as xfs } from './filesystems/xfs/index.ts';
import { provider as btrfs } from './filesystems/btrfs/index.ts';
import { provider as vfat } from './filesystems/vfat/index.ts';
import { provider as swap } from './storage/swap/index.ts';
import { provider as apt } from './system/apt/index.ts';
import { provider as pacman } from './system/pacman/index.ts';
import { provider as dnf } from './system/dnf/index.ts';
import { provider as boot } from './system/boot/index.ts';
import { provider as etc } from './system/etc/index.ts';
import { provider as dotfiles } from './system/dotfiles/index.ts';
import { provider as users } from './system/users/index.ts';

export const storageProviders: readonly StorageProvider[] = [disks, mdraid, luks, lvm, ext, xfs, btrfs, vfat, swap, mounts];

// apt, pacman and dnf each contribute `packages` only when their database exists under the root.
export const systemProviders: readonly SystemProvider[] = [apt, pacman, dnf, etc, users, dotfiles, boot];
