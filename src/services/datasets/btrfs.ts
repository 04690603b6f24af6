// btrfs snapshots of a dataset (issue 14), as btrbk does them:
//   - `path` is a subvolume; a run takes a read-only snapshot of it in the snapshot directory
//     (snapshotDir, default .sysmanifest-snapshots/NAME beside `path`, on the same filesystem),
//     named by its UTC time like the rsync snapshots;
//   - each reachable target (TARGET/NAME on a btrfs filesystem) gets it with
//     `btrfs send -p PARENT SNAP | btrfs receive TARGET/NAME`, PARENT being the newest local
//     snapshot the target holds — found by UUID: a received subvolume's Received UUID is the
//     UUID of what was sent (or, when that was itself received, its Received UUID: the kernel
//     sends that one), so it survives a restore that received the snapshot back;
//   - a receive that did not finish leaves a writable subvolume with no Received UUID: it is
//     detected and deleted before anything else (a read-only received subvolume cannot be moved,
//     so receiving into a temporary directory is no way out); it is never a parent;
//   - the ledger (SNAPDIR/.sysmanifest-ledger.json) records, per target, the last snapshot it is
//     known to hold and the one that is outstanding (a failed or killed transfer, or a target that
//     was not reachable); the next run sends exactly that first. Local retention never deletes a
//     snapshot the ledger names: the last common parent of every target, reachable or not, and
//     every outstanding snapshot.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../core/repo/files.ts';
import { ANY_EXIT_CODE, type MutatingRunner, type ReadOnlyRunner } from '../../core/runner/types.ts';
import { snapshotName, snapshotTime } from './rsync.ts';

/** What `btrfs subvolume show` says of a subvolume (the fields this module needs). */
export interface SubvolumeInfo {
  readonly uuid: string;
  /** undefined when `-` (not received, or a receive that did not finish). */
  readonly receivedUuid?: string;
  readonly parentUuid?: string;
  readonly readonly: boolean;
}

/** Parses `btrfs subvolume show PATH` (btrfs-progs 6.x: "\tKey: \t\tvalue" lines after the path). */
export function parseSubvolumeShow(text: string, where: string): SubvolumeInfo {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s+([A-Za-z][A-Za-z ()]*?):\s*(.*?)\s*$/.exec(line);
    if (m && !fields.has(m[1]!)) fields.set(m[1]!, m[2]!);
  }
  const uuid = fields.get('UUID');
  if (!uuid || !/^[0-9a-f-]{36}$/.test(uuid)) throw new UserError('COMMAND_FAILED', `btrfs subvolume show ${where}: no UUID in its output`);
  const opt = (k: string): string | undefined => {
    const v = fields.get(k);
    return v && v !== '-' ? v : undefined;
  };
  const receivedUuid = opt('Received UUID');
  const parentUuid = opt('Parent UUID');
  return { uuid, ...(receivedUuid ? { receivedUuid } : {}), ...(parentUuid ? { parentUuid } : {}), readonly: /\breadonly\b/.test(fields.get('Flags') ?? '') };
}

/** The subvolume at PATH, or undefined when PATH is not one (or not on btrfs). */
export async function subvolume(runner: ReadOnlyRunner, path: string): Promise<SubvolumeInfo | undefined> {
  const r = await runner.run(['btrfs', 'subvolume', 'show', path], { okExitCodes: ANY_EXIT_CODE });
  return r.exitCode === 0 ? parseSubvolumeShow(r.stdout, path) : undefined;
}

export interface BtrfsSnapshot extends SubvolumeInfo {
  readonly name: string;
  readonly time: Date;
}

export interface SnapshotListing {
  /** Complete snapshots, oldest first: read-only; on a target also received (a Received UUID). */
  readonly complete: BtrfsSnapshot[];
  /** Timestamp-named subvolumes a receive left unfinished (writable, no Received UUID). */
  readonly garbled: string[];
}

/** The timestamp-named subvolumes of DIR; `received`: DIR is a target (complete = received and read-only). */
export async function listSnapshots(runner: ReadOnlyRunner, dir: string, received: boolean): Promise<SnapshotListing> {
  const complete: BtrfsSnapshot[] = [];
  const garbled: string[] = [];
  for (const name of existsSync(dir) ? await readdir(dir) : []) {
    const time = snapshotTime(name);
    if (!time) continue;
    const info = await subvolume(runner, join(dir, name));
    if (!info) continue; // not a subvolume: not ours
    if (!info.receivedUuid && !info.readonly) {
      if (received) garbled.push(name);
      continue;
    }
    if (!info.readonly || (received && !info.receivedUuid)) continue; // made by hand: left alone
    complete.push({ name, time, ...info });
  }
  return { complete: complete.sort((a, b) => a.time.getTime() - b.time.getTime()), garbled };
}

/** The identity a snapshot is known by on the other side of a send (what the kernel sends). */
const sentAs = (s: SubvolumeInfo): string => s.receivedUuid ?? s.uuid;

/** The newest local snapshot that TARGET holds (its received copy), or undefined: then a send is full. */
export function commonParent(local: readonly BtrfsSnapshot[], target: readonly BtrfsSnapshot[], before?: Date): BtrfsSnapshot | undefined {
  const held = new Set(target.map((t) => t.receivedUuid));
  return [...local].reverse().find((l) => held.has(sentAs(l)) && (before === undefined || l.time.getTime() < before.getTime()));
}

// ---- the ledger ----

export interface LedgerEntry {
  /** The newest snapshot this target is known to hold (what a local retention must keep). */
  readonly last?: string;
  /** A snapshot this target still needs: sent first by the next run that reaches it. */
  readonly outstanding?: { readonly snapshot: string; readonly since: string; readonly why: string };
}

export interface Ledger {
  readonly format: 1;
  readonly targets: Readonly<Record<string, LedgerEntry>>;
}

export const LEDGER = '.sysmanifest-ledger.json';

export async function readLedger(snapDir: string): Promise<Ledger> {
  const file = join(snapDir, LEDGER);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return { format: 1, targets: {} };
  try {
    const v = JSON.parse(text) as Ledger;
    if (v.format !== 1 || typeof v.targets !== 'object' || v.targets === null) throw new Error('not format 1');
    return v;
  } catch (e) {
    throw new UserError('REFUSED', `${file}: not a ledger this version reads (${(e as Error).message})`, { hint: 'move it away: the next run sends in full to every target and starts a new one' });
  }
}

export async function writeLedger(snapDir: string, ledger: Ledger): Promise<void> {
  await writeFileAtomic(join(snapDir, LEDGER), `${JSON.stringify(ledger, null, 2)}\n`);
}

/** The snapshots a local retention must keep, each with the targets that need it. */
export function ledgerParents(ledger: Ledger): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (snap: string | undefined, why: string): void => {
    if (snap) out.set(snap, [...(out.get(snap) ?? []), why]);
  };
  for (const [target, e] of Object.entries(ledger.targets)) {
    add(e.last, `${target} (the parent of its next send)`);
    add(e.outstanding?.snapshot, `${target} (outstanding: not sent yet)`);
  }
  return out;
}

// ---- snapshot, send, delete ----

/** Where the local snapshots of a dataset at PATH are taken. */
export function snapshotDirOf(path: string, name: string, snapshotDir?: string): string {
  return snapshotDir ?? join(dirname(path.replace(/\/+$/, '')), '.sysmanifest-snapshots', name);
}

/** A read-only snapshot of SOURCE (a subvolume) as SNAPDIR/<UTC time>. */
export async function takeSnapshot(runner: MutatingRunner, source: string, snapDir: string, now: Date): Promise<string> {
  if (!(await subvolume(runner, source))) throw new UserError('REFUSED', `${source}: not a btrfs subvolume, so kind btrfs cannot snapshot it`, { hint: 'make it one (btrfs subvolume create, then move the files in), or use kind rsync' });
  await mkdir(snapDir, { recursive: true });
  const name = snapshotName(now);
  if (existsSync(join(snapDir, name))) throw new UserError('REFUSED', `${join(snapDir, name)} already exists: one snapshot per second at most`, { hint: 'run it again in a second' });
  const r = await runner.mutate(['btrfs', 'subvolume', 'snapshot', '-r', source, join(snapDir, name)], { okExitCodes: ANY_EXIT_CODE });
  if (r.exitCode !== 0) {
    const cross = /cross-device|Invalid cross-device link|not the same/i.test(r.stderr);
    throw new UserError('COMMAND_FAILED', `btrfs subvolume snapshot -r ${source} ${join(snapDir, name)} failed: ${r.stderr.trim().split('\n').pop()}`, {
      hint: cross ? `${snapDir} is not on ${source}'s btrfs filesystem: set the dataset's snapshotDir to a directory on it` : 'see btrfs\' message',
    });
  }
  return name;
}

export interface SendResult {
  readonly bytes: number;
  readonly parent?: string;
}

/**
 * `btrfs send [-p PARENT] SNAPDIR/SNAP | btrfs receive DIR`, counting the stream's bytes (dd in the
 * pipe: its progress lines go to onLine). A failure leaves what receive made: the caller's next
 * listing finds it garbled and deletes it.
 */
export async function sendReceive(runner: MutatingRunner, o: { snapDir: string; snapshot: string; parent?: string; to: string; onLine?: (l: string) => void }): Promise<SendResult> {
  await mkdir(o.to, { recursive: true });
  const script = 'set -o pipefail; if [ -n "$1" ]; then btrfs send -q -p "$1" "$2"; else btrfs send -q "$2"; fi | dd bs=1M status=progress | btrfs receive -q "$3"';
  const argv = ['bash', '-c', script, 'sysmanifest-btrfs-send', o.parent ? join(o.snapDir, o.parent) : '', join(o.snapDir, o.snapshot), o.to];
  const r = await runner.mutate(argv, { okExitCodes: ANY_EXIT_CODE, processGroup: true, onLine: (l) => o.onLine?.(l.trimEnd()) });
  if (r.exitCode !== 0) throw new UserError('COMMAND_FAILED', `btrfs send${o.parent ? ` -p ${o.parent}` : ''} ${o.snapshot} | btrfs receive ${o.to} failed (exit ${r.exitCode}):\n${r.stderr.trim().split('\n').filter((l) => !/bytes .* copied/.test(l)).slice(-4).join('\n')}`);
  const copied = [...r.stderr.matchAll(/^(\d+) bytes .*copied/gm)].pop();
  return { bytes: copied ? Number(copied[1]) : 0, ...(o.parent ? { parent: o.parent } : {}) };
}

export async function deleteSubvolume(runner: MutatingRunner, path: string): Promise<void> {
  const r = await runner.mutate(['btrfs', 'subvolume', 'delete', path], { okExitCodes: ANY_EXIT_CODE });
  if (r.exitCode !== 0) throw new UserError('COMMAND_FAILED', `btrfs subvolume delete ${path} failed: ${r.stderr.trim().split('\n').pop()}`);
}

/**
 * A dataset back from TARGETDIR's snapshot SNAP: received into SNAPDIR (so that it is a local
 * snapshot whose Received UUID the target knows: the next send is incremental against it), then
 * a writable snapshot of it at TO (absent or an empty directory).
 */
export async function restoreBtrfs(runner: MutatingRunner, o: { targetDir: string; snapshot: string; snapDir: string; to: string; onLine?: (l: string) => void }): Promise<{ bytes: number; local: string }> {
  await mkdir(o.snapDir, { recursive: true });
  const local = join(o.snapDir, o.snapshot);
  let bytes = 0;
  const have = await subvolume(runner, local);
  if (!have || !have.readonly) {
    if (have) await deleteSubvolume(runner, local); // a restore that did not finish
    bytes = (await sendReceive(runner, { snapDir: o.targetDir, snapshot: o.snapshot, to: o.snapDir, ...(o.onLine ? { onLine: o.onLine } : {}) })).bytes;
  }
  if (existsSync(o.to)) await rmdir(o.to); // empty (the caller checked)
  await mkdir(dirname(o.to), { recursive: true });
  const r = await runner.mutate(['btrfs', 'subvolume', 'snapshot', local, o.to], { okExitCodes: ANY_EXIT_CODE });
  if (r.exitCode !== 0) throw new UserError('COMMAND_FAILED', `btrfs subvolume snapshot ${local} ${o.to} failed: ${r.stderr.trim().split('\n').pop()}`, { hint: `${basename(o.to)} must be on the same btrfs filesystem as ${o.snapDir}` });
  return { bytes, local };
}
