// Dependency ordering: a stable topological sort (Kahn). Among steps that are ready at the
// same time, the planners' order is kept, so the same manifest always gives the same plan.
import type { Step } from './types.ts';

export function orderSteps(steps: readonly Step[]): Step[] {
  const byId = new Map<string, Step>();
  for (const s of steps) {
    if (byId.has(s.id)) throw new Error(`plan: duplicate step id ${s.id}`);
    byId.set(s.id, s);
  }
  for (const s of steps)
    for (const a of s.after) if (!byId.has(a)) throw new Error(`plan: step ${s.id} waits for unknown step ${a}`);
  const done = new Set<string>();
  const out: Step[] = [];
  while (out.length < steps.length) {
    const next = steps.find((s) => !done.has(s.id) && s.after.every((a) => done.has(a)));
    if (!next) {
      const stuck = steps.filter((s) => !done.has(s.id)).map((s) => s.id);
      throw new Error(`plan: dependency cycle among ${stuck.join(', ')}`);
    }
    done.add(next.id);
    out.push(next);
  }
  return out;
}
