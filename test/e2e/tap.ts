// A small reader for the TAP that `node --test --test-reporter=tap` writes (TAP 13 with
// 4-space-indented subtests and a YAML block after each result). Only what the e2e host
// side needs: the results, nested, with their YAML diagnostics, and the closing counts.

export interface TapResult {
  readonly ok: boolean;
  readonly id: number;
  readonly name: string;
  /** 'SKIP' or 'TODO' with its reason, when the result carries a directive. */
  readonly directive?: { readonly kind: 'SKIP' | 'TODO'; readonly reason: string };
  /** The YAML diagnostic block, de-indented (error, stack, location, duration_ms ...). */
  readonly yaml: string;
  readonly children: TapResult[];
}

export interface TapReport {
  /** Top-level results (in node >= 22, every test at the top of each file). */
  readonly results: TapResult[];
  /** Closing counts: tests, suites, pass, fail, cancelled, skipped, todo. */
  readonly counts: Readonly<Record<string, number>>;
  /** The plan `1..N` at the top level, when present. */
  readonly plan?: number;
}

const RESULT = /^( *)(not ok|ok) (\d+)(?: - (.*))?$/;
const COUNT = /^# (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/;

/** Split "name # SKIP reason" (node escapes a literal '#' in names as '\#'). */
function splitDirective(rest: string): { name: string; directive?: TapResult['directive'] } {
  const m = /^(.*?)(?<!\\) # (SKIP|TODO)\b ?(.*)$/i.exec(rest);
  const unescape = (s: string): string => s.replace(/\\#/g, '#').replace(/\\\\/g, '\\');
  if (!m) return { name: unescape(rest) };
  return { name: unescape(m[1]!), directive: { kind: m[2]!.toUpperCase() as 'SKIP' | 'TODO', reason: unescape(m[3]!) } };
}

export function parseTap(text: string): TapReport {
  const lines = text.split('\n');
  // results per indentation level, waiting to adopt the deeper ones printed before them
  const pending = new Map<number, TapResult[]>();
  const counts: Record<string, number> = {};
  let plan: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const top = COUNT.exec(line);
    if (top) {
      counts[top[1]!] = Number(top[2]);
      continue;
    }
    const p = /^1\.\.(\d+)$/.exec(line);
    if (p) plan = Number(p[1]);
    const m = RESULT.exec(line);
    if (!m) continue;
    const indent = m[1]!.length;
    const yaml: string[] = [];
    if (lines[i + 1] === `${' '.repeat(indent + 2)}---`) {
      let j = i + 2;
      for (; j < lines.length && lines[j] !== `${' '.repeat(indent + 2)}...`; j++) {
        yaml.push(lines[j]!.slice(indent + 2));
      }
      i = j;
    }
    // Subtests are printed (indented by 4) before their parent's result line.
    const children = pending.get(indent + 4) ?? [];
    pending.delete(indent + 4);
    const { name, directive } = splitDirective(m[4] ?? '');
    const result: TapResult = { ok: m[2] === 'ok', id: Number(m[3]), name, yaml: yaml.join('\n'), children, ...(directive ? { directive } : {}) };
    const list = pending.get(indent) ?? [];
    list.push(result);
    pending.set(indent, list);
  }
  return { results: pending.get(0) ?? [], counts, ...(plan === undefined ? {} : { plan }) };
}

/**
 * The failed results that explain the failure, with their path of names ("parent > child"):
 * a parent that failed only because a subtest did is left out, its failing subtests are in.
 */
export function failures(results: readonly TapResult[], prefix = ''): { path: string; result: TapResult }[] {
  return results.flatMap((r) => {
    const path = prefix ? `${prefix} > ${r.name}` : r.name;
    const below = failures(r.children, path);
    const own = !r.ok && !r.directive && below.length === 0 ? [{ path, result: r }] : [];
    return [...own, ...below];
  });
}
