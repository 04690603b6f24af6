// The rebuild journal: append-only, one JSON line per event, fsynced before the step it
// announces runs and after it finishes. A rerun reads it to resume after the last
// completed step. Never contains secrets (steps carry secret *names* only).
import { constants as fsc } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UserError } from '../errors.ts';

export type JournalEvent = 'start' | 'done' | 'failed' | 'checked';

export interface JournalEntry {
  readonly step: string;
  readonly event: JournalEvent;
  readonly at: string;
  readonly detail?: string;
}

export class Journal {
  private readonly path: string;
  private constructor(path: string) {
    this.path = path;
  }

  static async open(path: string): Promise<Journal> {
    await mkdir(dirname(path), { recursive: true });
    return new Journal(path);
  }

  async append(step: string, event: JournalEvent, detail?: string): Promise<void> {
    const entry: JournalEntry = { step, event, at: new Date().toISOString(), ...(detail !== undefined ? { detail } : {}) };
    const fh = await open(this.path, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT, 0o600);
    try {
      await fh.write(`${JSON.stringify(entry)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async entries(): Promise<JournalEntry[]> {
    return readJournal(this.path);
  }
}

export async function readJournal(path: string): Promise<JournalEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const lines = text.split('\n');
  const out: JournalEntry[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {
      // A crash can cut the very last line short; anything else is a damaged journal.
      if (i < lines.length - 2) throw new UserError('PARSE', `${path}:${i + 1}: damaged journal line`, { hint: 'inspect the journal; remove the state directory only if you mean to start over' });
    }
  });
  return out;
}

/** Per step: the last thing the journal says about it. */
export function stepStates(entries: readonly JournalEntry[]): Map<string, JournalEvent> {
  const m = new Map<string, JournalEvent>();
  for (const e of entries) m.set(e.step, e.event);
  return m;
}
