// The two machines the whole-machine e2e test captures and rebuilds (issue 12's "Done when"):
//   alpha — Debian 12, UEFI: ESP + /boot + LUKS2 → LVM (VG alpha, LV root) → ext4 root;
//           crypttab unlocks with a key file the initramfs carries (the test's stand-in for a
//           passphrase typed at the console).
//   beta  — Debian 12, BIOS: two disks, each a BIOS boot partition + an md RAID1 member →
//           ext4 root.
// Their root trees are installed natively on this host (mmdebstrap from a cached partial
// mirror, no network at test time) and cached as tarballs under /var/tmp; the guest puts them
// onto the storage stacks only it can hold. Both have a few packages beyond minbase, a
// changed conffile (/etc/issue), a deleted one (/etc/update-motd.d/10-uname), a held package
// (hello), Recommends turned off in apt.conf.d, a user alice with a password and a dotfiles
// repository in ~/.git, and root's password.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sh } from '../../lib/loop.ts';
import { cachedMirror, MMDEBSTRAP_FILE_MIRROR, type TestMirror } from '../../lib/mirror.ts';

export const ORIGINALS_CACHE = process.env.SYSMANIFEST_TEST_ORIGINALS ?? '/var/tmp/sysmanifest-machines';
const COMMON = ['hello', 'initramfs-tools', 'less', 'linux-image-amd64', 'systemd-sysv', 'udev'];

export interface Machine {
  readonly name: 'alpha' | 'beta';
  readonly packages: readonly string[];
  /** Identities the guest creates the original stack with (and fstab/crypttab/mdadm.conf name). */
  readonly ids: Readonly<Record<string, string>>;
  readonly fstab: string;
  readonly extraFiles: Readonly<Record<string, string>>;
}

export const ALPHA: Machine = {
  name: 'alpha',
  packages: [...COMMON, 'cryptsetup', 'cryptsetup-initramfs', 'efibootmgr', 'grub-efi-amd64', 'lvm2'].sort(),
  ids: { esp: 'A1FA0001', boot: 'a1b00700-0000-4000-8000-00000000b007', luks: 'a1c0c0a0-0000-4000-8000-0000000c0c0a', root: 'a1700700-0000-4000-8000-000000000700' },
  fstab: 'UUID=a1700700-0000-4000-8000-000000000700 / ext4 errors=remount-ro 0 1\nUUID=a1b00700-0000-4000-8000-00000000b007 /boot ext4 defaults 0 2\nUUID=A1FA-0001 /boot/efi vfat umask=0077 0 1\n',
  extraFiles: {
    'etc/crypttab': 'alpha_crypt UUID=a1c0c0a0-0000-4000-8000-0000000c0c0a /etc/keys/root.key luks,discard\n',
    'etc/cryptsetup-initramfs/conf-hook': 'KEYFILE_PATTERN="/etc/keys/*.key"\n',
    'etc/initramfs-tools/conf.d/umask': 'UMASK=0077\n',
  },
};

export const BETA: Machine = {
  name: 'beta',
  packages: [...COMMON, 'grub-pc', 'mdadm'].sort(),
  ids: { md: 'be7a0000:00000000:00000000:0000ad00', root: 'be7a0700-0000-4000-8000-000000000700' },
  fstab: 'UUID=be7a0700-0000-4000-8000-000000000700 / ext4 errors=remount-ro 0 1\n',
  extraFiles: {
    'etc/mdadm/mdadm.conf': 'HOMEHOST <system>\nMAILADDR root\nARRAY /dev/md/0 metadata=1.2 UUID=be7a0000:00000000:00000000:0000ad00 name=beta:0\n',
  },
};

/** The key file alpha's crypttab names (fixed bytes: the rebuild gets the same as --key-file). */
export const ALPHA_KEY = Buffer.from(createHash('sha512').update('sysmanifest e2e alpha root key').digest());

export interface Original {
  readonly tarball: string;
  readonly mirror: TestMirror;
  /** The bare repository alice's ~/.git pushes to (--dotfiles-from DIR: DIR/alice). */
  readonly dotfilesDir: string;
  readonly dotfilesCommit: string;
}

function customize(m: Machine, root: string, dotfiles: string): string {
  const w = (rel: string, text: string, mode = 0o644): void => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text, { mode });
  };
  w('etc/hostname', `${m.name}\n`);
  w('etc/hosts', `127.0.0.1 localhost\n127.0.1.1 ${m.name}\n`);
  w('etc/fstab', m.fstab);
  w('etc/apt/apt.conf.d/90norecommends', 'APT::Install-Recommends "false";\n');
  // Real sources (the rebuild installs from the test mirror with --mirror, and puts these back).
  rmSync(join(root, 'etc/apt/sources.list'), { force: true });
  w('etc/apt/sources.list.d/debian.sources', 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n');
  for (const [rel, text] of Object.entries(m.extraFiles)) w(rel, text);
  // An initramfs with the drivers this (virtual) machine needs, as a VM's admin sets it up:
  // MODULES=most copies ~1,000 modules, a fork each, which takes minutes under TCG. The
  // boot stage still checks the result has what reaching root needs (lsinitramfs).
  w('etc/initramfs-tools/initramfs.conf', readFileSync(join(root, 'etc/initramfs-tools/initramfs.conf'), 'utf8').replace(/^MODULES=.*$/m, 'MODULES=list'));
  w('etc/initramfs-tools/modules', ['virtio_pci', 'virtio_blk', 'ext4', 'vfat', 'nls_cp437', 'nls_ascii', 'dm_mod', 'dm_crypt', 'xts', 'aesni_intel', 'aes_generic', 'sha256_generic', 'raid1', 'md_mod', ''].join('\n'));
  if (m.name === 'alpha') {
    mkdirSync(join(root, 'etc/keys'), { recursive: true, mode: 0o700 });
    writeFileSync(join(root, 'etc/keys/root.key'), ALPHA_KEY, { mode: 0o400 });
  }
  const grub = readFileSync(join(root, 'etc/default/grub'), 'utf8')
    .replace(/^GRUB_CMDLINE_LINUX=.*$/m, 'GRUB_CMDLINE_LINUX="console=ttyS0,115200"')
    .replace(/^#?GRUB_TERMINAL=.*$/m, 'GRUB_TERMINAL="serial console"')
    .replace(/^GRUB_TIMEOUT=.*$/m, 'GRUB_TIMEOUT=1');
  w('etc/default/grub', grub);
  w('etc/issue', `${m.name}, rebuilt by sysmanifest \\n \\l\n`); // a changed conffile
  rmSync(join(root, 'etc/update-motd.d/10-uname')); // a deleted conffile
  sh(['chroot', root, 'apt-mark', 'hold', 'hello']);
  sh(['chroot', root, 'useradd', '--create-home', '--uid', '1000', '--shell', '/bin/bash', 'alice']);
  sh(['chroot', root, 'chpasswd'], 'alice:correct horse\nroot:battery staple\n');
  // alice's dotfiles: ~/.git, pushed to a bare repository outside the machine.
  const home = join(root, 'home/alice');
  writeFileSync(join(home, '.bash_aliases'), "alias ll='ls -l'\n");
  const git = (...a: string[]): string => sh(['git', '-c', 'safe.directory=*', '-c', 'user.name=Alice', '-c', 'user.email=alice@example.org', '-C', home, ...a]);
  git('init', '--quiet', '--initial-branch=main');
  git('add', '.bash_aliases');
  git('commit', '--quiet', '-m', 'my aliases');
  rmSync(dotfiles, { recursive: true, force: true });
  sh(['git', 'clone', '--quiet', '--bare', home, dotfiles]);
  git('remote', 'add', 'origin', `https://git.example.org/alice/dotfiles.git`);
  sh(['chroot', root, 'chown', '-R', 'alice:alice', '/home/alice']);
  return git('rev-parse', 'HEAD').trim();
}

/** The machine's root tree as a tarball (built once, cached), or a reason to skip. */
export function original(m: Machine): Original | { skip: string } {
  const mirror = cachedMirror({ manual: m.packages });
  if ('skip' in mirror) return mirror;
  const recipe = readFileSync(new URL(import.meta.url), 'utf8');
  const key = createHash('sha256').update(recipe).update(mirror.dir).digest('hex').slice(0, 12);
  const dir = join(ORIGINALS_CACHE, `${m.name}-${key}`);
  const tarball = join(dir, 'root.tar');
  const dotfilesDir = join(dir, 'dotfiles');
  const commitFile = join(dir, 'dotfiles.commit');
  if (existsSync(commitFile)) return { tarball, mirror, dotfilesDir, dotfilesCommit: readFileSync(commitFile, 'utf8').trim() };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'dotfiles'), { recursive: true });
  const tree = join(dir, 'tree');
  sh(['mmdebstrap', '--mode=root', '--variant=minbase', `--include=${m.packages.join(',')}`, '--skip=check/empty', '--skip=essential/unlink', MMDEBSTRAP_FILE_MIRROR, 'bookworm', tree, `deb ${mirror.url} bookworm main`]);
  const commit = customize(m, tree, join(dotfilesDir, 'alice'));
  sh(['tar', '--numeric-owner', '--xattrs', '-C', tree, '-cf', `${tarball}.part`, '.']);
  renameSync(`${tarball}.part`, tarball);
  rmSync(tree, { recursive: true, force: true });
  writeFileSync(commitFile, `${commit}\n`);
  return { tarball, mirror, dotfilesDir, dotfilesCommit: commit };
}
