// age(1) (Debian package age, 1.1): recipients and the encryption of the archive.
//   age --encrypt -r RECIPIENT… -R FILE…   reads the plaintext on stdin, writes the binary
//                                          age file ("age-encryption.org/v1" header) on stdout
//   age --decrypt -i IDENTITY FILE         the reverse; exits 1 "no identity matched any of the recipients"
// -r takes an age public key (age1…) or an SSH public key (ssh-ed25519, ssh-rsa); -R a
// recipients file, one such key a line, "#" comments (age(1) "RECIPIENTS FILE"). Public keys
// are not secret: they may be on the command line.
import { existsSync, statSync } from 'node:fs';
import { hasControl } from '../../../core/confine/index.ts';
import { UserError } from '../../../core/errors.ts';
import { pipeRun } from '../../../core/runner/pipe.ts';

/** A recipient the way age takes it on the command line. */
export type Recipient = { readonly flag: '-r'; readonly key: string } | { readonly flag: '-R'; readonly file: string };

const KEY = /^(age1[02-9ac-hj-np-z]{58}|(ssh-ed25519|ssh-rsa) [A-Za-z0-9+/=]+( .*)?)$/;

/** --secrets-recipient VALUE: a public key (-r), else an existing recipients file (-R). */
export function parseRecipient(value: string): Recipient {
  if (hasControl(value)) throw new UserError('USAGE', `--secrets-recipient ${JSON.stringify(value)}: contains control characters`);
  if (KEY.test(value.trim())) return { flag: '-r', key: value.trim() };
  if (existsSync(value) && statSync(value).isFile()) return { flag: '-R', file: value };
  throw new UserError('USAGE', `--secrets-recipient ${JSON.stringify(value)}: not an age public key (age1…), an SSH public key (ssh-ed25519 …, ssh-rsa …) or a recipients file`, {
    hint: 'give the public key printed by age-keygen (or age-keygen -y KEYFILE), an ssh public key, or the path of a file of them',
  });
}

export function recipientArgs(recipients: readonly Recipient[]): string[] {
  return recipients.flatMap((r) => (r.flag === '-r' ? ['-r', r.key] : ['-R', r.file]));
}

function ageHint(stderr: string): string | undefined {
  if (/no identity matched/i.test(stderr)) return 'this identity is not one the archive was encrypted to: give the key file whose public key was a --secrets-recipient at capture';
  if (/unknown recipient|malformed|invalid/i.test(stderr)) return 'check the recipients: age public keys start with age1, ssh keys with ssh-ed25519 or ssh-rsa';
  if (/failed to read header|header/i.test(stderr)) return 'the file is not an age archive written by capture --secrets-out';
  return undefined;
}

/** Plaintext (in memory) → age ciphertext (in memory). */
export async function encrypt(plaintext: Uint8Array, recipients: readonly Recipient[]): Promise<Buffer> {
  if (recipients.length === 0) throw new Error('encrypt: no recipient');
  return (await pipeRun(['age', '--encrypt', ...recipientArgs(recipients)], plaintext, ageHint)).stdout;
}

/** The archive decrypted into memory (never a file). */
export async function decrypt(archive: string, identity: string): Promise<Buffer> {
  return (await pipeRun(['age', '--decrypt', '-i', identity, archive], undefined, ageHint)).stdout;
}
