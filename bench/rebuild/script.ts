// The plain shell scripts the rebuild is compared with.
//   script.ts plan PLAN.json KEYFILE OUT.sh
//     the plan's commands one after another, as a careful admin would write them: stdin
//     inputs as here-documents, the LUKS passphrase from the same key file. No preflight,
//     no journal, no verify.
//   script.ts same PLAN.json KEYFILE OUT.sh LOG.jsonl
//     every command one rebuild ran (its --log-commands FILE), in the order it ran them:
//     the preflight's and verify's read-only probes too, each disk-changing one with the
//     plan's stdin. What is left between the two is sysmanifest's own cost (Node, the journal,
//     its parsing and checks).
import { readFileSync, writeFileSync } from 'node:fs';
import type { Plan, Step as PlanStep } from '../../src/core/plan/types.ts';
import type { LoggedCommand } from '../../src/core/runner/logging.ts';

const [mode, planFile, keyFile, out, logFile] = process.argv.slice(2);
if ((mode !== 'plan' && mode !== 'same') || !planFile || !keyFile || !out || (mode === 'same' && !logFile)) {
  throw new Error('usage: script.ts plan|same PLAN.json KEYFILE OUT.sh [LOG.jsonl]');
}
const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Plan;
const key: string = keyFile;
const q = (a: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
const lines = ['#!/bin/sh', 'export LC_ALL=C'];
let n = 0;
function step(s: PlanStep): void {
  const cmd = s.argv.map(q).join(' ');
  const i = n++;
  if (s.input?.kind === 'text') lines.push(`${cmd} >/dev/null <<'SYSMANIFEST_EOF_${i}' || exit 1`, s.input.text.replace(/\n$/, ''), `SYSMANIFEST_EOF_${i}`);
  else if (s.input?.kind === 'secret') lines.push(`${cmd} >/dev/null < ${q(key)} || exit 1`);
  else lines.push(`${cmd} >/dev/null || exit 1`);
  for (const w of s.waitFor ?? []) lines.push(`while [ ! -e ${q(w)} ]; do udevadm settle; done`);
}

if (mode === 'plan') {
  plan.steps.forEach(step);
} else {
  const argvKey = (argv: readonly string[]): string => JSON.stringify(argv);
  const steps = new Map(plan.steps.map((s) => [argvKey(s.argv), s]));
  const log = readFileSync(logFile!, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LoggedCommand);
  let mutations = 0;
  for (const c of log.sort((a, b) => a.start - b.start)) {
    if (c.kind === 'mutate') {
      const s = steps.get(argvKey(c.argv));
      if (!s) throw new Error(`the rebuild ran a command that is not in the plan: ${c.argv.join(' ')}`);
      step(s);
      mutations++;
    } else {
      // Read-only probes: some exit non-zero by design (blkid -p finding nothing).
      lines.push(`${c.argv.map(q).join(' ')} >/dev/null 2>&1`);
    }
  }
  if (mutations !== plan.steps.length) throw new Error(`the log has ${mutations} disk-changing commands, the plan ${plan.steps.length} steps`);
}
writeFileSync(out, `${lines.join('\n')}\n`, { mode: 0o755 });
