// The least any Node program can spend on a rebuild's commands: start Node, run every command
// one rebuild ran (its --log-commands FILE) one after another, in the order it ran them, each
// disk-changing one with the plan's stdin (the passphrase from KEYFILE), waiting for the
// device nodes the plan waits for; exit. No manifest, no plan, no journal, no verify logic.
// Plain JavaScript: it runs in the guest.
//   node bench/rebuild/bare.mjs PLAN.json KEYFILE LOG.jsonl
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const [planFile, keyFile, logFile] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planFile, 'utf8'));
const key = readFileSync(keyFile);
const steps = new Map(plan.steps.map((s) => [JSON.stringify(s.argv), s]));
const log = readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).sort((a, b) => a.start - b.start);
const env = { ...process.env, LC_ALL: 'C' };
for (const c of log) {
  const [program, ...args] = c.argv;
  if (c.kind !== 'mutate') {
    spawnSync(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 29 });
    continue;
  }
  const s = steps.get(JSON.stringify(c.argv));
  if (!s) throw new Error(`not in the plan: ${c.argv.join(' ')}`);
  const input = s.input?.kind === 'text' ? s.input.text : s.input?.kind === 'secret' ? key : undefined;
  const r = spawnSync(program, args, { env, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], maxBuffer: 1 << 29 });
  if (r.status !== 0) throw new Error(`${c.argv.join(' ')} failed: ${r.stderr}`);
  for (const w of s.waitFor ?? []) while (!existsSync(w)) spawnSync('udevadm', ['settle'], { env, stdio: 'ignore' });
}
