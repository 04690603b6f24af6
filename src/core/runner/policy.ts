// Which invocations a read-only runner may make. An allow-list, not a deny-list: a command
// that is not described here is refused, so a forgotten case fails closed (in tests too:
// the fake runner applies the same policy).

type Check = (args: readonly string[]) => boolean;

const has = (args: readonly string[], ...flags: string[]): boolean => flags.some((f) => args.includes(f));

const ALWAYS: Check = () => true;

const READ_ONLY: Readonly<Record<string, Check>> = {
  blkid: (a) => !has(a, '-g', '--garbage-collect'),
  lsblk: ALWAYS,
  findmnt: ALWAYS,
  // sfdisk reads with --json / --dump / --list / -l / --show-size / --verify; anything else may write.
  sfdisk: (a) => has(a, '--json', '-J', '--dump', '-d', '--list', '-l', '--verify', '-V', '--show-size', '-s', '--version'),
  tune2fs: (a) => a.length >= 1 && a.every((x, i) => (i === 0 ? x === '-l' : !x.startsWith('-'))),
  dumpe2fs: (a) => has(a, '-h'),
  xfs_info: ALWAYS,
  xfs_db: (a) => has(a, '-r'),
  btrfs: (a) => {
    const [group, verb] = a;
    if (group === 'inspect-internal') return verb === 'dump-super' || verb === 'dump-tree';
    if (group === 'subvolume') return verb === 'list' || verb === 'show' || verb === 'get-default';
    if (group === 'filesystem') return verb === 'show' || verb === 'df' || verb === 'usage';
    if (group === 'property') return verb === 'get' || verb === 'list';
    if (group === 'device') return verb === 'stats';
    return group === '--version';
  },
  'fsck.fat': (a) => has(a, '-n'),
  cryptsetup: (a) => a[0] === 'luksDump' || a[0] === 'isLuks' || a[0] === 'status' || a[0] === '--version',
  lvm: (a) => ['fullreport', 'pvs', 'vgs', 'lvs', 'version', 'pvdisplay', 'vgdisplay', 'lvdisplay'].includes(a[0] ?? ''),
  pvs: ALWAYS,
  vgs: ALWAYS,
  lvs: ALWAYS,
  mdadm: (a) => has(a, '--detail', '-D', '--examine', '-E', '--query', '-Q', '--version', '-V'),
  dmsetup: (a) => ['table', 'info', 'ls', 'deps', 'status', 'version'].includes(a[0] ?? ''),
  udevadm: (a) => a[0] === 'info' || a[0] === 'settle',
  'dpkg-query': ALWAYS,
  'apt-mark': (a) => ['showmanual', 'showauto', 'showhold'].includes(a[0] ?? ''),
  'apt-config': (a) => a[0] === 'dump',
  dpkg: (a) => has(a, '--print-architecture', '--print-foreign-architectures', '--version'),
  git: (a) => {
    // git -C DIR <verb> …: only the verbs that do not write to the repository.
    const args = a[0] === '-C' ? a.slice(2) : a;
    return ['rev-parse', 'status', 'log', 'remote', 'config', 'ls-files', 'show', 'diff', 'symbolic-ref', 'branch', 'for-each-ref', 'cat-file'].includes(args[0] ?? '');
  },
  efibootmgr: (a) => a.every((x) => x === '-v' || x === '--verbose'),
  uname: ALWAYS,
  id: ALWAYS,
  stat: ALWAYS,
  flatpak: (a) => a[0] === 'list',
  snap: (a) => a[0] === 'list',
  pacman: (a) => a[0]?.startsWith('-Q') === true,
  dnf: (a) => a[0] === 'repoquery' || a[0] === 'history',
  rpm: (a) => a[0]?.startsWith('-q') === true,
  systemctl: (a) => ['show', 'is-enabled', 'is-active', 'list-unit-files', 'cat'].includes(a[0] ?? ''),
  true: ALWAYS,
};

export function isReadOnlyInvocation(argv: readonly string[]): boolean {
  const [program, ...args] = argv;
  if (program === undefined) return false;
  const check = READ_ONLY[program.split('/').pop() ?? program];
  return check !== undefined && check(args);
}
