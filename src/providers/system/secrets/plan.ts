// The secrets part of the `users` stage (after the accounts exist: owners are names, hashes
// are merged into the accounts by name). Pure: manifest + context → steps.
//
// With --secrets FILE --identity KEYFILE: ONE step, `sysmanifest secrets restore …` (restore.ts).
// Why one step of our own CLI and not mount-tmpfs / age -o / tar / chpasswd / umount steps: a
// step has one argv and its stdin is text fixed in the plan, so `chpasswd -e` could only be fed
// the hashes through a shell redirection or by putting them into the plan; and a decrypted file
// in a tmpfs outlives a failed step (the applier stops) and vanishes on a reboot while the
// journal says "decrypted". The helper keeps the plaintext in pipes and memory, runs the real
// tools (age, tar, chpasswd, chgpasswd, chage) with argv arrays, and is idempotent, so a resume
// simply runs it again. Its argv names the files it restores (never their content).
//
// Without --secrets: planSecretsMissing lists every secret the rebuild cannot restore, and
// plans `usermod --lock` in the chroot for the accounts whose hash is therefore missing
// (useradd leaves "!" already; the lock is idempotent and says so in the plan).
import { checkManifestPath, joinInside } from '../../../core/confine/index.ts';
import { UserError } from '../../../core/errors.ts';
import type { Manifest } from '../../../core/manifest/types.gen.ts';
import type { Step } from '../../../core/plan/types.ts';
import type { SystemPlanContext } from '../../types.ts';

export interface SecretsPlanOptions {
  /** argv prefix that runs this CLI on the live system, e.g. [process.execPath, '/…/bin/sysmanifest.js']. */
  readonly self: readonly string[];
  /** Step ids the secrets wait for (the users stage's account steps). */
  readonly after?: readonly string[];
}

/** The hash files and their backups: merged by name, never restored as files. */
const NOT_AS_FILES = new Set(['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-']);

/** The secret files (not the hash files) the manifest says existed, checked as manifest paths. */
export function secretFiles(manifest: Manifest): Array<{ path: string; why: string }> {
  return (manifest.repos?.etc?.restoreFromElsewhere ?? []).map((r, i) => ({ path: checkManifestPath(r.path, `repos.etc.restoreFromElsewhere[${i}].path`), why: r.why })).filter((r) => !NOT_AS_FILES.has(r.path));
}

function hostFile(value: string | undefined, option: string): string {
  if (value === undefined) throw new UserError('USAGE', `--secrets needs --identity KEYFILE (the age identity whose public key the archive was encrypted to)`);
  if (!value.startsWith('/')) throw new UserError('USAGE', `${option} ${JSON.stringify(value)}: give an absolute path (the plan is run as shown, from any directory)`);
  return checkManifestPath(value, option);
}

export function planSecretsRestore(ctx: SystemPlanContext, options: SecretsPlanOptions): Step[] {
  const archive = hostFile(ctx.inputs.secrets, '--secrets');
  const identity = hostFile(ctx.inputs.identity, '--identity');
  const files = secretFiles(ctx.manifest);
  for (const f of files) joinInside(ctx.target, f.path, 'repos.etc.restoreFromElsewhere'); // inside the target, or refused here
  return [
    {
      id: 'secrets:restore',
      title: `restore ${files.length} secret file(s) and the password hashes from ${archive}`,
      argv: [...options.self, 'secrets', 'restore', '--archive', archive, '--identity', identity, '--target', ctx.target, ...files.flatMap((f) => ['--path', f.path])],
      risk: 'create',
      after: [...(options.after ?? [])],
      stage: 'users',
    },
  ];
}

export interface SecretsMissingReport {
  /** Every secret the rebuild could not restore (path and what it holds). */
  readonly notRestored: ReadonlyArray<{ readonly path: string; readonly why: string }>;
  /** Accounts locked because their hash is missing. */
  readonly locked: readonly string[];
  readonly notice: string;
  readonly steps: Step[];
}

/** Without --secrets: the report, and the locks for `accounts` (the users stage's accounts with a password). */
export function planSecretsMissing(ctx: SystemPlanContext, options: { accounts: readonly string[]; after?: readonly string[] }): SecretsMissingReport {
  const notRestored = [
    ...secretFiles(ctx.manifest),
    ...(ctx.manifest.repos?.etc?.restoreFromElsewhere ?? []).filter((r) => r.path === '/etc/shadow' || r.path === '/etc/gshadow'),
  ].sort((a, b) => (a.path < b.path ? -1 : 1));
  const locked = [...new Set(options.accounts)].sort();
  for (const name of locked) {
    // usermod(8) takes the name as its last argument: one that looks like an option is refused.
    if (!/^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/.test(name)) throw new UserError('MANIFEST_RULE', `account ${JSON.stringify(name)}: not a user name usermod can be given`);
  }
  const steps: Step[] = locked.map((name) => ({
    id: `secrets:lock:${name}`,
    title: `lock ${name}: its password hash is in the secrets archive, which was not given (--secrets)`,
    argv: ['chroot', ctx.target, 'usermod', '--lock', name],
    risk: 'create',
    after: [...(options.after ?? [])],
    stage: 'users',
  }));
  const notice = [
    `no secrets archive (--secrets FILE --identity KEYFILE): ${notRestored.length} secret(s) not restored${notRestored.length ? ':' : ''}`,
    ...notRestored.map((r) => `  ${r.path} (${r.why})`),
    ...(locked.length ? [`accounts locked until a password is set (passwd NAME in the rebuilt system): ${locked.join(', ')}`] : []),
    'restore them later with: sysmanifest rebuild MANIFEST --stage users --secrets FILE --identity KEYFILE',
  ].join('\n');
  return { notRestored, locked, notice, steps };
}
