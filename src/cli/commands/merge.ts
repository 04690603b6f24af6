// sysmanifest merge etc|home|status|resolve|apply|undo|finish (services/merge).
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { loadManifest } from '../../core/manifest/load.ts';
import { defaultRepo } from '../../services/capture.ts';
import { applyMerges, finishMerge, mergeEtc, mergeHome, resolvePath, statusOf, undoMerges } from '../../services/merge/index.ts';
import { effectiveAction, resolveCommand } from '../../services/merge/apply.ts';
import type { AreaName, Entry, Outcome, StagedArea } from '../../services/merge/types.ts';
import { collect, type Out } from './common.ts';

const defaultManifest = (): string => join(defaultRepo(), 'hosts', hostname(), 'manifest.yaml');

/** The five lists of `merge status`, in the issue's words. */
const GROUPS: ReadonlyArray<{ title: string; outcomes: readonly Outcome[] }> = [
  { title: 'merged (your changes on the new defaults)', outcomes: ['merged'] },
  { title: 'kept the new default (you had not changed it)', outcomes: ['theirs'] },
  { title: "kept yours (the new release had not changed it, or it is yours alone)", outcomes: ['ours', 'deleted'] },
  { title: 'conflicts and files to review (a decision is needed before apply)', outcomes: ['conflict', 'review'] },
  { title: 'skipped (clutter, or handled elsewhere)', outcomes: ['clutter', 'skipped'] },
];

const areaArg = (kind: string | undefined, user: string | undefined): AreaName | undefined => {
  if (kind === undefined) return undefined;
  if (kind === 'etc') return 'etc';
  if (kind === 'home') {
    if (!user) throw new UserError('USAGE', 'home needs --user NAME');
    return `home-${user}`;
  }
  throw new UserError('USAGE', `${kind}: expected etc or home`);
};

function renderArea(out: Out, a: StagedArea, verbose: boolean): void {
  const applied = a.applied ? ` — APPLIED ${a.applied.at} (${a.applied.changes} change(s); sysmanifest merge undo goes back)` : '';
  out(`${a.area === 'etc' ? '/etc' : `home of ${a.area.slice(5)} (${a.dir})`}${a.root === '/' ? '' : ` in ${a.root}`}, staged ${a.createdAt}${applied}\n`);
  for (const g of GROUPS) {
    const list = a.entries.filter((e) => g.outcomes.includes(e.outcome));
    out(`  ${g.title}: ${list.length}\n`);
    const show = g.outcomes.includes('clutter') && !verbose ? list.slice(0, 10) : list;
    for (const e of show) out(`    ${line(e)}\n`);
    if (show.length < list.length) out(`    … ${list.length - show.length} more (--verbose)\n`);
  }
  out(`  unchanged or only in the new system: ${a.unchanged}\n`);
}

function line(e: Entry): string {
  const open = (e.outcome === 'conflict' || e.outcome === 'review') && e.resolved === undefined;
  const res = e.resolved ? ` — resolved: ${e.resolved} (apply will ${effectiveAction(e)})` : '';
  return `${e.path}: ${e.why}${res}${open ? `\n      ${resolveCommand(e)}` : ''}`;
}

function summary(a: StagedArea): string {
  const n = (o: Outcome[]): number => a.entries.filter((e) => o.includes(e.outcome)).length;
  const open = a.entries.filter((e) => (e.outcome === 'conflict' || e.outcome === 'review') && e.resolved === undefined).length;
  return `${n(['merged'])} merged, ${n(['theirs'])} new default(s) kept, ${n(['ours', 'deleted'])} of yours kept, ${n(['conflict', 'review'])} to decide, ${n(['clutter', 'skipped'])} skipped, ${a.unchanged} unchanged` +
    (open ? `\nnext: decide each one (sysmanifest merge status lists them with the command), then sysmanifest merge apply` : '\nnext: sysmanifest merge apply (sysmanifest merge status shows each file first)');
}

export function registerMerge(program: Command, out: Out): void {
  const merge = program
    .command('merge')
    .description('after a clean reinstall (often of a newer release): your /etc and home changes three-way merged onto the new defaults, staged for review, applied and undone on command');
  const json = (v: unknown): void => out(`${JSON.stringify(v)}\n`);
  merge.command('etc')
    .description('merge /etc: base = the pristine files of the old packages (recorded at capture), ours = your captured /etc, theirs = the fresh /etc; results are staged, nothing is written to /etc')
    .option('--manifest <file>', "the old system's manifest (default: this host's in the default repository)")
    .option('--root <dir>', 'the fresh system (a mounted tree)', '/')
    .option('--skip <glob>', 'leave these paths (relative to /etc) as the fresh system has them (repeatable)', collect, [])
    .option('--json', 'the staged area as JSON')
    .action(async (o: { manifest?: string; root: string; skip: string[]; json?: boolean }) => {
      const a = await mergeEtc({ manifest: resolve(o.manifest ?? defaultManifest()), root: o.root, skip: o.skip });
      if (o.json) return json(a);
      renderArea(out, a, false);
      out(`${summary(a)}\n`);
    });
  merge.command('home')
    .description("merge users' homes: base = the /etc/skel file it started from (recorded at capture) or its first version in the dotfiles repository, ours = the dotfiles repository at its pinned commit, theirs = the fresh home")
    .option('--user <name>', 'the user (default: every user the manifest has a dotfiles repository for)')
    .option('--manifest <file>', "the old system's manifest (default: this host's in the default repository)")
    .option('--root <dir>', 'the fresh system (a mounted tree)', '/')
    .option('--dotfiles-from <dir>', 'fetch the dotfiles from DIR/USER (a repository or a bundle) instead of their remote')
    .option('--skip <glob>', 'leave these paths (relative to the home) as the fresh system has them (repeatable)', collect, [])
    .option('--json', 'the staged areas as JSON (one array)')
    .action(async (o: { user?: string; manifest?: string; root: string; dotfilesFrom?: string; skip: string[]; json?: boolean }) => {
      const file = resolve(o.manifest ?? defaultManifest());
      const users = o.user !== undefined ? [o.user] : ((await loadManifest(file)).repos?.dotfiles ?? []).filter((d) => d.commit !== undefined).map((d) => d.user);
      if (users.length === 0) throw new UserError('REFUSED', `${file}: no user has a dotfiles repository with a commit in it (repos.dotfiles)`);
      const areas: StagedArea[] = [];
      for (const user of users) {
        const a = await mergeHome({ manifest: file, root: o.root, user, skip: o.skip, ...(o.dotfilesFrom ? { dotfilesFrom: resolve(o.dotfilesFrom) } : {}) });
        areas.push(a);
        if (!o.json) {
          renderArea(out, a, false);
          out(`${summary(a)}\n`);
        }
      }
      if (o.json) json(o.user !== undefined ? areas[0] : areas);
    });
  merge.command('status')
    .description('what each staged merge decided: merged, kept new default, kept yours, conflicts (with the command to resolve each), skipped as clutter')
    .argument('[area]', 'etc or home (default: all)')
    .option('--user <name>', 'with home: the user')
    .option('--root <dir>', 'the fresh system', '/')
    .option('--verbose', 'list every skipped path')
    .option('--json', 'as JSON')
    .action(async (kind: string | undefined, o: { user?: string; root: string; verbose?: boolean; json?: boolean }) => {
      const which = areaArg(kind, o.user);
      const areas = (await statusOf(o.root)).filter((a) => which === undefined || a.area === which);
      if (o.json) return json(areas);
      if (areas.length === 0) return out('no merge is staged (sysmanifest merge etc, or merge home --user NAME)\n');
      for (const a of areas) renderArea(out, a, o.verbose ?? false);
    });
  merge.command('resolve')
    .description('decide a conflict or a review item: --ours (your version), --theirs (the new default, left as it is) or --edit (the staged text with its conflict markers in $VISUAL/$EDITOR)')
    .argument('<path>', 'the path as merge status shows it (/etc/…, /home/…)')
    .option('--ours', 'take your version')
    .option('--theirs', "take the fresh system's version")
    .option('--edit', 'edit the merged text; it counts as resolved when no conflict marker is left')
    .option('--root <dir>', 'the fresh system', '/')
    .option('--json', 'the entry as JSON')
    .action(async (path: string, o: { ours?: boolean; theirs?: boolean; edit?: boolean; root: string; json?: boolean }) => {
      const how = [o.ours && 'ours', o.theirs && 'theirs', o.edit && 'edit'].filter(Boolean) as Array<'ours' | 'theirs' | 'edit'>;
      if (how.length !== 1) throw new UserError('USAGE', 'merge resolve: give exactly one of --ours, --theirs, --edit');
      const e = await resolvePath(o.root, path, how[0]!);
      if (o.json) return json(e);
      out(`${e.path}: resolved (${how[0]}); apply will ${effectiveAction(e)}\n`);
    });
  merge.command('apply')
    .description('install the staged results (owners and modes kept), after saving the fresh files it replaces; refused while a conflict or review item is open')
    .argument('[area]', 'etc or home (default: every staged merge)')
    .option('--user <name>', 'with home: the user')
    .option('--root <dir>', 'the fresh system', '/')
    .option('--partial', 'apply what is decided and leave the open conflicts staged (for a later resolve and apply)')
    .option('--json', 'the changes as JSON')
    .action(async (kind: string | undefined, o: { user?: string; root: string; partial?: boolean; json?: boolean }) => {
      const done = await applyMerges(o.root, areaArg(kind, o.user), { partial: o.partial ?? false });
      if (o.json) return json(done);
      for (const d of done) {
        out(`${d.area}: ${d.changes.length} change(s)${d.open ? `; ${d.open} still to decide (sysmanifest merge status)` : ''}\n`);
        for (const c of d.changes) out(`  ${c.do === 'delete' ? 'deleted' : c.before.kind === 'absent' ? 'created' : 'replaced'} ${c.path}\n`);
      }
      out('the fresh files are saved: sysmanifest merge undo puts them back\n');
    });
  merge.command('undo')
    .description('put back the fresh files an apply replaced or deleted, byte for byte, and remove what it created')
    .argument('[area]', 'etc or home (default: every applied merge)')
    .option('--user <name>', 'with home: the user')
    .option('--root <dir>', 'the fresh system', '/')
    .option('--force', 'also where a file was changed after apply (that change is lost)')
    .option('--json', 'as JSON')
    .action(async (kind: string | undefined, o: { user?: string; root: string; force?: boolean; json?: boolean }) => {
      const done = await undoMerges(o.root, areaArg(kind, o.user), o.force ?? false);
      if (o.json) return json(done);
      for (const d of done) out(`${d.area}: ${d.restored} path(s) back as the fresh install had them\n`);
    });
  merge.command('finish')
    .description('forget a staged or applied merge (its saved fresh files too): keep the result as it is')
    .argument('<area>', 'etc or home')
    .option('--user <name>', 'with home: the user')
    .option('--root <dir>', 'the fresh system', '/')
    .action(async (kind: string, o: { user?: string; root: string }) => {
      const which = areaArg(kind, o.user)!;
      await finishMerge(o.root, which);
      out(`${which}: staging area removed\n`);
    });
}
