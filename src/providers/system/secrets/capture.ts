// capture --secrets-out FILE: what capture keeps out of the repositories — the files the /etc
// provider classes as secret (repos.etc.restoreFromElsewhere: host keys, WireGuard and VPN
// keys, keyfiles …) and the password hashes (/etc/shadow, /etc/gshadow) — in ONE tar, each
// member with its path, owner (number and name), mode and mtime, encrypted with age to the
// recipients. The plaintext exists only in this process's memory and in the pipe to age; the
// ciphertext is written atomically (temp file in FILE's directory, fsync, rename). The
// manifest records nothing of it.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../../../core/errors.ts';
import type { Manifest } from '../../../core/manifest/types.gen.ts';
import { writeFileAtomic } from '../../../core/repo/files.ts';
import { encrypt, parseRecipient, type Recipient } from './age.ts';
import { gatherSecrets, secretPaths } from './gather.ts';
import { writeTar } from './tar.ts';

/** Beside the manifest: REPO/hosts/NAME/secrets.recipients, age's -R format. */
export const RECIPIENTS_FILE = 'secrets.recipients';

export interface SecretsOut {
  /** --secrets-out FILE */
  readonly file: string;
  /** --secrets-recipient values, as given. */
  readonly recipients: readonly string[];
}

export interface SecretsWritten {
  readonly file: string;
  /** Member paths ("/etc/ssh/ssh_host_ed25519_key"), sorted. */
  readonly paths: readonly string[];
  readonly skipped: ReadonlyArray<{ readonly path: string; readonly why: string }>;
  readonly recipients: number;
}

/** The recipients: --secrets-recipient, and the host folder's recipients file when there is one. */
export function resolveRecipients(values: readonly string[], hostDir: string): Recipient[] {
  const out = values.map(parseRecipient);
  const file = join(hostDir, RECIPIENTS_FILE);
  if (existsSync(file)) out.push({ flag: '-R', file });
  if (out.length === 0) {
    throw new UserError('USAGE', '--secrets-out needs at least one recipient to encrypt to', {
      hint: `pass --secrets-recipient age1… (the public key age-keygen prints; an ssh public key works too), or put the keys in ${file}`,
    });
  }
  return out;
}

/** Checks what can be checked before anything is gathered (the CLI calls it first). */
export function checkSecretsOut(out: SecretsOut): void {
  if (out.file === '' || out.file.endsWith('/')) throw new UserError('USAGE', `--secrets-out ${JSON.stringify(out.file)}: expected a file name`);
  for (const r of out.recipients) parseRecipient(r);
}

export async function writeSecretsArchive(options: { root: string; manifest: Manifest; hostDir: string; out: SecretsOut }): Promise<SecretsWritten> {
  const recipients = resolveRecipients(options.out.recipients, options.hostDir);
  const { entries, skipped } = await gatherSecrets(options.root, secretPaths(options.manifest));
  const plaintext = writeTar(entries);
  let ciphertext: Buffer;
  try {
    ciphertext = await encrypt(plaintext, recipients);
  } finally {
    plaintext.fill(0); // not left for the heap to hand out again
  }
  const file = resolve(options.out.file);
  await writeFileAtomic(file, ciphertext, 0o600);
  return { file, paths: entries.map((e) => `/${e.name}`), skipped, recipients: recipients.length };
}
