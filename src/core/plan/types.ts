// A plan is data: an ordered list of steps with their exact argv. It is computed by pure
// planners from the manifest and the facts of the target disks, printed for the operator,
// saved as JSON, and then executed exactly as shown (same steps, same argv).

export const PLAN_VERSION = 1;

/**
 * read: changes nothing · create: writes onto a device that is blank or was created by an
 * earlier step · destroy: erases existing signatures/data (only with --wipe for that disk).
 */
export type Risk = 'read' | 'create' | 'destroy';

/** What a step's stdin carries. A secret is named, never included: the applier asks for it. */
export type StepInput = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'secret'; readonly secret: 'luks-passphrase' };

/**
 * How to tell, after a crash, whether a step that started also finished: the device must
 * exist and `blkid -p` must report these fields (e.g. TYPE=xfs, UUID=…); for a mount, the
 * device must also be mounted on `mountedOn`.
 */
export interface StepCheck {
  readonly device: string;
  readonly probe: Readonly<Record<string, string>>;
  readonly mountedOn?: string;
  /** Instead of a device: the step is done when something is mounted on this directory (proc, sysfs, a bind). */
  readonly mountpoint?: string;
  /** Instead of a device: the step is done when this directory exists (a mount point on the live system). */
  readonly directory?: string;
}

export interface Step {
  /** Stable and unique within the plan: "table:disk0", "mkfs:disk0p2", "lv:vg0/root". */
  readonly id: string;
  /** One line for a person: "GPT on /dev/vdb (disk0): 3 partitions". */
  readonly title: string;
  readonly argv: readonly string[];
  readonly input?: StepInput;
  readonly risk: Risk;
  /** Ids of steps that must be done first. */
  readonly after: readonly string[];
  /** Manifest id this step creates (for progress and the summary). */
  readonly creates?: string;
  readonly check?: StepCheck;
  /** Wait for these device nodes after the step (no udev: partx / settle in between). */
  readonly waitFor?: readonly string[];
  /**
   * A step whose effect does not survive a reboot of the live system (open LUKS, assemble
   * md, activate a VG, mount, bind /proc into the target): on --resume it is run again when
   * its check does not find it in effect, even if the journal says it was done.
   */
  readonly runtime?: true;
  /**
   * Skip it, even the first time, when its check already holds (an md array that --create left
   * running needs no --assemble; after a reboot it does).
   */
  readonly ensure?: true;
  /** The rebuild stage the step belongs to (storage when absent). */
  readonly stage?: string;
  /**
   * A long step (a base install, the package transaction, the initramfs): its output is
   * followed while it runs and shown as progress (the latest line, the time so far).
   */
  readonly long?: true;
  /**
   * A step whose failure does not stop the rebuild (an optional dataset whose backup is not
   * reachable from the live system): it stays failed in the journal — outstanding — the steps
   * after it run, the result lists it, and `--resume` runs it again.
   */
  readonly deferrable?: true;
}

export interface Plan {
  readonly version: typeof PLAN_VERSION;
  /** sha256 of the manifest file the plan was made from. */
  readonly manifestSha256: string;
  readonly host: string;
  /** Manifest disk id → target device path. */
  readonly disks: Readonly<Record<string, string>>;
  /** Disks the user handed over with --wipe (by manifest id). */
  readonly wipe: readonly string[];
  /** --grow: ids that take the extra space of larger targets (absent without --grow). */
  readonly grow?: readonly string[];
  /** With grow: manifest disk id → size in bytes of its target disk, as planned. */
  readonly diskBytes?: Readonly<Record<string, number>>;
  readonly steps: readonly Step[];
  /** Where the tree is mounted after the storage stage. */
  readonly target: string;
  /** What the manifest holds that this rebuild does not bring back, each with what to do instead. */
  readonly notices?: readonly string[];
}
