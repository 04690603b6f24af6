// What bootstrap/live.sh asks the bundle on a live system: `tools MANIFEST` (the programs this
// rebuild needs and the packages that bring them) and `disks MANIFEST` (the disks here, what is
// on them, and the --map it proposes).
import type { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, join, resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { loadManifest } from '../../core/manifest/load.ts';
import type { Disk } from '../../core/manifest/types.gen.ts';
import { PROJECT_ROOT } from '../../core/paths.ts';
import { hostMutatingRunner, hostReadOnlyRunner } from '../../core/runner/exec.ts';
import type { DiskIdentity } from '../../providers/storage/disks/index.ts';
import { mountsOf, type BlockDevice, type Inventory } from '../../providers/storage/types.ts';
import { defaultRepo } from '../../services/capture.ts';
import { runningBundle, writeMedium } from '../../services/medium.ts';
import { describeCandidate, parseMapOption } from '../../services/rebuild/match.ts';
import { gatherTargetFacts } from '../../services/rebuild/plan.ts';
import { liveTools } from '../../services/rebuild/tools.ts';
import { plainProgress } from '../../ui/progress.ts';
import { humanBytes } from '../../ui/tree.ts';
import { collect, type Out } from './common.ts';

const FAMILIES = ['debian', 'arch', 'fedora'] as const;
type Family = (typeof FAMILIES)[number];

/** On PATH, or in the sbin directories a non-root PATH lacks. */
function onPath(program: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  return dirs.some((d) => d !== '' && existsSync(`${d}/${program}`));
}

export function registerLive(program: Command, out: Out): void {
  program
    .command('tools')
    .description('the programs a live system needs to rebuild this manifest, the package that brings each, and which are missing here')
    .argument('<manifest>', 'manifest.yaml')
    .option('--packages <family>', `print only the packages of the missing programs, for ${FAMILIES.join(', ')} (one line; empty when nothing is missing)`)
    .action(async (file: string, o: { packages?: string }) => {
      if (o.packages !== undefined && !(FAMILIES as readonly string[]).includes(o.packages)) throw new UserError('USAGE', `--packages ${o.packages}: one of ${FAMILIES.join(', ')}`);
      const m = await loadManifest(file);
      const tools = liveTools(m);
      if (o.packages !== undefined) {
        const family = o.packages as Family;
        out(`${[...new Set(tools.filter((t) => !onPath(t.program)).map((t) => t[family]))].join(' ')}\n`);
        return;
      }
      for (const t of tools) out(`${onPath(t.program) ? 'ok     ' : 'MISSING'} ${t.program.padEnd(13)} ${t.debian.padEnd(24)} ${t.why}\n`);
    });

  program
    .command('disks')
    .description('the disks of the manifest, the disks here with what is on them, and the --map a rebuild would take (changes nothing)')
    .argument('<manifest>', 'manifest.yaml')
    .option('--map <src=dev>', 'a target you choose (repeatable); the rest is proposed', collect, [])
    .option('--maps', 'print only the proposed --map options, one line (exit 1 when a disk has no target)')
    .action(async (file: string, o: { map: string[]; maps?: boolean }) => {
      const m = await loadManifest(file);
      const maps = o.map.map(parseMapOption);
      const facts = await gatherTargetFacts(hostReadOnlyRunner(), maps);
      const disks = (m.storage?.disks ?? []).filter((d) => !d.unsupported);
      const proposal = proposeTargets(disks, facts.present, facts.inventory, Object.fromEntries(maps.map((x) => [x.src, facts.resolve(x.dev)])));
      if (o.maps) {
        const missing = disks.filter((d) => !proposal[d.id]);
        if (missing.length) throw new UserError('REFUSED', `no target for ${missing.map((d) => `${d.id} (${humanBytes(d.match.sizeBytes)})`).join(', ')}: no blank disk here is large enough`, { hint: 'attach one, or name it with --map ID=/dev/…' });
        out(`${disks.map((d) => `--map ${d.id}=${proposal[d.id]!.path}`).join(' ')}\n`);
        return;
      }
      out(`The manifest's disks (${m.host.hostname}):\n`);
      for (const d of disks) out(`  ${d.id.padEnd(8)} ${[d.path, humanBytes(d.match.sizeBytes), d.match.model, d.match.serial && `serial ${d.match.serial}`, d.match.wwn && `wwn ${d.match.wwn}`].filter(Boolean).join(', ')}\n`);
      out('\nThe disks here:\n');
      for (const p of facts.present) out(`  ${describeCandidate(p)}\n      ${describeContent(facts.inventory, p.kname)}\n`);
      out('\nProposed:\n');
      for (const d of disks) {
        const t = proposal[d.id];
        out(t ? `  --map ${d.id}=${t.path}   (${t.why})\n` : `  ${d.id}: NO TARGET — no blank disk of at least ${humanBytes(d.match.sizeBytes)} here; attach one or give --map ${d.id}=/dev/…\n`);
      }
    });
}

export function registerMedium(program: Command, out: Out): void {
  program
    .command('medium')
    .description('write an offline rebuild medium: the self-contained bundle with live.sh, the manifest repository, each host\'s package mirror (and the encrypted secrets archives you give); a rerun copies only what changed')
    .requiredOption('--out <dir>', 'the medium (a directory, e.g. the mounted USB stick)')
    .option('--repo <dir>', 'the manifest repository', defaultRepo())
    .option('--host <name>', 'a host to carry (repeatable; default: every host of the repository)', collect, [])
    .option('--secrets <file>', 'an encrypted secrets archive to carry, HOST.secrets.age (repeatable)', collect, [])
    .option('--bundle <dir|file>', 'the bundle (an unpacked directory or the .tar.gz of npm run bundle; default: this installation if it is one, else dist/)')
    .option('--mirror <url>', 'as for mirror: the archive to download from instead of the captured sources')
    .option('--security-mirror <url>', 'as for mirror')
    .option('--json', 'progress and the result as JSON lines')
    .action(async (o: { out: string; repo: string; host: string[]; secrets: string[]; bundle?: string; mirror?: string; securityMirror?: string; json?: boolean }) => {
      const cleanup: string[] = [];
      try {
        const progress = plainProgress(out, o.json === true);
        const r = await writeMedium(hostMutatingRunner(), {
          out: o.out, repo: resolve(o.repo), hosts: o.host, bundle: bundleDir(o.bundle, cleanup), secrets: o.secrets.map((s) => ({ host: basename(s).replace(/\.secrets\.age$/, ''), file: resolve(s) })),
          ...(o.mirror ? { mirror: o.mirror } : {}), ...(o.securityMirror ? { securityMirror: o.securityMirror } : {}),
        }, (e) => progress.onEvent(e));
        progress.done();
        if (o.json) {
          out(`${JSON.stringify({ event: 'result', medium: resolve(o.out), version: r.version, bundleFiles: r.bundleFiles, hosts: r.hosts, mirrors: r.mirrors })}\n`);
          return;
        }
        out(`medium ${resolve(o.out)}: sysmanifest ${r.version} (${r.bundleFiles.copied} file(s) copied, ${r.bundleFiles.kept} unchanged), hosts ${r.hosts.join(', ')}\n`);
        for (const [h, m] of Object.entries(r.mirrors)) out(`  mirror/${h}: ${m.debs} packages, ${(m.dirBytes / 2 ** 20).toFixed(1)} MiB; downloaded ${m.downloaded}${m.missing.length ? `; not in the archive: ${m.missing.join(' ')}` : ''}\n`);
        out(`on the bad day: sh ${resolve(o.out)}/bundle/live.sh --host HOST --identity YOUR-AGE-KEY   (see ${resolve(o.out)}/README)\n`);
      } finally {
        for (const d of cleanup) rmSync(d, { recursive: true, force: true });
      }
    });
}

/**
 * A target for each manifest disk: the one named with --map; else the disk with its WWN or
 * serial (the same machine) if it is blank; else the smallest blank disk at least as large.
 * A disk with anything on it is never proposed — handing one over takes --wipe, a decision.
 */
export function proposeTargets(disks: readonly Disk[], present: readonly DiskIdentity[], inv: Inventory, chosen: Readonly<Record<string, string>>): Record<string, { path: string; why: string }> {
  const out: Record<string, { path: string; why: string }> = {};
  const used = new Set<string>();
  for (const d of disks) {
    const k = chosen[d.id] ?? (d.path ? chosen[d.path] : undefined);
    const p = k === undefined ? undefined : present.find((x) => x.kname === k);
    if (p) {
      out[d.id] = { path: p.path, why: 'given with --map' };
      used.add(p.kname);
    }
  }
  const blank = (p: DiskIdentity): boolean => !used.has(p.kname) && describeContent(inv, p.kname) === 'blank';
  for (const d of disks) {
    if (out[d.id]) continue;
    const same = present.find((p) => blank(p) && ((d.match.wwn && p.wwn === d.match.wwn) || (d.match.serial && p.serial === d.match.serial)));
    const fit = same ?? present.filter((p) => blank(p) && p.sizeBytes >= d.match.sizeBytes).sort((a, b) => a.sizeBytes - b.sizeBytes)[0];
    if (!fit) continue;
    out[d.id] = { path: fit.path, why: same ? `the same disk: ${d.match.wwn && fit.wwn === d.match.wwn ? 'WWN' : 'serial'}` : `blank, ${humanBytes(fit.sizeBytes)} ≥ ${humanBytes(d.match.sizeBytes)}` };
    used.add(fit.kname);
  }
  return out;
}

/** The bundle to put on a medium: --bundle DIR or .tar.gz, this installation when it is a bundle, or dist/'s archive. */
export function bundleDir(given: string | undefined, cleanup: string[]): string {
  const unpack = (tar: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-medium-'));
    cleanup.push(dir);
    execFileSync('tar', ['-xzf', tar, '-C', dir]);
    const top = readdirSync(dir).find((e) => e.startsWith('sysmanifest-'));
    if (!top) throw new UserError('USAGE', `${tar} is not a sysmanifest bundle archive`);
    return join(dir, top);
  };
  if (given !== undefined) return given.endsWith('.tar.gz') ? unpack(resolve(given)) : resolve(given);
  const self = runningBundle();
  if (self) return self;
  const dist = join(PROJECT_ROOT, 'dist');
  const tars = existsSync(dist) ? readdirSync(dist).filter((f) => /^sysmanifest-.*-linux-x86_64\.tar\.gz$/.test(f)).map((f) => join(dist, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs) : [];
  if (!tars[0]) throw new UserError('USAGE', 'no bundle to put on the medium', { hint: 'run npm run bundle first (it writes dist/sysmanifest-VERSION-linux-x86_64.tar.gz), or give --bundle FILE|DIR' });
  return unpack(tars[0]);
}

/** What is on a disk, in a few words: its table and each partition's content and mount point. */
export function describeContent(inv: Inventory, kname: string): string {
  const d = inv.devices[kname];
  if (!d) return '';
  const mounted = (k: string): string[] => mountsOf(inv, k).map((m) => m.mountpoint);
  const what = (x: BlockDevice): string => {
    const t = x.probe.TYPE ? `${x.probe.TYPE}${x.probe.LABEL ? ` "${x.probe.LABEL}"` : ''}` : 'no signature';
    const on = [...mounted(x.kname), ...x.holders.map((h) => `→ ${h}`)];
    return `${t}${on.length ? ` (${on.join(', ')})` : ''}`;
  };
  const parts = Object.values(inv.devices).filter((x) => x.parent === kname).sort((a, b) => (a.partitionNumber ?? 0) - (b.partitionNumber ?? 0));
  if (d.probe.PTTYPE) return `${d.probe.PTTYPE === 'dos' ? 'MBR' : d.probe.PTTYPE.toUpperCase()}: ${parts.map((p) => `${p.partitionNumber ?? '?'} ${what(p)}`).join('; ') || 'no partitions'}`;
  if (d.probe.TYPE || d.holders.length || mounted(kname).length) return what(d);
  return 'blank';
}
