// The runner is the only door to the machine. Services that must not change anything
// (capture, plan, verify) are handed a ReadOnlyRunner: it has no method that can write, and
// its run() refuses any argv that is not on the read-only list (see policy.ts). Only rebuild
// holds a MutatingRunner. There is no dry-run flag anywhere: dry-run is the type.

export interface RunOptions {
  /** Exit codes that are not failures for this call (0 is always fine). blkid -p exits 2 for "nothing found". */
  readonly okExitCodes?: readonly number[];
  /** Fed on stdin (e.g. a passphrase or a binary key file's bytes, never logged). */
  readonly input?: string | Uint8Array;
  readonly timeoutMs?: number;
  /**
   * Run in a process group of its own, and at timeoutMs kill the whole group (SIGTERM, then
   * SIGKILL 2 s later), not only the process: a hook's children too. An interrupted run kills it.
   */
  readonly processGroup?: boolean;
  /**
   * Each line of stdout and stderr (with its newline) as it comes, for progress on long
   * commands (apt-get, mmdebstrap, update-initramfs); the result still holds all of it.
   */
  readonly onLine?: (line: string) => void;
}

/** okExitCodes for a command whose every exit status the caller judges itself (rsync's 24, a guest's own status). */
export const ANY_EXIT_CODE: readonly number[] = Array.from({ length: 255 }, (_, i) => i + 1);

export interface CommandResult {
  readonly argv: readonly string[];
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ReadOnlyRunner {
  readonly mode: 'read-only' | 'mutating';
  /** Run a read-only command; throws UserError COMMAND_FAILED / TOOL_MISSING. */
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** Read a text file (sysfs attribute, /etc/fstab…); throws if it does not exist. */
  readFile(path: string): Promise<string>;
  /** Like readFile, but undefined when the file does not exist. */
  readFileOptional(path: string): Promise<string | undefined>;
  /** Directory entries, sorted; throws if the directory does not exist. */
  readDir(path: string): Promise<string[]>;
  readLink(path: string): Promise<string>;
  exists(path: string): Promise<boolean>;
  /** Raw bytes of a file or block device, read-only (boot sectors, superblocks). */
  readBytes(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** Whether a program is on PATH. */
  hasProgram(program: string): Promise<boolean>;
}

export interface MutatingRunner extends ReadOnlyRunner {
  readonly mode: 'mutating';
  /** Run any command, including ones that write to disks. Only rebuild holds this. */
  mutate(argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
}
