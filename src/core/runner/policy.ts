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
  // dpkg-deb(1): only the forms that print (fields, info, contents, the data tar on stdout); -x/-R/-b write.
  'dpkg-deb': (a) => ['--field', '-f', '--info', '-I', '--contents', '-c', '--fsys-tarfile', '--ctrl-tarfile', '--version'].includes(a[0] ?? ''),
  // tar: exactly "extract to stdout from stdin, member names literal" (the pristine file out of
  // dpkg-deb --fsys-tarfile). Nothing is written; no option that runs a program can be added.
  tar: (a) => a[0] === '--extract' && a[1] === '--to-stdout' && a[2] === '--file=-' && a[3] === '--no-wildcards' && a[4] === '--' && a.length > 5,
  git: (a) => {
    // git [-C DIR] [--git-dir=G] [--work-tree=W] [--no-optional-locks] <verb> …: only the verbs
    // (and forms of them) that do not write to the repository.
    let i = 0;
    while (i < a.length) {
      const x = a[i]!;
      if (x === '-C') i += 2;
      else if (x.startsWith('--git-dir=') || x.startsWith('--work-tree=') || x === '--no-optional-locks' || x === '--no-pager') i++;
      else break;
    }
    const [verb, ...rest] = a.slice(i);
    const positional = rest.filter((x) => !x.startsWith('-'));
    switch (verb) {
      case 'config': // `git config key value` writes: only the query forms.
        return has(rest, '--get', '--get-all', '--get-regexp', '--list', '-l');
      case 'remote': // `remote add/remove/set-url…` write: only listing and get-url.
        return positional.length === 0 || positional[0] === 'get-url' || positional[0] === 'show';
      case 'branch': // a branch name creates a branch: only listing.
        return has(rest, '--show-current', '--list', '-l') || positional.length === 0;
      case 'symbolic-ref': // with a second argument it sets the ref.
        return !has(rest, '-d', '--delete', '-m') && positional.length <= 1;
      default:
        return ['rev-parse', 'status', 'log', 'ls-files', 'ls-tree', 'show', 'diff', 'for-each-ref', 'cat-file'].includes(verb ?? '');
    }
  },
  // find walks a tree (the /etc repository's file list); the actions that write or run are refused.
  find: (a) => !has(a, '-delete', '-exec', '-execdir', '-ok', '-okdir', '-fprint', '-fprint0', '-fprintf', '-fls'),
  efibootmgr: (a) => a.every((x) => x === '-v' || x === '--verbose'),
  uname: ALWAYS,
  id: ALWAYS,
  stat: ALWAYS,
  flatpak: (a) => a[0] === 'list',
  snap: (a) => a[0] === 'list',
  pacman: (a) => a[0]?.startsWith('-Q') === true,
  dnf: (a) => a[0] === 'repoquery' || a[0] === 'history',
  // --eval of %_dbpath only: where this machine's rpm (and so dnf --installroot) keeps its database.
  rpm: (a) => a[0]?.startsWith('-q') === true || (a.length === 2 && a[0] === '--eval' && a[1] === '%_dbpath'),
  systemctl: (a) => ['show', 'is-enabled', 'is-active', 'list-unit-files', 'cat'].includes(a[0] ?? ''),
  true: ALWAYS,
};

export function isReadOnlyInvocation(argv: readonly string[]): boolean {
  const [program, ...args] = argv;
  if (program === undefined) return false;
  const check = READ_ONLY[program.split('/').pop() ?? program];
  return check !== undefined && check(args);
}
