// The identity map of `rebuild --new-identities` (services/rebuild/new-identities.ts): each
// storage identity of the manifest and the fresh value the clone gets instead. Data only: the
// plan's steps carry it (etc-identities), the state directory keeps it (identities.json).

export interface IdentityChange {
  /** Where the manifest keeps it: storage.filesystems[2].uuid … */
  readonly path: string;
  readonly from: string;
  readonly to: string;
  /** An MBR disk id: the numbers of its partitions (their PARTUUIDs are id-NN). */
  readonly partitions?: readonly number[];
}

export interface IdentityMap {
  readonly version: 1;
  readonly changes: readonly IdentityChange[];
}
