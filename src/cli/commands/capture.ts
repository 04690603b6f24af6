import { Option, type Command } from 'commander';
import { UserError } from '../../core/errors.ts';
import { dumpManifest } from '../../core/manifest/dump.ts';
import { hostReadOnlyRunner } from '../../core/runner/exec.ts';
import { assertValid, buildManifest, captureToRepo, defaultRepo } from '../../services/capture.ts';
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
    .action(async (o: { repo: string; host?: string; disk: string[]; exclude: string[]; root: string; print?: boolean; stdout?: boolean; only?: 'storage' }) => {
      if (o.only && !o.stdout) throw new UserError('USAGE', '--only writes a partial manifest and is only allowed with --stdout');
      if (o.stdout) {
        const m = await buildManifest(hostReadOnlyRunner(), { root: o.root, disks: o.disk, exclude: o.exclude, ...(o.host ? { host: o.host } : {}), ...(o.only ? { only: o.only } : {}) });
        assertValid(m);
        out(dumpManifest(m));
        return;
      }
      const r = await captureToRepo(hostReadOnlyRunner(), { repo: o.repo, root: o.root, disks: o.disk, exclude: o.exclude, ...(o.host ? { host: o.host } : {}) });
      const s = r.manifest.storage ?? {};
      const counts = [
        `${s.disks?.length ?? 0} disk(s)`,
        `${s.filesystems?.length ?? 0} filesystem(s)`,
        ...(s.luks?.length ? [`${s.luks.length} LUKS`] : []),
        ...(s.mdraid?.length ? [`${s.mdraid.length} md`] : []),
        ...(s.lvm?.vgs?.length ? [`${s.lvm.vgs.length} VG(s)`] : []),
        ...(r.manifest.packages?.manual ? [`${r.manifest.packages.manual.length} manual packages`] : []),
      ];
      if (r.repoCreated) out(`created manifest repository ${o.repo}\n`);
      out(`${r.file}: ${r.status} (${counts.join(', ')})\n`);
      if (o.print) out(dumpManifest(r.manifest));
    });
}
