// Recreate LUKS containers with `cryptsetup luksFormat` (cryptsetup(8), cryptsetup-luksFormat(8))
// giving every captured header parameter explicitly, then open them under their captured
// mapping name. The passphrase goes on stdin (`--key-file -`: cryptsetup reads stdin to EOF
// and uses those exact bytes), never in argv, the plan or the journal.
//
// What a rebuild cannot recreate, by design: the other keyslots and the LUKS2 tokens
// (systemd-cryptenroll TPM2/FIDO2/recovery keys, …). Their secrets are not in the manifest
// and must not be. The new header gets ONE keyslot, for the passphrase given to rebuild;
// the plan says so in the step title, and the user re-enrolls the rest afterwards
// (cryptsetup luksAddKey, systemd-cryptenroll). verify leaves keyslot count and tokens out
// of the comparison for the same reason (services/rebuild/verify.ts).
import { deviceNameInside } from '../../../core/confine/index.ts';
import { UserError } from '../../../core/errors.ts';
import type { LuksVolume } from '../../../core/manifest/types.gen.ts';
import { stepIds, type PlanContext } from '../../../core/plan/context.ts';
import type { Step } from '../../../core/plan/types.ts';

const PASSPHRASE = { kind: 'secret', secret: 'luks-passphrase' } as const;

/**
 * LUKS2 persistent flags (config.flags) → the `cryptsetup open` option that sets each one;
 * with --persistent, open stores them in the header (cryptsetup-open(8)).
 */
const FLAG_OPTIONS: Readonly<Record<string, string>> = {
  'allow-discards': '--allow-discards',
  'same-cpu-crypt': '--perf-same_cpu_crypt',
  'submit-from-crypt-cpus': '--perf-submit_from_crypt_cpus',
  'no-read-workqueue': '--perf-no_read_workqueue',
  'no-write-workqueue': '--perf-no_write_workqueue',
  'no-journal': '--integrity-no-journal',
};

function refuse(where: string, what: string): UserError {
  return new UserError('REFUSED', `${where}: ${what}`, { hint: 'edit the manifest if an approximation is acceptable' });
}

function need<T>(where: string, what: string, v: T | undefined): T {
  if (v === undefined) throw refuse(where, `cannot recreate the header: its ${what} was not captured`);
  return v;
}

export function luksFormatArgv(where: string, v: LuksVolume, device: string): string[] {
  const version = need(where, 'version', v.version);
  const argv = ['cryptsetup', 'luksFormat', '--batch-mode', '--type', `luks${version}`, '--uuid', need(where, 'uuid', v.uuid)];
  if (version === 2) {
    if (v.label !== undefined) argv.push('--label', v.label);
    if (v.subsystem !== undefined) argv.push('--subsystem', v.subsystem);
  }
  argv.push('--cipher', need(where, 'cipher', v.cipher), '--key-size', String(need(where, 'key size', v.keySize)), '--hash', need(where, 'hash', v.hash));
  const kdf = need(where, 'pbkdf', v.pbkdf);
  if (kdf.type === 'pbkdf2') {
    // LUKS2 takes one --hash for both the digest and the keyslot's PBKDF2: they cannot differ.
    if (kdf.hash !== undefined && kdf.hash !== v.hash) throw refuse(where, `keyslot PBKDF2 hash ${kdf.hash} differs from the header hash ${v.hash}; luksFormat sets both with one --hash`);
    argv.push('--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', String(need(where, 'pbkdf2 iterations', kdf.iterations)));
  } else {
    if (version === 1) throw refuse(where, `LUKS1 has no ${kdf.type}`);
    argv.push('--pbkdf', kdf.type, '--pbkdf-force-iterations', String(need(where, `${kdf.type} time cost`, kdf.time)));
    argv.push('--pbkdf-memory', String(need(where, `${kdf.type} memory cost`, kdf.memory)), '--pbkdf-parallel', String(need(where, `${kdf.type} threads`, kdf.parallel)));
  }
  if (version === 2) {
    argv.push('--sector-size', String(need(where, 'sector size', v.sectorSize)));
    if (v.metadataSize !== undefined) argv.push('--luks2-metadata-size', String(v.metadataSize));
    if (v.keyslotsSize !== undefined) argv.push('--luks2-keyslots-size', String(v.keyslotsSize));
    if (v.integrity !== undefined) argv.push('--integrity', v.integrity);
    if (v.dataSize !== undefined) argv.push('--device-size', String(v.dataSize));
  } else if (v.sectorSize !== undefined && v.sectorSize !== 512) {
    throw refuse(where, `LUKS1 with ${v.sectorSize}-byte sectors`);
  }
  // --offset is in 512-byte sectors; the default depends on the alignment of the target.
  if (v.dataOffset !== undefined) {
    if (v.dataOffset % 512 !== 0) throw refuse(where, `data offset ${v.dataOffset} is not a multiple of 512`);
    argv.push('--offset', String(v.dataOffset / 512));
  }
  argv.push('--key-file', '-', device);
  return argv;
}

/** Open options that store the captured persistent flags in the header. */
export function persistentFlagOptions(where: string, v: LuksVolume): string[] {
  const flags = v.flags ?? [];
  if (flags.length === 0) return [];
  const opts = flags.map((f) => FLAG_OPTIONS[f] ?? ((): never => { throw refuse(where, `persistent flag ${f} has no known cryptsetup open option`); })());
  return ['--persistent', ...opts];
}

/** What the new header will not have that the captured one had (keyslots, tokens). */
export function notRecreated(v: LuksVolume): string[] {
  const out: string[] = [];
  const extra = (v.keyslots ?? 1) - 1;
  if (extra > 0) out.push(`${extra} more keyslot${extra > 1 ? 's' : ''}`);
  for (const t of v.tokens ?? []) out.push(`token ${t}`);
  return out;
}

export const formatStepId = (id: string): string => `luks:${id}`;

export function plan(ctx: PlanContext): Step[] {
  const steps: Step[] = [];
  (ctx.manifest.storage?.luks ?? []).forEach((v, i) => {
    const where = `storage.luks[${i}] (${v.id})`;
    if (v.unsupported !== undefined) {
      throw new UserError('REFUSED', `${where} cannot be recreated: it was captured as unsupported: ${v.unsupported.reason}`, {
        hint: 'recreate it by hand after the rebuild, or remove the entry from the manifest if it is not needed',
      });
    }
    const device = ctx.devicePath(v.on);
    const ready = ctx.readyStep(v.on);
    const missing = notRecreated(v);
    const probe: Record<string, string> = { TYPE: 'crypto_LUKS', ...(v.uuid !== undefined ? { UUID: v.uuid } : {}) };
    steps.push({
      id: formatStepId(v.id),
      title: `LUKS${v.version} on ${device} (${v.on})${v.label ? ` "${v.label}"` : ''}, one keyslot for the rebuild passphrase${missing.length ? `; not recreated (re-enroll afterwards): ${missing.join(', ')}` : ''}`,
      argv: luksFormatArgv(where, v, device),
      input: PASSPHRASE,
      risk: 'create',
      after: ready === undefined ? [] : [ready],
      // A finished luksFormat leaves a header with the intended UUID: not formatted twice.
      check: { device, probe },
    });
    const flags = persistentFlagOptions(where, v);
    if (v.mapping !== undefined) {
      deviceNameInside('/dev/mapper', v.mapping, 'dm', `${where}.mapping`);
      const mapped = ctx.devicePath(v.id);
      steps.push({
        id: stepIds.device(v.id),
        title: `open ${device} as ${v.mapping}${flags.length ? ` (persistent: ${(v.flags ?? []).join(', ')})` : ''}`,
        argv: ['cryptsetup', 'open', '--key-file', '-', ...flags, device, v.mapping],
        input: PASSPHRASE,
        risk: 'create',
        after: [formatStepId(v.id)],
        creates: v.id,
        // The mapping exists: opening again would fail with "already exists". After a reboot
        // of the live system it is gone: a runtime step, opened again on --resume.
        check: { device: mapped, probe: {} },
        runtime: true,
        waitFor: [mapped],
      });
      return;
    }
    // Closed at capture time: it stays closed (a mapping would show up in verify). The
    // persistent flags still need an open: under a temporary name, closed again at once.
    const temp = `sysmanifest-${v.id}`;
    const tempPath = deviceNameInside('/dev/mapper', temp, 'dm', `${where}.id`);
    if (flags.length) {
      steps.push({
        id: `luks-flags:${v.id}`,
        title: `store the persistent flags ${(v.flags ?? []).join(', ')} of ${device} (opened as ${temp})`,
        argv: ['cryptsetup', 'open', '--key-file', '-', ...flags, device, temp],
        input: PASSPHRASE,
        risk: 'create',
        after: [formatStepId(v.id)],
        check: { device: tempPath, probe: {} },
      });
    }
    steps.push({
      id: stepIds.device(v.id),
      title: flags.length ? `close ${temp}: ${device} stays closed, as captured` : `${device} stays closed, as captured`,
      argv: flags.length ? ['cryptsetup', 'close', temp] : ['cryptsetup', 'isLuks', device],
      risk: flags.length ? 'create' : 'read',
      after: [flags.length ? `luks-flags:${v.id}` : formatStepId(v.id)],
      creates: v.id,
    });
  });
  return steps;
}
