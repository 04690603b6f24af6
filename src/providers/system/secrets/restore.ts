// What the plan's `secrets:restore` step runs (`sysmanifest secrets restore …`, see plan.ts):
//   1. age --decrypt -i IDENTITY ARCHIVE        → the tar, in this process's memory only
//   2. tar --list --file=-                       → which members it holds
//   3. chroot TARGET tar --extract --file=- -C / --preserve-permissions --same-owner -- MEMBERS
//      the files the manifest lists (repos.etc.restoreFromElsewhere) that the archive holds,
//      with their mode and mtime, owners by name through the TARGET's passwd/group (GNU tar's
//      default; the number when the name is unknown there). Inside the chroot, a symlink of
//      the target resolves inside the target, and tar unlinks an existing file before writing
//      it (never writes through a symlink).
//   4. tar --extract --to-stdout etc/shadow, etc/gshadow → merged by name (hashes.ts):
//      chroot TARGET chpasswd -e / chgpasswd -e (stdin, through the runner), chage for aging.
// The plaintext goes only through pipes (pipe.ts) and memory, and is zeroed when done: no
// tmpfs to mount, nothing to clean up after a failure or a reboot, and the step can simply be
// run again (it is idempotent). No hash reaches argv, the plan, the journal or a log.
import { readInRoot } from '../../../core/confine/index.ts';
import { UserError } from '../../../core/errors.ts';
import type { MutatingRunner } from '../../../core/runner/types.ts';
import { decrypt } from './age.ts';
import { mergeHashes } from './hashes.ts';
import { pipeRun } from '../../../core/runner/pipe.ts';

export interface RestoreOptions {
  readonly archive: string;
  readonly identity: string;
  readonly target: string;
  /** The secret files to restore (absolute paths of the captured system, from the manifest). */
  readonly paths: readonly string[];
  readonly runner: MutatingRunner;
}

export interface RestoreReport {
  readonly restored: readonly string[];
  /** Listed in the manifest, not in the archive (captured at another time?). */
  readonly notInArchive: readonly string[];
  readonly users: { readonly set: readonly string[]; readonly unknown: readonly string[]; readonly missing: readonly string[] };
  readonly groups: { readonly set: readonly string[]; readonly unknown: readonly string[]; readonly missing: readonly string[] };
}

const member = (path: string): string => path.replace(/^\/+/, '');

async function text(target: string, path: string): Promise<string> {
  const f = await readInRoot(target, path);
  if (f === undefined) throw new UserError('REFUSED', `${target}${path} does not exist: the target has no accounts yet`, { hint: 'run the base and users stages first (rebuild --stage base,packages,etc,users)' });
  return new TextDecoder().decode(f.bytes);
}

export async function restoreSecrets(o: RestoreOptions): Promise<RestoreReport> {
  const plain = await decrypt(o.archive, o.identity);
  try {
    const list = (await pipeRun(['tar', '--list', '--quoting-style=literal', '--file=-'], plain)).stdout.toString('utf8');
    const members = new Set(list.split('\n').filter((l) => l !== ''));
    const wanted = [...new Set(o.paths.map(member))].sort();
    const restore = wanted.filter((m) => members.has(m));
    if (restore.length > 0) {
      await pipeRun(['chroot', o.target, 'tar', '--extract', '--file=-', '--directory=/', '--preserve-permissions', '--same-owner', '--no-overwrite-dir', '--', ...restore], plain);
    }
    const hashes = async (kind: 'shadow' | 'gshadow', tool: 'chpasswd' | 'chgpasswd') => {
      if (!members.has(`etc/${kind}`)) return { set: [], unknown: [], missing: [] };
      const archived = (await pipeRun(['tar', '--extract', '--to-stdout', '--file=-', `etc/${kind}`], plain)).stdout;
      const m = mergeHashes(archived.toString('utf8'), await text(o.target, `/etc/${kind}`), kind);
      archived.fill(0);
      if (m.input !== '') await o.runner.mutate(['chroot', o.target, tool, '-e'], { input: m.input });
      for (const args of m.chage) await o.runner.mutate(['chroot', o.target, 'chage', ...args]);
      return { set: m.names, unknown: m.unknown, missing: m.missing };
    };
    const users = await hashes('shadow', 'chpasswd');
    const groups = await hashes('gshadow', 'chgpasswd');
    return { restored: restore.map((m) => `/${m}`), notInArchive: wanted.filter((m) => !members.has(m)).map((m) => `/${m}`), users, groups };
  } finally {
    plain.fill(0);
  }
}
