// Read-only probes through one small helper process. Every spawn from Node forks the whole
// Node process (~80 MB mapped) and blocks the main thread until the child has exec'd: ~3 ms
// a call here, ~100 ms under the TCG test guest, where it made capture's 88 concurrent probes
// slower than the same calls one after another in sh. A perl helper (perl-base is Essential
// in Debian) forks from a 5 MB process instead: Node writes it one request line per command
// and reads back one line when the command has ended.
//
// It runs exactly the given argv (Perl's `exec {PROGRAM} LIST`: execvp, no shell), stdin
// from /dev/null, stdout and stderr into files of a private 0700 directory that Node reads
// and removes. No perl, a helper that died, a command with stdin or a timeout: the runner
// uses node:child_process as before (read-only commands are safe to run again).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

// Protocol. Request:  "<id> <hex(argv0)> <hex(argv1)> ...\n"
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
my $sel = IO::Select->new(\*STDIN, $wake_r);
while (!$eof || %running) {
  for my $fh ($sel->can_read()) {
    if ($fh == $wake_r) { sysread($wake_r, my $junk, 4096); next; }
    my $n = sysread(STDIN, $buf, 65536, length $buf);
    if (!$n) { $eof = 1; $sel->remove(\*STDIN); next; }
    while ($buf =~ s/^([^\n]*)\n//) {
      my ($id, @hex) = split / /, $1, -1;
      my @argv = map { pack('H*', $_) } @hex;
      my $pid = fork();
      if (!defined $pid) { print "$id F", ($! + 0), "\n"; next; }
      if ($pid == 0) {
        $SIG{CHLD} = 'DEFAULT'; $SIG{PIPE} = 'DEFAULT';
        open(STDIN, '<', '/dev/null'); open(STDOUT, '>', "$dir/$id.out"); open(STDERR, '>', "$dir/$id.err");
        { no warnings 'exec'; exec { $argv[0] } @argv; }
        my $errno = $! + 0;
        if (open(my $f, '>', "$dir/$id.exec")) { print $f $errno; close $f; }
        POSIX::_exit(127);
      }
      $running{$pid} = $id;
    }
  }
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $id = delete $running{$pid};
    print "$id $?\n" if defined $id;
  }
}
`;

export interface SpawnResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly enoent: boolean;
}

/** Thrown when the helper cannot run a request: the caller runs the command itself. */
export class SpawnerUnavailable extends Error {}

interface Pending {
  readonly resolve: (r: SpawnResult) => void;
  readonly reject: (e: Error) => void;
}

const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');

export class Spawner {
  private readonly dir: string;
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buf = '';
  private broken: Error | undefined;
  // Keeps the event loop alive while requests are out: the helper's pipes are unref'd, so
  // an idle helper never holds the process open.
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(perl: string, env: NodeJS.ProcessEnv) {
    this.dir = mkdtempSync(join(tmpdir(), 'sysmanifest-run-'));
    this.child = spawn(perl, ['-e', HELPER, this.dir], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    this.child.unref();
    (this.child.stdin as unknown as { unref?: () => void }).unref?.();
    (this.child.stdout as unknown as { unref?: () => void }).unref?.();
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.onData(chunk));
    this.child.on('error', (e) => this.fail(e));
    this.child.on('exit', (code, signal) => this.fail(new Error(`the spawn helper exited (${signal ?? code})`)));
    this.child.stdin.on('error', (e) => this.fail(e));
    process.once('exit', () => rmSync(this.dir, { recursive: true, force: true }));
  }

  run(argv: readonly string[]): Promise<SpawnResult> {
    if (this.broken) return Promise.reject(new SpawnerUnavailable(this.broken.message));
    const id = this.nextId++;
    return new Promise<SpawnResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.keepAlive ??= setInterval(() => {}, 1 << 30);
      this.child.stdin.write(`${id} ${argv.map(hex).join(' ')}\n`);
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
      const m = /^(\d+) (F?)(\d+)$/.exec(line);
      if (!m) {
        this.fail(new Error(`the spawn helper said ${JSON.stringify(line)}`));
        return;
      }
      const id = Number(m[1]);
      if (m[2] === 'F') {
        this.settle(id, (p) => p.reject(new SpawnerUnavailable(`fork failed (errno ${m[3]})`)));
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

  private fail(e: Error): void {
    this.broken ??= e;
    for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(new SpawnerUnavailable(e.message)));
  }
}
