// What every rule shares. Rules read the manifest loosely (records), so that a rule never
// crashes on a document that passed the schema but is odd in a way it does not care about;
// and every rule is linear or n·log n in the size of the manifest (a 40,000-partition
// manifest is validated in well under a second: `npm run bench validate-scale`).

export type Path = (string | number)[];

export interface RuleIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export type Rec = Record<string, unknown>;
export const arr = (v: unknown): Rec[] => (Array.isArray(v) ? (v as Rec[]) : []);
export const rec = (v: unknown): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
export const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const isPowerOfTwo = (n: number): boolean => Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0 && n <= 2 ** 30;

/** A path as a person reads it in a message: storage.disks[0].partitions[2]. */
export function where(path: readonly (string | number)[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/**
 * The first of each value seen twice, by key: for "is declared twice (first at …)". `items`
 * yields [key, path]; undefined keys are skipped.
 */
export function duplicates(items: Iterable<[string | number | undefined, Path]>, what: string): RuleIssue[] {
  const seen = new Map<string | number, Path>();
  const issues: RuleIssue[] = [];
  for (const [key, path] of items) {
    if (key === undefined) continue;
    const first = seen.get(key);
    if (first) issues.push({ path, message: `${what} ${JSON.stringify(key)} is used twice (first at ${where(first)})` });
    else seen.set(key, path);
  }
  return issues;
}
