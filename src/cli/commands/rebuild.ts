// plan, rebuild and verify: the storage stage of a rebuild.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { UserError } from '../../core/errors.ts';
import { readInputBytes, readInputText } from '../../core/input.ts';
import { formatDifference } from '../../core/manifest/diff.ts';
import { loadManifest } from '../../core/manifest/load.ts';
import { hostMutatingRunner, hostReadOnlyRunner } from '../../core/runner/exec.ts';
import { LOG_COMMANDS_ENV, loggingMutatingRunner } from '../../core/runner/logging.ts';
import { parseMapOption, matchDisks } from '../../services/rebuild/match.ts';
import { DEFAULT_TARGET, manifestAndTargets, planFromFile, resolveGrow } from '../../services/rebuild/plan.ts';
import { grownManifest } from '../../providers/storage/disks/index.ts';
import { DEFAULT_STATE_DIR, rebuild, rebuiltDisks } from '../../services/rebuild/rebuild.ts';
import { DEFAULT_CACHE, systemPlan } from '../../services/rebuild/full.ts';
import { createHash } from 'node:crypto';
import { MAX_MANIFEST_BYTES } from '../../core/input.ts';
import { parseManifest } from '../../core/manifest/load.ts';
import { PLAN_VERSION, type Plan } from '../../core/plan/types.ts';
import type { Manifest } from '../../core/manifest/types.gen.ts';
import { ALL_STAGES, parseStages } from '../../services/rebuild/system.ts';
import { matchAndVerifyDisks } from '../../services/rebuild/verify.ts';
import { VERIFY_PARTS, verifySystemTree, type VerifyPart } from '../../services/rebuild/verify-system.ts';
import { parseIdentityMap, withIdentities } from '../../services/rebuild/new-identities.ts';
import { renderPlan } from '../../ui/plan.ts';
import { plainProgress } from '../../ui/progress.ts';
import { exitInterrupted, setInterruptHint } from '../interrupt.ts';
import { collect, type Out } from './common.ts';

interface PlanFlags {
  map: string[];
  wipe: string[];
  grow: string[];
  target: string;
  json?: boolean;
}

const GROW_HELP =
  'give the extra space of a larger target disk to this partition (must be the last one on its disk; an MBR extended partition grows with its last logical one); "last": the last partition of every disk (repeatable). Without it a larger disk keeps the captured geometry';

const planFlags = (cmd: Command): Command =>
  cmd
    .option('--map <src=dev>', 'target disk for a manifest disk: SRC is its id (disk0) or the device path it had at capture (repeatable)', collect, [])
    .option('--wipe <src>', 'hand this disk over for erasing: allows a target that carries signatures (repeatable)', collect, [])
    .option('--grow <id|last>', GROW_HELP, collect, [])
    .option('--target <dir>', 'where the rebuilt tree is mounted', DEFAULT_TARGET);

/**
 * --key-file: its exact text, read with the same care as a manifest, but a pipe is fine here
 * (`--key-file <(pass show disk)` is the way to keep the passphrase off the disk). At most
 * 8 MiB, cryptsetup's own default limit for a key file (--keyfile-size).
 */
/** A key file's exact bytes (binary keys from /dev/urandom included), as cryptsetup --key-file reads them. */
function readKeyFile(file: string): Promise<Uint8Array> {
  return readInputBytes(file, { what: 'key file', code: 'REFUSED', maxBytes: 8 * 1024 * 1024, allowPipe: true });
}

async function askYes(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim() === 'yes';
  } finally {
    rl.close();
  }
}

/** Reads a passphrase from the terminal without echo; asked twice so a typo cannot lock the data away. */
async function askPassphrase(): Promise<string> {
  if (!process.stdin.isTTY) throw new UserError('USAGE', 'a LUKS passphrase is needed and there is no terminal to ask on', { hint: 'pass --key-file FILE' });
  const read = (prompt: string): Promise<string> =>
    new Promise((resolve, reject) => {
      process.stderr.write(prompt);
      const stdin = process.stdin;
      stdin.setRawMode(true);
      stdin.resume();
      let text = '';
      const onData = (b: Buffer): void => {
        for (const c of b.toString('utf8')) {
          if (c === '\r' || c === '\n') {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off('data', onData);
            process.stderr.write('\n');
            resolve(text);
            return;
          }
          if (c === '\u0003') {
            // Ctrl-C in raw mode is a byte, not a signal: end the run as SIGINT would.
            stdin.setRawMode(false);
            stdin.off('data', onData);
            exitInterrupted('SIGINT');
          }
          text = c === '\u007f' ? text.slice(0, -1) : text + c;
        }
      };
      stdin.on('data', onData);
    });
  const a = await read('LUKS passphrase for the new containers: ');
  const b = await read('Again: ');
  if (a !== b) throw new UserError('USAGE', 'the two passphrases differ; nothing was written to the LUKS steps yet', { hint: 'rerun with --resume and type it again' });
  if (a === '') throw new UserError('USAGE', 'an empty passphrase is refused');
  return a;
}

export function registerRebuild(program: Command, out: Out): void {
  planFlags(program.command('plan'))
    .description('show the steps that would rebuild the manifest onto the disks present (changes nothing): the storage stage, or the stages named with --stage')
    .argument('<manifest>', 'manifest.yaml')
    .option('--json', 'print the plan as JSON')
    .option('--stage <stages>', `the stages to plan, comma-separated (${ALL_STAGES.join(', ')}); default: storage`)
    .option('--mirror <url>', 'as for rebuild (repeatable)', collect, [])
    .option('--cache <dir>', 'as for rebuild', DEFAULT_CACHE)
    .option('--dotfiles-from <dir>', 'as for rebuild')
    .option('--no-nvram', 'as for rebuild')
    .option('--release <name>', 'as for rebuild')
    .action(async (file: string, o: PlanFlags & { stage?: string; mirror: string[]; cache: string; dotfilesFrom?: string; nvram?: boolean; release?: string }) => {
      const runner = hostReadOnlyRunner();
      const stages = parseStages(o.stage ?? 'storage');
      const storage = { maps: o.map.map(parseMapOption), wipe: o.wipe, grow: o.grow, target: o.target };
      let manifest: Manifest;
      let plan: Plan;
      if (stages.includes('storage')) ({ manifest, plan } = await planFromFile(runner, file, storage));
      else {
        const text = await readInputText(file, { what: 'manifest', code: 'MANIFEST_NOT_FOUND', maxBytes: MAX_MANIFEST_BYTES });
        manifest = parseManifest(text, file);
        const disks = stages.includes('boot') ? await rebuiltDisks(runner, file, manifest, storage) : {};
        plan = { version: PLAN_VERSION, manifestSha256: createHash('sha256').update(text).digest('hex'), host: manifest.host.hostname, disks, wipe: [], steps: [], target: o.target };
      }
      plan = await systemPlan(runner, manifest, file, plan, { stages, mirrors: o.mirror, cacheDir: o.cache, strict: false, noNvram: o.nvram === false, inputs: o.dotfilesFrom ? { dotfiles: resolve(o.dotfilesFrom) } : {}, ...(o.release ? { release: o.release } : {}) });
      out(o.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
    });

  planFlags(program.command('rebuild'))
    .description('rebuild the manifest onto bare disks: preflight, plan, confirm, apply (journaled, resumable), verify')
    .argument('<manifest>', 'manifest.yaml')
    .option('--stage <stages>', `what to rebuild, comma-separated, in this order: ${ALL_STAGES.join(', ')} (default: all)`)
    .option('--mirror <url>', 'install from this Debian mirror (http://, https://, or file:// — e.g. one made by `sysmanifest mirror`) instead of the captured sources (repeatable)', collect, [])
    .option('--cache <dir>', 'apt archive cache shared by every stage and every attempt', DEFAULT_CACHE)
    .option('--strict', 'a manual package the mirror no longer has is an error (default: reported, the rest installed)')
    .option('--dotfiles-from <dir>', 'clone each user\'s dotfiles from DIR/USER (a repository or a bundle) instead of its remote')
    .option('--secrets <file>', 'the age-encrypted secrets archive of capture --secrets-out (password hashes, host keys …)')
    .option('--identity <keyfile>', 'the age identity that decrypts --secrets')
    .option('--key-file <file>', 'read the LUKS passphrase from this file (its exact bytes) instead of asking')
    .option('--no-nvram', 'write no EFI boot entry into this machine\'s firmware (rebuilding disks for another machine; they boot through \\EFI\\BOOT\\BOOTX64.EFI)')
    .option('--new-identities', 'a clone for a second machine: every filesystem, partition, table, md array, LUKS container and LVM PV/VG/LV gets a fresh UUID, and /etc\'s references (fstab, crypttab, mdadm.conf, resume …) are rewritten; the map is kept in --state DIR/identities.json')
    .option('--release <name>', 'rebuild onto a newer Debian release (e.g. trixie): the captured package set from it (renamed and gone packages reported), then /etc and homes three-way merged onto its defaults (sysmanifest merge) instead of checked out as they were')
    .option('--yes', 'do not ask for confirmation')
    .option('--resume', 'continue an interrupted rebuild after its last completed step')
    .option('--state <dir>', 'where the plan and the journal are kept', DEFAULT_STATE_DIR)
    .option('--json', 'progress as JSON lines')
    .option('--log-commands <file>', 'write every command the rebuild runs to FILE, one JSON line each: argv, start and duration in ms, exit code (never stdin)')
    .action(async (file: string, o: PlanFlags & { stage?: string; mirror: string[]; cache: string; strict?: boolean; dotfilesFrom?: string; secrets?: string; identity?: string; keyFile?: string; nvram?: boolean; newIdentities?: boolean; release?: string; yes?: boolean; resume?: boolean; state: string; logCommands?: string }) => {
      const stages = parseStages(o.stage);
      setInterruptHint(`the journal in ${o.state} says which steps finished: continue with sysmanifest rebuild ${file}${o.stage ? ` --stage ${o.stage}` : ''} --resume (with the same --map/--wipe/--grow/--mirror)`);
      // The internal commands the rebuild runs log what they run into the same file.
      if (o.logCommands) process.env[LOG_COMMANDS_ENV] = resolve(o.logCommands);
      const tty = process.stdout.isTTY === true && !o.json;
      const progress = tty ? (await import('../../ui/progress-ink.ts')).inkProgress() : plainProgress(out, o.json === true);
      try {
        const r = await rebuild(
          o.logCommands ? loggingMutatingRunner(hostMutatingRunner(), o.logCommands) : hostMutatingRunner(),
          file,
          { maps: o.map.map(parseMapOption), wipe: o.wipe, grow: o.grow, target: o.target, stateDir: o.state, resume: o.resume === true, newIdentities: o.newIdentities === true, stages, noNvram: o.nvram === false, mirrors: o.mirror, cacheDir: o.cache, strict: o.strict === true, ...(o.release ? { release: o.release } : {}), inputs: { ...(o.dotfilesFrom ? { dotfiles: resolve(o.dotfilesFrom) } : {}), ...(o.secrets ? { secrets: resolve(o.secrets) } : {}), ...(o.identity ? { identity: resolve(o.identity) } : {}) } },
          {
            confirm: async (plan) => {
              if (!o.json) out(renderPlan(plan));
              if (o.yes) return true;
              if (!process.stdin.isTTY) throw new UserError('USAGE', 'refusing to write to disks without confirmation, and there is no terminal to ask on', { hint: 'read the plan (sysmanifest plan …), then pass --yes' });
              return askYes(`Type "yes" to write this plan to ${Object.values(plan.disks).join(', ')}: `);
            },
            passphrase: async () => (o.keyFile ? readKeyFile(o.keyFile) : askPassphrase()),
            onEvent: (e) => progress.onEvent(e),
          },
        );
        progress.done();
        out(`\nran ${r.ran} step(s), skipped ${r.skipped}; ${r.differences.length === 0 ? (stages.includes('storage') ? 'verify: the disks match the manifest' : 'verify: the target matches the manifest') : `verify: ${r.differences.length} difference(s):`}\n`);
        for (const d of r.differences) out(`  ${formatDifference(d)}\n`);
        for (const n of r.plan.notices ?? []) out(`NOT RESTORED: ${n}\n`);
        for (const x of r.outstanding) out(`OUTSTANDING: ${x.title}: ${x.message}\n`);
        if (r.outstanding.length) out(`${r.outstanding.length} step(s) outstanding: once what they need is there (a backup disk mounted, a host reachable), run sysmanifest rebuild ${file} --stage ${[...new Set(r.outstanding.map((x) => r.plan.steps.find((s) => s.id === x.id)?.stage ?? 'storage'))].join(',')} --resume (with the same --state): it runs exactly those\n`);
        if (r.identities) out(`new identities: ${r.identities.count} renewed; the map is in ${r.identities.file} (keep it: sysmanifest verify ${file} --identity-map ${r.identities.file} checks this clone)\n`);
        if (r.differences.length) throw new UserError('REFUSED', 'what was rebuilt does not match the manifest (see the differences above)', { hint: `the tree is still mounted under ${r.plan.target}: look there, fix, and check again with sysmanifest verify ${file} --root ${r.plan.target}` });
      } catch (e) {
        progress.done();
        throw e;
      }
    });

  program
    .command('verify')
    .description('list every difference between the manifest and what was rebuilt (exit 0 only when there is none): the disks matched to the manifest, or with --root DIR the system mounted at DIR')
    .argument('<manifest>', 'manifest.yaml')
    .option('--map <src=dev>', 'target disk for a manifest disk (repeatable)', collect, [])
    .option('--grow <id|last>', 'the rebuild was run with --grow: expect these partitions enlarged to the end of their (larger) disk (repeatable)', collect, [])
    .option('--root <dir>', 'check the system mounted at DIR instead of the disks: packages, holds, sources, /etc (content and metadata), users and groups, dotfiles commits, boot loader and initramfs')
    .option('--only <parts>', `with --root: the parts to check, comma-separated (${VERIFY_PARTS.join(', ')}; default: all)`)
    .option('--identity-map <file>', 'the rebuild was a clone (--new-identities): its identities.json, so the new identities are expected')
    .action(async (file: string, o: { map: string[]; grow: string[]; root?: string; only?: string; identityMap?: string }) => {
      const identities = o.identityMap === undefined ? undefined : parseIdentityMap(await readInputText(o.identityMap, { what: 'identity map', code: 'USAGE', maxBytes: 1 << 20 }), o.identityMap);
      const clone = (m: Manifest): Manifest => (identities ? withIdentities(m, identities) : m);
      const runner = hostReadOnlyRunner();
      if (o.root !== undefined) {
        if (o.map.length || o.grow.length) throw new UserError('USAGE', 'verify: --root checks a mounted system; --map and --grow are for the disks (run verify twice for both)');
        const parts = o.only === undefined ? [...VERIFY_PARTS] : o.only.split(',').map((x) => x.trim()).filter(Boolean);
        for (const p of parts) if (!(VERIFY_PARTS as readonly string[]).includes(p)) throw new UserError('USAGE', `--only ${p}: not a part (parts: ${VERIFY_PARTS.join(', ')})`);
        const root = resolve(o.root);
        if (!existsSync(root)) throw new UserError('USAGE', `--root ${o.root}: no such directory`, { hint: 'mount the rebuilt system first (rebuild mounts it at --target)' });
        const text = await readInputText(file, { what: 'manifest', code: 'MANIFEST_NOT_FOUND', maxBytes: MAX_MANIFEST_BYTES });
        const manifest = clone(parseManifest(text, file));
        const diffs = await verifySystemTree(runner, manifest, root, { parts: parts as VerifyPart[], repo: resolve(dirname(resolve(file)), '../..'), ...(identities ? { identities } : {}) });
        for (const d of diffs) out(`${formatDifference(d)}\n`);
        if (diffs.length) throw new UserError('REFUSED', `${diffs.length} difference(s) between the manifest and the system at ${root}`);
        out(`the system at ${root} matches the manifest (${parts.join(', ')})\n`);
        return;
      }
      const maps = o.map.map(parseMapOption);
      const { manifest, facts } = await manifestAndTargets(runner, file, maps);
      const { paths, differences: diffs } = await matchAndVerifyDisks(runner, clone(manifest), facts, maps, o.grow);
      for (const d of diffs) out(`${formatDifference(d)}\n`);
      if (diffs.length) throw new UserError('REFUSED', `${diffs.length} difference(s) between the manifest and the disks`);
      out(`the disks match the manifest (${Object.entries(paths).map(([id, p]) => `${id}=${p}`).join(', ')})\n`);
    });
}
