// SIGINT (Ctrl-C), SIGTERM and SIGHUP end a run with one word on stderr and the shell's exit
// status for the signal (128 + its number: 130 for SIGINT), after the registered cleanups
// (src/core/interrupt.ts) removed temp files, released the run lock and killed hook groups.
// Node's default would die silently and leave them behind.
import { constants } from 'node:os';
import { runInterruptCleanups } from '../core/interrupt.ts';

let installed = false;
let hint: string | undefined;

/** What to tell the user after an interruption of the current command (e.g. rebuild: --resume). */
export function setInterruptHint(text: string | undefined): void {
  hint = text;
}

/** Exit now as if interrupted by `signal` (also used when Ctrl-C is read from a raw-mode terminal). */
export function exitInterrupted(signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP'): never {
  process.stderr.write(`\nsysmanifest: interrupted (${signal})\n${hint ? `hint: ${hint}\n` : ''}`);
  runInterruptCleanups();
  process.exit(128 + constants.signals[signal]);
}

export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => exitInterrupted(s));
}
