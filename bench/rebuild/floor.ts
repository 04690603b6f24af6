// The "floor" a rebuild is measured against: a plain bash script of every disk-changing command
// one rebuild ran (its --log-commands FILE), its internal commands' nested ones included, in the
// order they ran, each fed what the plan fed it on stdin (a text input from the saved plan.json,
// the LUKS passphrase from the same key file). A nested command's stdin is not kept anywhere:
// such a command is left out and counted. What sysmanifest does in Node (writing files, its
// journal, preflight and verify probes) has no line here: the floor is the least the same work
// can take. With a marks file, the script appends "STAGE epoch-ms" there as each rebuild stage
// starts, so the floor can be compared stage by stage.
//   node bench/rebuild/floor.ts LOG.jsonl PLAN.json KEYFILE|- OUT.sh ERRORS MARKS
//     writes OUT.sh; prints {"commands":N,"skipped_stdin":M}
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LoggedCommand } from '../../src/core/runner/logging.ts';
import type { Plan } from '../../src/core/plan/types.ts';

export interface FloorScript {
  readonly commands: number;
  readonly skippedStdin: number;
}

export interface FloorOptions {
  readonly log: string;
  readonly plan: string;
  /** The file the rebuild got as --key-file (fed to steps whose input is the LUKS passphrase). */
  readonly keyFile?: string;
  readonly out: string;
  /** Where the commands' stderr goes (named when the script stops). */
  readonly errors: string;
  /** Stage marks are appended here; absent: no marks. */
  readonly marks?: string;
  /** Where the stdin texts are written (OUT.stdin-N beside the script by default). */
  readonly stdinPrefix?: string;
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function writeFloorScript(o: FloorOptions): FloorScript {
  const plan = JSON.parse(readFileSync(o.plan, 'utf8')) as Plan;
  const entries = readFileSync(o.log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LoggedCommand);
  const key = (argv: readonly string[]): string => JSON.stringify(argv);
  const stepOf = new Map<string, Plan['steps'][number]>();
  for (const s of plan.steps) if (!stepOf.has(key(s.argv))) stepOf.set(key(s.argv), s);
  const isInternal = (a: readonly string[]): boolean => a.some((x) => x.endsWith('sysmanifest.js')) && a.includes('internal');

  // A nested command is logged (appended) when it ends, so before the internal command that ran
  // it: its stage is that of the next command the rebuild itself ran.
  const stages: (string | undefined)[] = new Array(entries.length);
  let next: string | undefined;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (!e.nested && e.kind === 'mutate') next = stepOf.get(key(e.argv))?.stage ?? 'storage';
    stages[i] = next;
  }

  const lines = ['set -e', 'export LC_ALL=C DEBIAN_FRONTEND=noninteractive'];
  let commands = 0;
  let skippedStdin = 0;
  let stage: string | undefined;
  entries.forEach((e, i) => {
    if (e.kind !== 'mutate' || isInternal(e.argv)) return;
    const step = e.nested ? undefined : stepOf.get(key(e.argv));
    let stdin = '/dev/null';
    if (e.stdin) {
      if (step?.input?.kind === 'text') {
        stdin = `${o.stdinPrefix ?? o.out}.stdin-${i}`;
        writeFileSync(stdin, step.input.text);
      } else if (step?.input?.kind === 'secret' && o.keyFile) {
        stdin = o.keyFile;
      } else {
        skippedStdin++;
        return;
      }
    }
    if (o.marks && stages[i] !== stage) {
      stage = stages[i];
      lines.push(`echo ${q(stage ?? '?')} "$(date +%s%3N)" >> ${q(o.marks)}`);
    }
    // A command the rebuild ran with an accepted non-zero exit (apt-get -s: 100, a missing
    // modules.builtin: 1) may fail here too; any other failure stops the script and is named.
    const onFail = e.exit === 0 ? ` || { echo ${q(`failed: ${e.argv.join(' ').slice(0, 200)}`)} >&2; exit 1; }` : ' || true';
    lines.push(`${e.argv.map(q).join(' ')} >/dev/null 2>>${q(o.errors)} <${q(stdin)}${onFail}`);
    // The rebuild waits for the device nodes a step makes (udev): so does the floor.
    if (step?.waitFor?.length) lines.push(`udevadm settle 2>/dev/null || true`);
    commands++;
  });
  if (o.marks) lines.push(`echo end "$(date +%s%3N)" >> ${q(o.marks)}`);
  writeFileSync(o.out, `${lines.join('\n')}\n`, { mode: 0o755 });
  return { commands, skippedStdin };
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const [log, plan, keyFile, out, errors, marks] = process.argv.slice(2);
  if (!log || !plan || !keyFile || !out || !errors) throw new Error('usage: floor.ts LOG.jsonl PLAN.json KEYFILE|- OUT.sh ERRORS [MARKS]');
  const r = writeFloorScript({ log, plan, keyFile: keyFile === '-' ? undefined : keyFile, out, errors, marks });
  console.log(JSON.stringify({ commands: r.commands, skipped_stdin: r.skippedStdin }));
}

/** A rebuild's time per stage: each step's --json "done" event, summed by the stage its plan gives it. */
export function stageTimes(events: string, planFile: string): Record<string, number> {
  const stageOf = new Map((JSON.parse(readFileSync(planFile, 'utf8')) as Plan).steps.map((x) => [x.id, x.stage ?? 'storage']));
  const per: Record<string, number> = {};
  for (const line of events.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { event: string; step: string; ms?: number };
    if (e.event !== 'done' || e.ms === undefined) continue;
    const stage = stageOf.get(e.step) ?? '?';
    per[stage] = (per[stage] ?? 0) + e.ms;
  }
  return per;
}
