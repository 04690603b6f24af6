// Renders a plan for a person: which disk goes where, then every step with its exact argv.
import type { Plan } from '../core/plan/types.ts';

const quote = (a: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

export function renderPlan(plan: Plan): string {
  const lines: string[] = [];
  lines.push(`Plan for ${plan.host}: ${plan.steps.length} steps, tree mounted under ${plan.target}`);
  for (const [id, path] of Object.entries(plan.disks)) lines.push(`  ${id} → ${path}${plan.wipe.includes(id) ? '   (handed over with --wipe: existing data is erased)' : ''}`);
  for (const n of plan.notices ?? []) lines.push(`  NOT RESTORED: ${n}`);
  lines.push('');
  const width = String(plan.steps.length).length;
  // A script that many steps share (the users stage runs one per account) is shown in full the
  // first time, then named by that step: the plan stays exact and readable.
  const shown = new Map<string, number>();
  const arg = (a: string, step: number): string => {
    if (!a.includes('\n')) return quote(a);
    const first = shown.get(a);
    if (first !== undefined) return `<the script of step ${first}>`;
    shown.set(a, step);
    return quote(a);
  };
  plan.steps.forEach((s, i) => {
    const risk = s.risk === 'destroy' ? 'DESTROY' : s.risk;
    lines.push(`${String(i + 1).padStart(width)}. [${risk}] ${s.title}`);
    lines.push(`${' '.repeat(width + 2)}$ ${s.argv.map((a) => arg(a, i + 1)).join(' ')}${s.input?.kind === 'secret' ? '   < passphrase (asked, never stored)' : ''}`);
    if (s.input?.kind === 'text') for (const l of s.input.text.trimEnd().split('\n')) lines.push(`${' '.repeat(width + 4)}| ${l}`);
  });
  return `${lines.join('\n')}\n`;
}
