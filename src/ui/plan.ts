// Renders a plan for a person: which disk goes where, then every step with its exact argv.
import type { Plan } from '../core/plan/types.ts';

const quote = (a: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

export function renderPlan(plan: Plan): string {
  const lines: string[] = [];
  lines.push(`Plan for ${plan.host}: ${plan.steps.length} steps, tree mounted under ${plan.target}`);
  for (const [id, path] of Object.entries(plan.disks)) lines.push(`  ${id} → ${path}${plan.wipe.includes(id) ? '   (handed over with --wipe: existing data is erased)' : ''}`);
  lines.push('');
  const width = String(plan.steps.length).length;
  plan.steps.forEach((s, i) => {
    const risk = s.risk === 'destroy' ? 'DESTROY' : s.risk;
    lines.push(`${String(i + 1).padStart(width)}. [${risk}] ${s.title}`);
    lines.push(`${' '.repeat(width + 2)}$ ${s.argv.map(quote).join(' ')}${s.input?.kind === 'secret' ? '   < passphrase (asked, never stored)' : ''}`);
    if (s.input?.kind === 'text') for (const l of s.input.text.trimEnd().split('\n')) lines.push(`${' '.repeat(width + 4)}| ${l}`);
  });
  return `${lines.join('\n')}\n`;
}
