// What must be undone when the process is interrupted (SIGINT, SIGTERM, SIGHUP): our temp files
// removed, our run lock released, the process groups of hooks we started killed. The CLI's signal
// handler (src/cli/interrupt.ts) runs these and exits at once, so they are synchronous: no await
// can be trusted to finish once the handler has decided to exit.
const pending = new Set<() => void>();

/** Register `undo` for an interruption; call the returned function once it is no longer needed. */
export function onInterrupt(undo: () => void): () => void {
  pending.add(undo);
  return () => {
    pending.delete(undo);
  };
}

/** Run (newest first) and forget every registered undo; each one's failure is ignored. */
export function runInterruptCleanups(): void {
  const all = [...pending].reverse();
  pending.clear();
  for (const undo of all) {
    try {
      undo();
    } catch {
      /* best effort: the others still run */
    }
  }
}

/** How many undos are registered (tests: nothing is left registered after a run). */
export function pendingInterruptCleanups(): number {
  return pending.size;
}
