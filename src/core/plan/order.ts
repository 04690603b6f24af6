// Dependency ordering: a stable topological sort (Kahn). Among steps that are ready at the
// same time, the planners' order is kept, so the same manifest always gives the same plan:
// the next step is always the earliest one (in planner order) whose dependencies are done.
// A min-heap of ready indices makes that n·log n; a manifest with tens of thousands of btrfs
// placeholder subvolumes has as many steps.
import type { Step } from './types.ts';

/** A binary min-heap of numbers. */
class MinHeap {
  private readonly a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(v: number): void {
    const a = this.a;
    a.push(v);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (a[p]! <= a[i]!) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]! < a[m]!) m = l;
        if (r < a.length && a[r]! < a[m]!) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

export function orderSteps(steps: readonly Step[]): Step[] {
  const index = new Map<string, number>();
  steps.forEach((s, i) => {
    if (index.has(s.id)) throw new Error(`plan: duplicate step id ${s.id}`);
    index.set(s.id, i);
  });
  const waiting = steps.map((s) => new Set(s.after).size);
  const dependents: number[][] = steps.map(() => []);
  steps.forEach((s, i) => {
    for (const a of new Set(s.after)) {
      const j = index.get(a);
      if (j === undefined) throw new Error(`plan: step ${s.id} waits for unknown step ${a}`);
      dependents[j]!.push(i);
    }
  });
  const ready = new MinHeap();
  waiting.forEach((w, i) => w === 0 && ready.push(i));
  const out: Step[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    out.push(steps[i]!);
    for (const d of dependents[i]!) if (--waiting[d]! === 0) ready.push(d);
  }
  if (out.length < steps.length) {
    const done = new Set(out);
    throw new Error(`plan: dependency cycle among ${steps.filter((s) => !done.has(s)).map((s) => s.id).join(', ')}`);
  }
  return out;
}
