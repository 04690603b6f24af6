// mirror: every package a rebuild of the manifest needs, in a partial mirror for offline use.
import { resolve as absolute } from 'node:path';
import type { Command } from 'commander';
import { hostMutatingRunner } from '../../core/runner/exec.ts';
import { DEFAULT_KEYRING, mirrorManifest, parseVariant, SOURCES_FILE, VARIANTS } from '../../services/mirror/index.ts';
import { plainProgress } from '../../ui/progress.ts';
import { collect, type Out } from './common.ts';

interface MirrorFlags {
  out: string;
  variant: string;
  include: string[];
  mirror?: string;
  securityMirror?: string;
  keyring: string;
  recommends: boolean;
  json?: boolean;
}

const MiB = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

export function registerMirror(program: Command, out: Out): void {
  program
    .command('mirror')
    .description('download every package a rebuild of the manifest installs (base, manual set, dependencies) into a partial mirror with the archive\'s signed Release files, for a rebuild with no network (--mirror file://DIR)')
    .argument('<manifest>', 'manifest.yaml')
    .requiredOption('--out <dir>', 'the mirror directory (created; a rerun reuses what it holds)')
    .option('--variant <variant>', `the base system, as mmdebstrap --variant (${VARIANTS.join(', ')})`, 'minbase')
    .option('--include <pkgs>', 'more packages in the base, as mmdebstrap --include (comma-separated, repeatable)', collect, [])
    .option('--mirror <url>', 'download the release and its -updates … suites from this archive instead of the captured sources')
    .option('--security-mirror <url>', 'download the -security suite from this archive instead of the captured one')
    .option('--keyring <file>', 'the archive keyring the Release files are verified with', DEFAULT_KEYRING)
    .option('--no-recommends', 'leave out the Recommends of the manual set (the packages stage installs them by default, as apt does)')
    .option('--json', 'progress as JSON lines')
    .action(async (file: string, o: MirrorFlags) => {
      const dir = absolute(o.out);
      const progress = process.stdout.isTTY === true && !o.json ? (await import('../../ui/progress-ink.ts')).inkProgress() : plainProgress(out, o.json === true);
      try {
        const r = await mirrorManifest(
          hostMutatingRunner(),
          file,
          {
            out: dir,
            variant: parseVariant(o.variant),
            include: o.include.flatMap((s) => s.split(',')).filter((s) => s !== ''),
            recommends: o.recommends,
            keyring: o.keyring,
            ...(o.mirror === undefined ? {} : { mirror: o.mirror }),
            ...(o.securityMirror === undefined ? {} : { securityMirror: o.securityMirror }),
          },
          (e) => progress.onEvent(e),
        );
        progress.done();
        if (o.json) {
          out(`${JSON.stringify({ event: 'result', ...r })}\n`);
          return;
        }
        out(`\nmirror ${dir}: ${r.debs} packages (${MiB(r.debBytes)}), suites ${r.suites.join(' ')}, ${r.architectures.join(' ')}; ${MiB(r.dirBytes)} on disk\n`);
        out(`downloaded ${r.downloaded} package(s) (${MiB(r.downloadedBytes)}) and ${r.indexesDownloaded} index file(s); reused ${r.debs - r.downloaded}; removed ${r.pruned} no longer needed; ${(r.ms / 1000).toFixed(1)} s\n`);
        for (const m of r.missing) out(`  not in the archive (a rebuild will report it): ${m}\n`);
        for (const s of r.skipped) out(`  not mirrored: ${s}\n`);
        for (const n of r.notes) out(`  note: ${n}\n`);
        out(`use: sysmanifest rebuild ${file} --mirror file://${dir}   (apt sources for it: ${dir}/${SOURCES_FILE})\n`);
      } catch (e) {
        progress.done();
        throw e;
      }
    });
}
