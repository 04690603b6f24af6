// Recreate xfs filesystems with the geometry xfs_info reported, in mkfs.xfs's own suboptions
// (mkfs.xfs(8)). Sizes go in bytes, stripe units in 512-byte units ("<value> is xxx (512 byte
// blocks)"), so nothing depends on the order mkfs.xfs parses its options in.
import type { Filesystem, XfsParams } from '../../../core/manifest/types.gen.ts';
import type { PlanContext } from '../../../core/plan/context.ts';
import type { Step } from '../../../core/plan/types.ts';
import { cannotRecreate, filesystemsOf, mkfsStep, probeOf } from '../plan.ts';

const METADATA_FLAGS = ['crc', 'finobt', 'rmapbt', 'reflink', 'bigtime', 'inobtcount'] as const;
const INODE_FLAGS = ['attr', 'projid32bit', 'sparse', 'nrext64'] as const;

export function mkfsXfsArgv(where: string, fs: Filesystem, device: string): string[] {
  const x: XfsParams | undefined = fs.xfs;
  if (!x) throw cannotRecreate(where, 'no xfs parameters were captured');
  if (!x.log.internal) throw cannotRecreate(where, 'external log device');
  if (x.realtime.device !== 'none') throw cannotRecreate(where, 'realtime device');
  if (fs.uuid === undefined) throw cannotRecreate(where, 'no UUID was captured');
  const bs = x.data.bsize;
  const units512 = (blocks: number, blockSize: number): number => (blocks * blockSize) / 512;
  const m = x.metadata;
  const meta = [...METADATA_FLAGS.filter((k) => m[k] !== undefined).map((k) => `${k}=${m[k]}`), `uuid=${fs.uuid}`];
  const inode = [`size=${m.isize}`, `maxpct=${x.data.imaxpct}`, ...INODE_FLAGS.filter((k) => m[k] !== undefined).map((k) => `${k}=${m[k]}`)];
  // sunit=0,swidth=0 keeps mkfs.xfs from taking a stripe geometry from the target's topology.
  const data = [`agsize=${m.agsize * bs}`, `size=${x.data.blocks * bs}`, `sunit=${units512(x.data.sunit, bs)}`, `swidth=${units512(x.data.swidth, bs)}`];
  const naming = [`version=${x.naming.asciiCi ? 'ci' : x.naming.version}`, `size=${x.naming.bsize}`, `ftype=${x.naming.ftype}`];
  // -l internal cannot be combined with sectsize=; an internal log is the default anyway.
  // mkfs.xfs refuses -l sunit=0: leave it out and let it follow the data stripe unit (0 here).
  const log = [`size=${x.log.blocks * x.log.bsize}`, `version=${x.log.version}`, `sectsize=${x.log.sectsz}`, `lazy-count=${x.log.lazyCount}`];
  if (x.log.sunit > 0) log.push(`sunit=${units512(x.log.sunit, x.log.bsize)}`);
  else if (x.data.sunit > 0) throw cannotRecreate(where, 'a log without stripe unit on a striped data section (mkfs.xfs refuses -l sunit=0)');
  return [
    'mkfs.xfs', '-f',
    '-s', `size=${m.sectsz}`,
    '-b', `size=${bs}`,
    '-m', meta.join(','),
    '-i', inode.join(','),
    '-d', data.join(','),
    '-n', naming.join(','),
    '-l', log.join(','),
    '-r', `extsize=${x.realtime.extsz}`,
    ...(fs.label !== undefined ? ['-L', fs.label] : []),
    device,
  ];
}

export function plan(ctx: PlanContext): Step[] {
  return filesystemsOf(ctx, ['xfs']).flatMap(({ entry: fs, where }) => {
    const dev = ctx.devicePath(fs.on);
    const mkfs = mkfsStep(ctx, {
      on: fs.on,
      title: `xfs on ${dev} (${fs.on})${fs.label ? ` "${fs.label}"` : ''}`,
      argv: mkfsXfsArgv(where, fs, dev),
      probe: probeOf('xfs', fs.uuid),
    });
    if (!ctx.grow.has(fs.on)) return [mkfs];
    // --grow: made exactly as captured, then grown by xfs_growfs, which works on a mounted
    // filesystem only: mount it privately, grow, unmount.
    const dir = `/run/sysmanifest/grow-${fs.on.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const step = (id: string, title: string, argv: string[], after: string): Step => ({ id: `${id}:${fs.on}`, title, argv, risk: 'create', after: [after] });
    const mkdir = step('grow-mkdir', `xfs on ${dev}: mount point to grow it`, ['mkdir', '-p', dir], mkfs.id);
    const mount = step('grow-mount', `xfs on ${dev}: mount to grow it`, ['mount', '-t', 'xfs', dev, dir], mkdir.id);
    const grow = step('grow', `xfs on ${dev}: grow to fill the enlarged ${fs.on}`, ['xfs_growfs', dir], mount.id);
    const umount = step('grow-umount', `xfs on ${dev}: unmount after growing`, ['umount', dir], grow.id);
    return [mkfs, mkdir, mount, grow, umount];
  });
}
