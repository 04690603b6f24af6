// Commands through one small helper process. Every spawn from Node forks the whole Node
// process (~80 MB mapped) and blocks the main thread until the child has exec'd: ~3 ms a call
// here, ~100 ms under the TCG test guest, where it made capture's 88 concurrent probes slower
// than the same calls one after another in sh, and execa's bookkeeping around each of a
// rebuild's steps cost as much again. A perl helper (perl-base is Essential in Debian) forks
// from a 5 MB process instead: Node writes it one request line per command and reads back one
// line when the command has ended.
//
// It runs exactly the given argv (Perl's `exec {PROGRAM} LIST`: execvp, no shell), stdin from
// /dev/null or from a pipe the helper fills with the given input (at most MAX_INPUT bytes, so
// the write never waits for the reader: passphrases and sfdisk scripts, never a file's worth),
// stdout and stderr into files of a private 0700 directory that Node reads and removes.
//
// When the helper cannot take a request, the error says whether the command was handed over:
// `sent: false` (no perl, a helper that never got ready or had already died, fork failed): the
// command never ran,
// the caller may run it another way. `sent: true` (the helper died while the command ran):
// whether it ran, and how far, is unknown. Read-only commands are simply run again; a
// disk-changing one must not be.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

// Protocol. Once compiled and set up, the helper says "ready\n".
//           Request:  "<id> <stdin> <hex(argv0)> <hex(argv1)> ...\n", <stdin> is "-" for
//                     /dev/null or "=" followed by hex(input)
//           Reply:    "<id> <wait status>\n"  (perl's $?: exit code << 8 | signal)
//           or        "<id> F<errno>\n"        when fork itself failed.
// A child that cannot exec writes its errno into <id>.exec and exits 127.
const HELPER = String.raw`
use strict; use warnings; use POSIX (); use IO::Select;
my $dir = shift @ARGV;
$SIG{PIPE} = 'IGNORE';
STDOUT->autoflush(1);
pipe(my $wake_r, my $wake_w) or die "pipe: $!";
$wake_w->autoflush(1);
$SIG{CHLD} = sub { syswrite($wake_w, 'x') };
my %running; my $buf = ''; my $eof = 0;
print "ready\n";
my $sel = IO::Select->new(\*STDIN, $wake_r);
while (!$eof || %running) {
  for my $fh ($sel->can_read()) {
    if ($fh == $wake_r) { sysread($wake_r, my $junk, 4096); next; }
    my $n = sysread(STDIN, $buf, 65536, length $buf);
    if (!$n) { $eof = 1; $sel->remove(\*STDIN); next; }
    while ($buf =~ s/^([^\n]*)\n//) {
      my ($id, $in, @hex) = split / /, $1, -1;
      my @argv = map { pack('H*', $_) } @hex;
      my ($in_r, $in_w);
      if ($in ne '-') { pipe($in_r, $in_w) or do { print "$id F", ($! + 0), "\n"; next; }; }
      my $pid = fork();
      if (!defined $pid) { print "$id F", ($! + 0), "\n"; if ($in_r) { close $in_r; close $in_w; } next; }
      if ($pid == 0) {
        $SIG{CHLD} = 'DEFAULT'; $SIG{PIPE} = 'DEFAULT';
        if ($in_r) { close $in_w; open(STDIN, '<&', $in_r); close $in_r; } else { open(STDIN, '<', '/dev/null'); }
        open(STDOUT, '>', "$dir/$id.out"); open(STDERR, '>', "$dir/$id.err");
        { no warnings 'exec'; exec { $argv[0] } @argv; }
        my $errno = $! + 0;
        if (open(my $f, '>', "$dir/$id.exec")) { print $f $errno; close $f; }
        POSIX::_exit(127);
      }
      $running{$pid} = $id;
      if ($in_r) {
        close $in_r;
        my $data = pack('H*', substr($in, 1));
        for (my $off = 0; $off < length $data; ) { my $n = syswrite($in_w, $data, length($data) - $off, $off); last if !defined $n; $off += $n; }
        close $in_w;
      }
    }
  }
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $id = delete $running{$pid};
    print "$id $?\n" if defined $id;
  }
}
# EOF: Node has gone (normally it removes the directory itself; not when it was killed).
if (opendir(my $dh, $dir)) { unlink map { "$dir/$_" } grep { !/^\.\.?$/ } readdir $dh; closedir $dh; rmdir $dir; }
`;

export interface SpawnResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly enoent: boolean;
}

/** The most stdin a request may carry: less than a pipe holds, so the helper never waits. */
export const MAX_INPUT = 60 * 1024;

/**
 * The helper could not run a request. `sent`: whether the command had been handed over (it
 * may have run, in part or whole) — see the header.
 */
export class SpawnerUnavailable extends Error {
  readonly sent: boolean;
  constructor(message: string, sent: boolean) {
    super(message);
    this.sent = sent;
  }
}

interface Pending {
  readonly resolve: (r: SpawnResult) => void;
  readonly reject: (e: Error) => void;
}

const hex = (s: string | Uint8Array): string => (typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s.buffer, s.byteOffset, s.byteLength)).toString('hex');

/** One exit listener for every helper of the process (a test may start dozens). */
const toRemove = new Set<string>();
function removeAtExit(dir: string): void {
  if (toRemove.size === 0) process.once('exit', () => toRemove.forEach((d) => rmSync(d, { recursive: true, force: true })));
  toRemove.add(dir);
}

/**
 * Output directories of sysmanifest processes that no longer exist (killed together with
 * their helper, so nobody removed them): ours (same owner), real directories, dead pid.
 */
function sweepStale(): void {
  const uid = process.getuid?.();
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^sysmanifest-run-(\d+)-/.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue; // alive (or another user's): not ours to remove
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    const path = join(tmpdir(), name);
    try {
      const st = lstatSync(path);
      if (st.isDirectory() && st.uid === uid) rmSync(path, { recursive: true, force: true });
    } catch {
      /* gone meanwhile */
    }
  }
}

export class Spawner {
  private readonly dir: string;
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buf = '';
  private ready = false;
  private broken: Error | undefined;
  // Keeps the event loop alive while requests are out: the helper's pipes are unref'd, so
  // an idle helper never holds the process open.
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(perl: string, env: NodeJS.ProcessEnv) {
    sweepStale();
    this.dir = mkdtempSync(join(tmpdir(), `sysmanifest-run-${process.pid}-`));
    this.child = spawn(perl, ['-e', HELPER, this.dir], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    this.child.unref();
    (this.child.stdin as unknown as { unref?: () => void }).unref?.();
    (this.child.stdout as unknown as { unref?: () => void }).unref?.();
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.onData(chunk));
    // Before "ready" (no perl, a helper that does not compile) nothing written to it ran.
    this.child.on('error', (e) => this.fail(e, this.ready));
    // 'close', not 'exit': by then every line it wrote ("ready" too) has been read.
    this.child.on('close', (code, signal) => this.fail(new Error(`the spawn helper exited (${signal ?? code})`), this.ready));
    this.child.stdin.on('error', (e) => this.fail(e, this.ready));
    removeAtExit(this.dir);
  }

  /** Runs argv; `input` (at most MAX_INPUT bytes) is its stdin, /dev/null without it. */
  run(argv: readonly string[], input?: string | Uint8Array): Promise<SpawnResult> {
    if (this.broken) return Promise.reject(new SpawnerUnavailable(this.broken.message, false));
    if (input !== undefined && Buffer.byteLength(input) > MAX_INPUT) return Promise.reject(new SpawnerUnavailable(`stdin of more than ${MAX_INPUT} bytes`, false));
    const id = this.nextId++;
    return new Promise<SpawnResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.keepAlive ??= setInterval(() => {}, 1 << 30);
      this.child.stdin.write(`${id} ${input === undefined ? '-' : `=${hex(input)}`} ${argv.map(hex).join(' ')}\n`);
    });
  }

  private settle(id: number, fn: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (this.pending.size === 0 && this.keepAlive) {
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
    }
    fn(p);
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line === 'ready' && !this.ready) {
        this.ready = true;
        continue;
      }
      const m = /^(\d+) (F?)(\d+)$/.exec(line);
      if (!m) {
        this.fail(new Error(`the spawn helper said ${JSON.stringify(line)}`), true);
        return;
      }
      const id = Number(m[1]);
      if (m[2] === 'F') {
        this.settle(id, (p) => p.reject(new SpawnerUnavailable(`fork failed (errno ${m[3]})`, false)));
        continue;
      }
      this.settle(id, (p) => p.resolve(this.collect(id, Number(m[3]))));
    }
  }

  private take(file: string): string | undefined {
    const path = join(this.dir, file);
    try {
      const text = readFileSync(path, 'utf8');
      unlinkSync(path);
      return text;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  private collect(id: number, status: number): SpawnResult {
    const stdout = this.take(`${id}.out`) ?? '';
    const stderr = this.take(`${id}.err`) ?? '';
    const execErrno = (status >> 8) === 127 ? this.take(`${id}.exec`) : undefined;
    if (execErrno !== undefined) {
      const errno = Number(execErrno);
      // ENOENT: not installed (the runner names the package); anything else as exit 126 with why.
      return { exitCode: 126, stdout: '', stderr: errno === 2 ? '' : `cannot execute (errno ${errno})`, enoent: errno === 2 };
    }
    const signal = status & 127;
    return { exitCode: signal ? -1 : status >> 8, stdout, stderr, enoent: false };
  }

  private fail(e: Error, sent: boolean): void {
    this.broken ??= e;
    for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(new SpawnerUnavailable(e.message, sent)));
  }
}
