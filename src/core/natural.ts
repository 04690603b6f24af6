// Natural order for device names and manifest ids (sdb2 before sdb10, disk2 before disk10).
// One collator for the process: String.prototype.localeCompare with options builds a new ICU
// collator on every call, which showed up as the top JavaScript cost of capture on a slow CPU.
const collator = new Intl.Collator('en', { numeric: true });

export const naturalCompare: (a: string, b: string) => number = collator.compare;
