// sysmanifest rehearse [MANIFEST] --medium DIR: the restore drill (services/rehearse.ts).
import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { loadManifest } from '../../core/manifest/load.ts';
import { hostMutatingRunner } from '../../core/runner/exec.ts';
import { imageBytes, REHEARSE_STAGES, rehearse, type RehearseResult } from '../../services/rehearse.ts';
import { elapsed, plainProgress } from '../../ui/progress.ts';
import { humanBytes } from '../../ui/tree.ts';
import type { Out } from './common.ts';

const positive = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UserError('USAGE', `${name} ${v}: a whole number above 0`);
  return n;
};

/** MANIFEST → its repository and host: it must be REPO/hosts/HOST/manifest.yaml (the etc stage reads the repository). */
export function manifestPlace(file: string): { repo: string; host: string } {
  const f = resolve(file);
  const hostDir = dirname(f);
  if (basename(f) !== 'manifest.yaml' || basename(dirname(hostDir)) !== 'hosts') {
    throw new UserError('USAGE', `${file}: not hosts/HOST/manifest.yaml inside a manifest repository`, { hint: 'rehearse a manifest where capture --commit keeps it (the rebuild reads /etc\'s history from that repository), or leave MANIFEST out to rehearse the medium\'s own' });
  }
  return { repo: dirname(dirname(hostDir)), host: basename(hostDir) };
}

/** --live-root DIR: a tree with what the rescue guest's first process needs (bash, mount, kmod). */
function liveRoot(dir: string): string {
  const d = resolve(dir);
  for (const f of ['bin/bash', 'bin/mount', 'sbin/modprobe', 'var/lib/dpkg/status']) {
    if (!existsSync(join(d, f)) && !existsSync(join(d, 'usr', f))) throw new UserError('USAGE', `--live-root ${dir}: no ${f} in it`, { hint: 'make one with: mmdebstrap --variant=minbase --include=kmod,udev bookworm DIR (from the medium\'s mirror: file://MEDIUM/mirror/HOST)' });
  }
  return d;
}

export function registerRehearse(program: Command, out: Out): void {
  program
    .command('rehearse')
    .description('the restore drill, touching no disk of this machine: rebuild MANIFEST from the offline medium onto image files in a throw-away qemu rescue guest, boot them with the captured firmware, and report pass or fail with each stage\'s time')
    .argument('[manifest]', 'hosts/HOST/manifest.yaml in a manifest repository (default: the medium\'s repository, host --host)')
    .requiredOption('--medium <dir>', 'the offline medium the rescue guest rebuilds from (sysmanifest medium --out DIR): its bundle, live.sh and package mirror')
    .option('--host <name>', 'without MANIFEST: the host of the medium\'s repository to rehearse (default: its only one)')
    .option('--identity <keyfile>', 'your age key, to restore the medium\'s encrypted secrets (password hashes, host keys) in the rehearsal too')
    .option('--work <dir>', 'where the images and the logs go (default: /var/tmp/sysmanifest-rehearse/HOST-TIME)')
    .option('--keep', 'keep the rebuilt images to inspect (they are removed otherwise; the logs stay)')
    .option('--boot-only', 'no rebuild: boot the images a rehearsal with --keep left in --work DIR again (after you looked into or changed them)')
    .option('--live-root <dir>', 'run the rescue guest on this live system\'s tree (a debootstrap minbase with kmod and udev) instead of this machine\'s programs: live.sh installs the rebuild\'s tools from the medium, as on the bad day')
    .option('--timeout <seconds>', 'give the rescue guest (live.sh and the whole rebuild) this long', positive('--timeout'), 5400)
    .option('--boot-timeout <seconds>', 'give the first boot of the rebuilt images this long', positive('--boot-timeout'), 600)
    .option('--mem <MiB>', 'the rescue guest\'s memory', positive('--mem'), 3072)
    .option('--json', 'progress and the result as JSON lines')
    .action(async (file: string | undefined, o: { medium: string; host?: string; identity?: string; work?: string; keep?: boolean; bootOnly?: boolean; liveRoot?: string; timeout: number; bootTimeout: number; mem: number; json?: boolean }) => {
      const medium = resolve(o.medium);
      if (!existsSync(join(medium, 'sysmanifest-medium'))) throw new UserError('USAGE', `${o.medium} is not a sysmanifest medium (no sysmanifest-medium file)`, { hint: 'write one with sysmanifest medium --out DIR' });
      let place: { repo: string; host: string };
      if (file !== undefined) {
        if (o.host !== undefined) throw new UserError('USAGE', '--host goes with no MANIFEST (the manifest\'s place names its host)');
        place = manifestPlace(file);
      } else {
        const repo = join(medium, 'repo');
        const hosts = existsSync(join(repo, 'hosts')) ? readdirSync(join(repo, 'hosts')).filter((h) => existsSync(join(repo, 'hosts', h, 'manifest.yaml'))).sort() : [];
        const host = o.host ?? (hosts.length === 1 ? hosts[0] : undefined);
        if (host === undefined) throw new UserError('USAGE', `the medium's repository holds ${hosts.length} host(s)${hosts.length ? ` (${hosts.join(', ')})` : ''}: choose one with --host NAME`);
        if (!hosts.includes(host)) throw new UserError('USAGE', `--host ${host}: the medium's repository has no hosts/${host}/manifest.yaml (it has: ${hosts.join(', ') || 'none'})`);
        place = { repo, host };
      }
      const manifestFile = join(place.repo, 'hosts', place.host, 'manifest.yaml');
      const manifest = await loadManifest(manifestFile);
      if (o.identity !== undefined && !existsSync(o.identity)) throw new UserError('USAGE', `--identity ${o.identity}: no such file`);
      if (o.bootOnly && o.work === undefined) throw new UserError('USAGE', '--boot-only boots the images of an earlier rehearsal: give its --work DIR');
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      const work = resolve(o.work ?? join('/var/tmp/sysmanifest-rehearse', `${place.host}-${stamp}`));
      if (existsSync(work) && !statSync(work).isDirectory()) throw new UserError('USAGE', `--work ${work}: not a directory`, { hint: 'give a new or existing directory for the images and the logs' });
      await mkdir(work, { recursive: true, mode: 0o700 });
      const say = (s: string): void => {
        if (o.json) out(`${JSON.stringify({ event: 'message', message: s })}\n`);
        else out(`rehearse: ${s}\n`);
      };
      say(`${place.host}: ${manifestFile}, from the medium ${medium}; work in ${work}`);
      if (manifest.storage?.luks?.length) say('the manifest has LUKS containers: the rehearsal formats them with a throw-away passphrase; a system that asks for its passphrase at boot waits at that prompt, which rehearse cannot answer, and the first boot then fails on its timeout');
      const tty = process.stdout.isTTY === true && !o.json;
      const progress = tty ? (await import('../../ui/progress-ink.ts')).inkProgress() : plainProgress(out, o.json === true);
      let r: RehearseResult;
      try {
        r = await rehearse(hostMutatingRunner(), {
          manifestFile, manifest, repo: place.repo, host: place.host, medium, ...(o.identity ? { identity: resolve(o.identity) } : {}),
          work, keep: o.keep === true, bootOnly: o.bootOnly === true, ...(o.liveRoot !== undefined ? { liveRoot: liveRoot(o.liveRoot) } : {}), timeoutSec: o.timeout, bootTimeoutSec: o.bootTimeout, memMb: o.mem, kernelCache: process.env.SMVM_HOME ?? '/var/tmp/sysmanifest-vm',
        }, (e) => progress.onEvent(e), say);
      } finally {
        progress.done();
      }
      const times = REHEARSE_STAGES.filter((s) => r.stageMs[s] !== undefined).map((s) => `${s} ${elapsed(r.stageMs[s]!)}`);
      const total = Object.values(r.stageMs).reduce((a, b) => a + (b ?? 0), 0);
      const used = await imageBytes(r.images);
      if (o.json) {
        out(`${JSON.stringify({ event: 'result', result: r.pass ? 'pass' : 'fail', ...(r.failedStage ? { stage: r.failedStage } : {}), errors: r.errors, stageMs: r.stageMs, firmware: r.firmware, ...(r.boot ? { boot: r.boot } : {}), work: r.work, images: r.kept ? r.images.map((d) => d.image) : [] })}\n`);
      } else {
        out('\n');
        if (r.pass) {
          const b = r.boot!;
          out(`rehearse: pass — ${place.host} rebuilt from the medium onto ${r.images.length} image(s) and booted by ${r.firmware === 'uefi' ? 'OVMF (UEFI)' : 'SeaBIOS (BIOS)'}: state ${b.state ?? '?'}, kernel ${b.kernel ?? '?'}, ${b.failedUnits.length} failed unit(s)${b.failedUnits.length ? `: ${b.failedUnits.join(', ')}` : ''}\n`);
        } else {
          out(`rehearse: fail at stage ${r.failedStage}\n`);
          for (const e of r.errors.slice(0, 20)) out(`  ${e}\n`);
        }
        out(`  stages: ${times.join(', ')}; total ${elapsed(total)}\n`);
        const logs = ['rescue.log', 'boot-console.log'].filter((l) => existsSync(join(r.work, l)));
        out(`  work: ${r.work}${logs.length ? ` (${logs.join(', ')})` : ''}${r.kept ? `; images kept (${humanBytes(used.used)} written of ${humanBytes(used.apparent)}): ${r.images.map((d) => d.image).join(' ')}` : '; images removed (--keep leaves them)'}\n`);
      }
      if (!r.pass) throw new UserError('REFUSED', `the rehearsal failed at stage ${r.failedStage}: the medium and this manifest would not bring ${place.host} back as they are`, { hint: `read ${join(r.work, 'rescue.log')}${r.failedStage === 'first boot' ? ` and ${join(r.work, 'boot-console.log')}` : ''}; rerun with --keep to inspect the images` });
    });
}
