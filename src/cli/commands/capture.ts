import { basename, dirname, resolve } from 'node:path';
import { rmSync } from 'node:fs';
import { writeMedium } from '../../services/medium.ts';
import { bundleDir } from './live.ts';
import { Option, type Command } from 'commander';
import { UserError } from '../../core/errors.ts';
import { checkHostName } from '../../core/repo/host.ts';
import { schemaRefFor } from '../../core/repo/schemas.ts';
import { dumpManifest } from '../../core/manifest/dump.ts';
import { hostMutatingRunner, hostReadOnlyRunner } from '../../core/runner/exec.ts';
import { loggingRunner } from '../../core/runner/logging.ts';
import { assertValid, buildManifest, defaultRepo } from '../../services/capture.ts';
import { captureRun } from '../../services/versioning/run.ts';
import { checkSecretsOut } from '../../providers/system/secrets/index.ts';
import { collect, type Out } from './common.ts';

export function registerCapture(program: Command, out: Out): void {
  program
    .command('capture')
    .description('capture this machine into hosts/<host>/manifest.yaml of the manifest repository (read-only on every disk)')
    .option('--repo <dir>', 'manifest repository (created and git-initialised if new)', defaultRepo())
    .option('--host <name>', "host name to file the manifest under (default: this machine's hostname)")
    .option('--disk <dev>', 'capture only this disk (repeatable); loop devices are only captured when named', collect, [])
    .option('--exclude <dev>', 'leave this disk out (repeatable)', collect, [])
    .option('--root <dir>', 'read packages, /etc and homes of a system mounted at DIR (storage still comes from the disks)', '/')
    .option('--print', 'also print the manifest to stdout')
    .option('--stdout', 'print the manifest to stdout and write nothing (no repository, no side files)')
    .addOption(new Option('--only <section>', 'with --stdout: capture only this part').choices(['storage']))
    .option('--log-commands <file>', 'write every command capture runs to FILE, one JSON line per command: argv, start and duration in ms, exit code')
    .option('--commit', 'sync the /etc repository, then commit the manifest repository (message says what changed) and push it if it has a remote')
    .option('--wait <seconds>', 'wait this long for another capture of the same repository to finish (default: fail at once)', '0')
    .option('--hook <path>', 'also run this program at run.begin, run.end, capture.committed and error (repeatable; besides REPO/hooks.d/)', collect, [])
    .option('--hook-timeout <seconds>', 'kill a hook that runs longer than this', '60')
    .option('--secrets-out <file>', 'also write the secrets kept out of the repositories (host keys, VPN keys, keyfiles, password hashes) to FILE, encrypted with age; keep FILE apart from the repository')
    .option('--medium <dir>', 'with --commit: then bring the offline rebuild medium at DIR up to date for this host (see medium; only what changed is copied)')
    .option('--secrets-recipient <key>', 'age public key (age1…), ssh public key, or recipients file to encrypt --secrets-out to (repeatable; also read: REPO/hosts/NAME/secrets.recipients)', collect, [])
    .action(async (o: { secretsOut?: string; secretsRecipient: string[]; repo: string; host?: string; disk: string[]; exclude: string[]; root: string; print?: boolean; stdout?: boolean; only?: 'storage'; commit?: boolean; wait: string; hook: string[]; hookTimeout: string; logCommands?: string; medium?: string }) => {
      const reader = o.logCommands ? loggingRunner(hostReadOnlyRunner(), o.logCommands) : hostReadOnlyRunner();
      const seconds = (name: string, v: string): number => {
        if (!/^\d+(\.\d+)?$/.test(v)) throw new UserError('USAGE', `${name} ${v}: expected a number of seconds`);
        return Number(v);
      };
      // '' is refused, not ignored: `--host "$NAME"` with NAME unset must not file the manifest elsewhere.
      const host = o.host === undefined ? undefined : checkHostName(o.host, '--host');
      if (o.only && !o.stdout) throw new UserError('USAGE', '--only writes a partial manifest and is only allowed with --stdout');
      if (o.stdout && o.commit) throw new UserError('USAGE', '--stdout writes nothing and cannot --commit');
      if (o.stdout && o.secretsOut) throw new UserError('USAGE', '--stdout writes nothing and cannot --secrets-out');
      if (o.secretsRecipient.length > 0 && !o.secretsOut) throw new UserError('USAGE', '--secrets-recipient is only used with --secrets-out FILE');
      if (o.medium !== undefined && !o.commit) throw new UserError('USAGE', '--medium keeps the medium in step with the committed repository: it needs --commit');
      // The bundle is found before anything is captured: a missing one fails at once.
      const mediumCleanup: string[] = [];
      const bundle = o.medium === undefined ? undefined : bundleDir(undefined, mediumCleanup);
      const secretsOut = o.secretsOut === undefined ? undefined : { file: o.secretsOut, recipients: o.secretsRecipient };
      if (secretsOut) checkSecretsOut(secretsOut);
      if (o.stdout) {
        const m = await buildManifest(reader, { root: o.root, disks: o.disk, exclude: o.exclude, ...(host !== undefined ? { host } : {}), ...(o.only ? { only: o.only } : {}) });
        assertValid(m);
        out(dumpManifest(m));
        return;
      }
      const run = await captureRun(
        { reader, mutator: hostMutatingRunner() },
        {
          repo: o.repo,
          root: o.root,
          disks: o.disk,
          exclude: o.exclude,
          ...(host !== undefined ? { host } : {}),
          commit: o.commit === true,
          waitSeconds: seconds('--wait', o.wait),
          hooks: o.hook,
          hookTimeoutMs: seconds('--hook-timeout', o.hookTimeout) * 1000,
          ...(secretsOut ? { secretsOut } : {}),
        },
      );
      const r = run.capture;
      const s = r.manifest.storage ?? {};
      const counts = [
        `${s.disks?.length ?? 0} disk(s)`,
        `${s.filesystems?.length ?? 0} filesystem(s)`,
        ...(s.luks?.length ? [`${s.luks.length} LUKS`] : []),
        ...(s.mdraid?.length ? [`${s.mdraid.length} md`] : []),
        ...(s.lvm?.vgs?.length ? [`${s.lvm.vgs.length} VG(s)`] : []),
        ...(r.manifest.packages?.manual ? [`${r.manifest.packages.manual.length} manual packages`] : []),
      ];
      if (run.repoCreated) out(`created manifest repository ${o.repo}\n`);
      out(`${r.file}: ${r.status} (${counts.join(', ')})\n`);
      if (r.bases) out(`merge bases: ${r.bases.etc} /etc file(s) recorded${r.bases.unavailable ? `, ${r.bases.unavailable} unavailable (see ${dirname(r.file)}/bases/index.json)` : ''}, ${r.bases.skel} /etc/skel file(s)\n`);
      if (r.secrets) out(`${r.secrets.file}: ${r.secrets.paths.length} secret file(s), encrypted to ${r.secrets.recipients} recipient(s)${r.secrets.skipped.length ? ` (not present: ${r.secrets.skipped.map((x) => x.path).join(', ')})` : ''}\n`);
      if (run.etc?.committed) out(`/etc repository: committed ${run.etc.repo.commit?.slice(0, 10) ?? ''} (${run.etc.changes.added.length} added, ${run.etc.changes.modified.length} modified, ${run.etc.changes.removed.length} removed)\n`);
      if (run.result === 'committed') out(`committed ${run.commit!.slice(0, 10)}: ${run.message!.split('\n')[0]}\n`);
      if (run.result === 'unchanged') out('unchanged, nothing committed\n');
      if (run.push?.ok) out(`pushed to ${run.push.remote}\n`);
      if (o.print) out(dumpManifest(r.manifest, { schemaRef: schemaRefFor(resolve(o.repo), r.file) })); // the bytes of the file
      if (o.medium !== undefined && bundle !== undefined) {
        try {
          const hostDir = basename(dirname(r.file));
          const m = await writeMedium(hostMutatingRunner(), { out: o.medium, repo: resolve(o.repo), hosts: [hostDir], bundle, secrets: secretsOut ? [{ host: hostDir, file: resolve(secretsOut.file) }] : [] });
          const mm = m.mirrors[hostDir];
          out(`medium ${resolve(o.medium)}: bundle ${m.bundleFiles.copied} file(s) copied, ${m.bundleFiles.kept} unchanged; repository fetched${mm ? `; mirror/${hostDir}: ${mm.downloaded} package(s) downloaded, ${mm.pruned} removed` : ''}\n`);
        } finally {
          for (const d of mediumCleanup) rmSync(d, { recursive: true, force: true });
        }
      }
      if (run.push && !run.push.ok) {
        throw new UserError('REPO', `${run.commit ? `committed ${run.commit.slice(0, 10)} locally, but the` : 'the'} push to ${run.push.remote} failed: ${run.push.message ?? ''}`, {
          hint: `the next capture --commit pushes again; or push by hand: git -C ${o.repo} push ${run.push.remote}`,
        });
      }
    });
}
