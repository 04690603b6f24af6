// mergeFile: the one entry point. Cheapest answer first — most files after a reinstall were
// changed on one side only, and those must not cost a parse or a diff.
import { formatFor, type MergeFormat } from './format.ts';
import { mergeJson } from './json.ts';
import { mergeGitconfig, mergeIni, mergeToml } from './keymerge.ts';
import { DEFAULT_LABELS, mergeLines } from './lines.ts';
import type { Structured } from './structured.ts';
import { mergeYaml } from './yaml.ts';

export interface MergeInput {
  base: string;
  ours: string;
  theirs: string;
  /** When absent: formatFor(path), or text without a path. */
  format?: MergeFormat;
  path?: string;
  labels?: { base?: string; ours?: string; theirs?: string };
}

export interface MergeResult {
  text: string;
  conflicts: number;
  format: MergeFormat;
  method: 'trivial' | 'structured' | 'lines';
  /** For 'lines' in a structured format: why the key merge did not decide (a key conflict, or a side that does not parse). */
  fallback?: 'conflict' | 'unparsable';
}

type Merger = (base: string, ours: string, theirs: string) => Structured;

const MERGERS: Partial<Record<MergeFormat, Merger>> = {
  json: mergeJson,
  ini: mergeIni,
  gitconfig: mergeGitconfig,
  toml: mergeToml,
  yaml: mergeYaml,
};

export function mergeFile(input: MergeInput): MergeResult {
  const { base, ours, theirs } = input;
  const format = input.format ?? (input.path === undefined ? 'text' : formatFor(input.path));
  // Trivial: one side did not change (or both made the same change).
  if (ours === theirs || base === theirs) return { text: ours, conflicts: 0, format, method: 'trivial' };
  if (base === ours) return { text: theirs, conflicts: 0, format, method: 'trivial' };

  const labels = { ...DEFAULT_LABELS, ...definedOnly(input.labels) };
  const merger = MERGERS[format];
  const structured = tryMerger(merger, base, ours, theirs);
  if (structured?.kind === 'merged') {
    // The key merge came out as theirs: ours changed no key, only comments or layout (a note
    // above a setting, a commented-out example). The line merge keeps those; take it when it
    // is clean and reads as exactly the same keys and values. The same when the key merge had
    // to re-print the file: a clean line merge keeps everyone's layout.
    if (structured.text === theirs || structured.reprinted) {
      const kept = mergeLines(base, ours, theirs, labels);
      if (kept.conflicts === 0 && structured.same(kept.text)) return { text: kept.text, conflicts: 0, format, method: 'lines' };
    }
    return { text: structured.text, conflicts: 0, format, method: 'structured' };
  }

  const lines = mergeLines(base, ours, theirs, labels);
  return { text: lines.text, conflicts: lines.conflicts, format, method: 'lines', ...(structured ? { fallback: structured.kind } : {}) };
}

/**
 * A library that throws on an input no test foresaw (a YAML edit through an alias, say) must not
 * end a run over thousands of files: that file gets the line merge, which is always correct.
 */
function tryMerger(merger: Merger | undefined, base: string, ours: string, theirs: string): Structured | undefined {
  if (!merger) return undefined;
  try {
    return merger(base, ours, theirs);
  } catch {
    return { kind: 'unparsable' };
  }
}

function definedOnly(labels: MergeInput['labels']): Partial<Record<'base' | 'ours' | 'theirs', string>> {
  const out: Partial<Record<'base' | 'ours' | 'theirs', string>> = {};
  for (const k of ['base', 'ours', 'theirs'] as const) if (labels?.[k] !== undefined) out[k] = labels[k];
  return out;
}
