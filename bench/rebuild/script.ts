// plan.json → the plain shell script a careful admin would write for the same rebuild: the
// plan's commands one after another, stdin inputs as here-documents, the LUKS passphrase
// from the same key file. (No preflight, no journal, no verify: that is the point.)
import { readFileSync, writeFileSync } from 'node:fs';
import type { Plan } from '../../src/core/plan/types.ts';

const [planFile, keyFile, out] = process.argv.slice(2);
if (!planFile || !keyFile || !out) throw new Error('usage: script.ts PLAN.json KEYFILE OUT.sh');
const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Plan;
const q = (a: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
const lines = ['#!/bin/sh', 'set -e', 'export LC_ALL=C'];
plan.steps.forEach((s, i) => {
  const cmd = s.argv.map(q).join(' ');
  if (s.input?.kind === 'text') lines.push(`${cmd} >/dev/null <<'SYSMANIFEST_EOF_${i}'`, s.input.text.replace(/\n$/, ''), `SYSMANIFEST_EOF_${i}`);
  else if (s.input?.kind === 'secret') lines.push(`${cmd} >/dev/null < ${q(keyFile)}`);
  else lines.push(`${cmd} >/dev/null`);
  for (const w of s.waitFor ?? []) lines.push(`while [ ! -e ${q(w)} ]; do udevadm settle; done`);
});
writeFileSync(out, `${lines.join('\n')}\n`, { mode: 0o755 });
