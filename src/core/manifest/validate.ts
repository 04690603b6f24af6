// Schema validation with ajv (2020-12). Errors are reported in manifest paths
// (storage.disks[0].partitions[2].start), never as JSON pointers.
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import common from '../../../schemas/common.schema.json' with { type: 'json' };
import { validateManifest as precompiled } from './validator.gen.js';

export interface SchemaIssue {
  /** Path segments into the document: ['storage', 'disks', 0, 'partitions', 2, 'start']. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * The validator. Compiling every schema costs ~0.4 s on each run, so `npm run gen:types`
 * also writes the compiled code (ajv standalone) to validator.gen.js, and a test keeps it in
 * step with schemas/ (types.test.ts).
 */
function validator(): ValidateFunction {
  return precompiled as unknown as ValidateFunction;
}

export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(seg) ? (out ? `.${seg}` : seg) : `[${JSON.stringify(seg)}]`;
  }
  return out || '(document)';
}

// A pattern is no message for a person: "must match pattern ^(?!\.\.?$)…". The shared
// definitions in common.schema.json say in words what they accept; their text is shown instead.
const PATTERN_TEXT: ReadonlyMap<string, string> = new Map(
  Object.values(common.$defs as Record<string, { pattern?: string; description?: string }>)
    .filter((d) => d.pattern !== undefined && d.description !== undefined)
    .map((d) => [d.pattern!, d.description!.replace(/^An? /, (a) => a.toLowerCase()).replace(/\.$/, '')]),
);

function describe(e: ErrorObject): { extra?: string | number; message: string } {
  switch (e.keyword) {
    case 'additionalProperties': {
      const p = (e.params as { additionalProperty: string }).additionalProperty;
      return { extra: p, message: 'is not a known field (check the spelling, or the schema version)' };
    }
    case 'required': {
      const p = (e.params as { missingProperty: string }).missingProperty;
      return { extra: p, message: 'is required' };
    }
    case 'enum':
      return { message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { message: `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}` };
    case 'pattern': {
      const text = PATTERN_TEXT.get((e.params as { pattern: string }).pattern);
      return { message: text ? `is not valid: must be ${text}` : (e.message ?? 'fails its pattern') };
    }
    case 'minimum':
      return { message: (e.params as { limit: number }).limit === 1 ? 'must be a positive integer' : (e.message ?? 'is out of range') };
    default:
      return { message: e.message ?? `fails ${e.keyword}` };
  }
}

/** Returns the issues, most specific first; [] when the document is valid. */
export function validateSchema(doc: unknown): SchemaIssue[] {
  const v = validator();
  if (v(doc)) return [];
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of v.errors ?? []) {
    // if/then and anyOf/oneOf wrappers repeat what their branches already said.
    if (e.keyword === 'if' || e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
    const d = describe(e);
    const path = pointerToPath(e.instancePath);
    if (d.extra !== undefined) path.push(d.extra);
    const key = `${formatPath(path)} ${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path, message: d.message });
  }
  return issues;
}
