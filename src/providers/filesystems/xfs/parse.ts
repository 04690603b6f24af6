// `xfs_info DEV` prints the geometry in the fixed layout of libxfs xfs_report_geom():
//   meta-data=DEV   isize=512    agcount=4, agsize=65536 blks
//            =      sectsz=512   attr=2, projid32bit=1
//   naming   =version 2          bsize=4096   ascii-ci=0, ftype=1
//   log      =internal log       bsize=4096   blocks=16384, version=2
//   realtime =none               extsz=4096   blocks=0, rtextents=0
// A section name starts a line; lines starting with "=" continue it. The text right after
// "=" (up to the first key=value) is the section's head: device, "version 2", "internal log".
import { ParseError } from '../../../core/errors.ts';
import type { XfsParams } from '../../../core/manifest/types.gen.ts';

interface Section {
  head: string;
  values: Map<string, string>;
}

export function parseXfsInfoSections(text: string): Map<string, Section> {
  const sections = new Map<string, Section>();
  let current: Section | undefined;
  for (const line of text.split('\n')) {
    const m = /^(\S*)\s*=(.*)$/.exec(line);
    if (!m) continue;
    const [, name, rest] = m as unknown as [string, string, string];
    if (name !== '') {
      const firstPair = rest.search(/\S+=/);
      current = { head: (firstPair < 0 ? rest : rest.slice(0, firstPair)).trim(), values: new Map() };
      sections.set(name, current);
    }
    if (!current) throw new ParseError('xfs_info output', `continuation line before any section: ${line}`);
    for (const p of rest.matchAll(/([a-z][a-z0-9-]*)=([^\s,]+)/g)) current.values.set(p[1]!, p[2]!);
  }
  return sections;
}

export function parseXfsInfo(text: string): XfsParams {
  const sections = parseXfsInfoSections(text);
  const what = 'xfs_info output';
  const section = (name: string): Section => {
    const s = sections.get(name);
    if (!s) throw new ParseError(what, `no "${name}" section`);
    return s;
  };
  const num = (s: Section, sectionName: string, key: string): number => {
    const v = s.values.get(key);
    if (v === undefined || !/^\d+$/.test(v)) throw new ParseError(what, `${sectionName} ${key}= missing or not a number: ${String(v)}`);
    return Number(v);
  };
  // Older xfsprogs do not print the newer feature flags: keep only what this one printed.
  const optNum = (s: Section, key: string): Partial<Record<string, number>> => (s.values.has(key) ? { [key]: num(s, 'meta-data', key) } : {});

  const meta = section('meta-data');
  const data = section('data');
  const naming = section('naming');
  const log = section('log');
  const rt = section('realtime');
  const version = /^version\s+(\S+)$/.exec(naming.head)?.[1];
  if (version === undefined) throw new ParseError(what, `naming section head: ${naming.head}`);
  return {
    metadata: {
      isize: num(meta, 'meta-data', 'isize'),
      agcount: num(meta, 'meta-data', 'agcount'),
      agsize: num(meta, 'meta-data', 'agsize'),
      sectsz: num(meta, 'meta-data', 'sectsz'),
      ...['attr', 'projid32bit', 'crc', 'finobt', 'sparse', 'rmapbt', 'reflink', 'bigtime', 'inobtcount', 'nrext64'].reduce((acc, k) => ({ ...acc, ...optNum(meta, k) }), {}),
    },
    data: {
      bsize: num(data, 'data', 'bsize'),
      blocks: num(data, 'data', 'blocks'),
      imaxpct: num(data, 'data', 'imaxpct'),
      sunit: num(data, 'data', 'sunit'),
      swidth: num(data, 'data', 'swidth'),
    },
    naming: {
      version,
      bsize: num(naming, 'naming', 'bsize'),
      asciiCi: num(naming, 'naming', 'ascii-ci'),
      ftype: num(naming, 'naming', 'ftype'),
    },
    log: {
      internal: log.head === 'internal log' || log.head === 'internal',
      bsize: num(log, 'log', 'bsize'),
      blocks: num(log, 'log', 'blocks'),
      version: num(log, 'log', 'version'),
      sectsz: num(log, 'log', 'sectsz'),
      sunit: num(log, 'log', 'sunit'),
      lazyCount: num(log, 'log', 'lazy-count'),
    },
    realtime: {
      device: rt.head,
      extsz: num(rt, 'realtime', 'extsz'),
      blocks: num(rt, 'realtime', 'blocks'),
      rtextents: num(rt, 'realtime', 'rtextents'),
    },
  };
}

/** `xfs_db -r -c label -c uuid DEV`: `label = "text"` and `UUID = …`. */
export function parseXfsDbLabelUuid(text: string): { label?: string; uuid: string } {
  const label = /^label = "(.*)"$/m.exec(text)?.[1];
  const uuid = /^UUID = (\S+)$/m.exec(text)?.[1];
  if (label === undefined || uuid === undefined) throw new ParseError('xfs_db label/uuid output', JSON.stringify(text.slice(0, 200)));
  return { ...(label === '' ? {} : { label }), uuid };
}
