// sysmanifest datasets sync|status (services/datasets/sync.ts).
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { loadManifest } from '../../core/manifest/load.ts';
import { hostMutatingRunner } from '../../core/runner/exec.ts';
import { defaultRepo } from '../../services/capture.ts';
import { restoreDataset, syncDatasets, type DatasetReport } from '../../services/datasets/sync.ts';
import { discoverHooks, hookRunner } from '../../services/versioning/hooks.ts';
import { statusDir } from '../../services/versioning/status.ts';
import { writeFileAtomic } from '../../core/repo/files.ts';
import { collect, type Out } from './common.ts';

/** The manifest repository of REPO/hosts/HOST/manifest.yaml (its hooks.d/, its status file), if the file is in one. */
const repoOf = (file: string): string | undefined => (basename(dirname(dirname(file))) === 'hosts' ? dirname(dirname(dirname(file))) : undefined);
const datasetsStatusFile = (repo: string): string => join(statusDir(repo), 'datasets.json');

const defaultManifest = (): string => join(defaultRepo(), 'hosts', hostname(), 'manifest.yaml');

function age(ms: number | undefined): string {
  if (ms === undefined) return '';
  const min = Math.round(ms / 60_000);
  return min < 120 ? `${min} min` : min < 2 * 1440 ? `${Math.round(min / 60)} h` : `${Math.round(min / 1440)} d`;
}

const mib = (n: number): string => (n < 1048576 ? `${(n / 1024).toFixed(0)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);

function render(out: Out, reports: readonly DatasetReport[], verbose: boolean): void {
  for (const d of reports) {
    out(`${d.name} (${d.kind}): ${d.safeCopies} of ${d.minCopies} copies${d.safeCopies < d.minCopies ? ' — NOT SAFE' : ''}\n`);
    if (d.targets.length === 0) out('  no targets declared (datasets[].targets)\n');
    if (d.source && (d.source.snapshot || d.source.retention)) {
      out(`  local snapshots ${d.source.dir}${d.source.snapshot ? `: took ${d.source.snapshot}` : ''}${d.source.note ? ` — ${d.source.note}` : ''}\n`);
      if (d.source.retention && (verbose || d.source.removed?.length)) for (const x of d.source.retention) out(`      ${x.keep ? 'keep ' : d.source.removed ? 'removed' : 'would remove'} ${x.id}: ${x.reasons.join('; ')}\n`);
    }
    for (const t of d.targets) {
      const last = t.last ? `; last good ${t.last} (${age(t.lastAgeMs)} ago)` : '';
      const what = t.sent?.length ? ` ${t.sent.map((x) => `${x.snapshot} (${x.parent ? `incremental against ${x.parent}` : 'full'}, ${mib(x.bytes)})`).join(', then ')}` : t.snapshot ? ` ${t.snapshot}${t.base ? ` (linked to ${t.base})` : ''}` : '';
      out(`  ${t.target}: ${t.state}${what}${t.why ? ` — ${t.why}` : ''}${last}\n`);
      if (t.retention && (verbose || t.removed?.length || t.state === 'would-run')) {
        for (const x of t.retention) out(`      ${x.keep ? 'keep ' : t.state === 'would-run' ? 'would remove' : 'removed'} ${x.id}: ${x.reasons.join('; ')}\n`);
      }
    }
  }
}

export function registerDatasets(program: Command, out: Out): void {
  const ds = program.command('datasets').description('keep the manifest\'s datasets safe: snapshots on their targets, with retention');
  ds.command('sync')
    .description('a snapshot of each due dataset on each reachable target (kinds rsync and btrfs so far), then its retention; unreachable targets are skipped and reported')
    .argument('[names...]', 'the datasets (default: all)')
    .option('--manifest <file>', 'the manifest (default: this host\'s in the default repository)')
    .option('--dry-run', 'say what would be done, every snapshot with the reason it is kept or would go; write nothing')
    .option('--json', 'the report as JSON')
    .option('--hook <path>', 'a program to call on dataset.begin, dataset.snapshot, dataset.error, dataset.end (repeatable; besides the repository\'s hooks.d/)', collect, [])
    .action(async (names: string[], o: { manifest?: string; dryRun?: boolean; json?: boolean; hook: string[] }) => {
      const file = resolve(o.manifest ?? defaultManifest());
      const m = await loadManifest(file);
      // The manifest's repository (REPO/hosts/HOST/manifest.yaml) brings its hooks.d/, as for capture.
      const repo = repoOf(file);
      const runner = hostMutatingRunner();
      const hooks = hookRunner(runner, repo ? await discoverHooks(repo, o.hook.map((h) => resolve(h))) : o.hook.map((h) => resolve(h)));
      const warn = (s: string): void => {
        process.stderr.write(`sysmanifest: ${s}\n`);
      };
      // On a terminal, the tools' meters on one rewritten line: rsync's (bytes, %, rate, files), the btrfs stream's bytes (dd), restic's and borg's.
      // (The meter's \r and erase-line go to the terminal directly: out() shows control characters as escapes.)
      const tty = process.stdout.isTTY === true && !o.json;
      let meter = false;
      const clear = (): void => {
        if (meter) process.stdout.write('\r\x1b[K');
        meter = false;
      };
      const onLine = (d: string, t: string, l: string): void => {
        if (/^(retention:|removing|deleting|sending|snapshot |initialising|making)/.test(l)) {
          clear();
          out(`  ${d} → ${t}: ${l}\n`);
        } else if (tty && (/\d%/.test(l) || /^\d+ bytes .* copied/.test(l))) {
          clear();
          out(`  ${d} → ${t}: ${l.trim().replace(/\s+/g, ' ')}`);
          meter = true;
        }
      };
      const startedAt = new Date();
      const reports = await syncDatasets(runner, m, { names, dryRun: o.dryRun === true, hooks, warn, ...(o.json ? {} : { onLine }) });
      clear();
      // The status file, beside capture's (REPO/.git/sysmanifest/): what the last run did, for
      // `datasets status` and for whatever watches the schedule.
      if (repo && !o.dryRun && existsSync(join(repo, '.git'))) await writeFileAtomic(datasetsStatusFile(repo), `${JSON.stringify({ startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), durationMs: Date.now() - startedAt.getTime(), result: reports.some((d) => d.targets.some((t) => t.state === 'failed')) ? 'failed' : 'ok', datasets: reports.map((d) => ({ name: d.name, safeCopies: d.safeCopies, minCopies: d.minCopies, targets: d.targets.map((t) => ({ target: t.target, state: t.state, ...(t.last ? { last: t.last } : {}), ...(t.why ? { why: t.why } : {}) })) })) }, null, 2)}\n`);
      if (o.json) out(`${JSON.stringify(reports)}\n`);
      else render(out, reports, o.dryRun === true);
      const failed = reports.flatMap((d) => d.targets.filter((t) => t.state === 'failed').map((t) => `${d.name} → ${t.target}`));
      if (failed.length) throw new UserError('COMMAND_FAILED', `${failed.length} snapshot(s) failed: ${failed.join(', ')} (the others went through)`, { hint: 'the next run retries them; see the messages above' });
    });
  ds.command('restore')
    .description('a dataset back from its first reachable target (rsync and btrfs so far) into a new or empty directory, checked against the manifest\'s expect (files, bytes, listing hash)')
    .argument('<names...>', 'the datasets; with several, each goes to DIR/NAME')
    .requiredOption('--to <dir>', 'where the files go (absent or empty: a restore never writes over files)')
    .option('--snapshot <id>', 'this snapshot (YYYYMMDDTHHMMSSZ, as datasets status shows) instead of the newest')
    .option('--manifest <file>', 'the manifest (default: this host\'s in the default repository)')
    .action(async (names: string[], o: { to: string; snapshot?: string; manifest?: string }) => {
      const m = await loadManifest(o.manifest ?? defaultManifest());
      for (const name of names) {
        const to = names.length > 1 ? join(resolve(o.to), name) : resolve(o.to);
        const r = await restoreDataset(hostMutatingRunner(), m, { name, to, ...(o.snapshot ? { snapshot: o.snapshot } : {}) });
        out(`${name}: restored ${r.snapshot} from ${r.target} into ${r.to}${r.verified ? `; matches the manifest (${r.verified.files} files, ${r.verified.bytes} bytes, listing ${r.verified.listingSha256.slice(0, 12)}…)` : '; the manifest has no expect to check it against'}\n`);
      }
    });
  ds.command('status')
    .description('per dataset and target: the last good snapshot and its age, and whether a sync would run now and why')
    .option('--manifest <file>', 'the manifest (default: this host\'s in the default repository)')
    .option('--json', 'the report as JSON')
    .action(async (o: { manifest?: string; json?: boolean }) => {
      const file = resolve(o.manifest ?? defaultManifest());
      const m = await loadManifest(file);
      const reports = await syncDatasets(hostMutatingRunner(), m, { names: [], dryRun: true, statusOnly: true });
      const repo = repoOf(file);
      const last = repo ? await readFile(datasetsStatusFile(repo), 'utf8').then((t) => JSON.parse(t) as { finishedAt: string; result: string; durationMs: number }).catch(() => undefined) : undefined;
      if (o.json) out(`${JSON.stringify(reports)}\n`);
      else {
        render(out, reports, false);
        if (last) out(`last datasets sync: ${last.finishedAt} (${last.result}, ${(last.durationMs / 1000).toFixed(1)} s)\n`);
      }
    });
}
