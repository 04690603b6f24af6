// load (yaml) → apiVersion → validate (ajv) → cross-field rules → typed Manifest.
// Every user mistake becomes one UserError naming the file, the line and the manifest path.
import { isMap, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { UserError } from '../errors.ts';
import { MAX_MANIFEST_BYTES, readInputText } from '../input.ts';
import { printable } from '../text.ts';
import type { Manifest } from './types.gen.ts';
import { checkRules } from './rules.ts';
import { checkScalars } from './scalars.ts';
import { formatPath, validateSchema } from './validate.ts';

export const API_VERSION = 'sysmanifest/v1';

export { MAX_MANIFEST_BYTES };
/** Aliases a manifest may use (capture writes none; a hand-edited one may use a few). */
export const MAX_ALIASES = 100;

export interface Located {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

function lineOf(doc: Document, lc: LineCounter, path: readonly (string | number)[]): number | undefined {
  // The node itself, or the nearest ancestor that exists (a missing field points at its parent).
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

function located(file: string, doc: Document, lc: LineCounter, issues: readonly Located[]): string {
  return issues
    .map((i) => {
      const line = lineOf(doc, lc, i.path);
      return `${file}${line ? `:${line}` : ''}: ${formatPath(i.path)}: ${i.message}`;
    })
    .join('\n');
}

/**
 * The text of a manifest the user named: a regular UTF-8 file of at most MAX_MANIFEST_BYTES.
 * A FIFO, socket or device is refused without being read (see core/input.ts).
 */
export async function readManifestText(file: string): Promise<string> {
  return readInputText(file, {
    what: 'manifest',
    code: 'MANIFEST_NOT_FOUND',
    maxBytes: MAX_MANIFEST_BYTES,
    hints: {
      missing: 'give the path of a manifest.yaml, e.g. ~/sysmanifest/hosts/$(hostname)/manifest.yaml',
      directory: `did you mean ${file.replace(/\/$/, '')}/manifest.yaml?`,
    },
  });
}

/**
 * The document as plain data. Aliases are resolved here, so their abuse is refused here: one
 * that names no anchor, one inside the node it names, and more than MAX_ALIASES of them (a "billion laughs" document
 * expands exponentially: yaml's own maxAliasCount stops it with a ReferenceError).
 */
function toPlain(doc: Document, lc: LineCounter, file: string): unknown {
  let aliases = 0;
  let problem: string | undefined;
  visit(doc, {
    Alias(_key, node, ancestors) {
      aliases++;
      const at = node.range ? `:${lc.linePos(node.range[0]).line}` : '';
      const source = node.resolve(doc);
      if (source === undefined) {
        problem = `${file}${at}: the alias *${node.source} names no anchor defined before it`;
        return visit.BREAK;
      }
      // An alias inside the node it names would make the data contain itself (endless).
      if (ancestors.includes(source as never)) {
        problem = `${file}${at}: the alias *${node.source} lies inside the node it names (a recursive alias)`;
        return visit.BREAK;
      }
      if (aliases > MAX_ALIASES) {
        problem = `${file}${at}: more than ${MAX_ALIASES} YAML aliases; a manifest needs none`;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (problem) throw new UserError('MANIFEST_YAML', problem, { hint: 'write the values out instead of using YAML anchors and aliases' });
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    if (e instanceof ReferenceError || e instanceof RangeError) throw new UserError('MANIFEST_YAML', `${file}: ${e.message}`, { hint: 'write the values out instead of using YAML anchors and aliases' });
    throw e;
  }
}

/** Parse and check a manifest given as text; `file` is only used in messages. */
export function parseManifest(text: string, file: string): Manifest {
  if (text.length > MAX_MANIFEST_BYTES) {
    throw new UserError('MANIFEST_YAML', `${file}: is ${text.length} bytes long; a manifest may be at most ${MAX_MANIFEST_BYTES} bytes`, { hint: 'is this the right file? a manifest is a few KiB to a few MiB' });
  }
  const lc = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    // The parser recurses per nesting level: thousands of nested [ or { exhaust the stack.
    if (e instanceof RangeError) throw new UserError('MANIFEST_YAML', `${file}: not valid YAML: nested too deeply`, { hint: 'a manifest nests a few levels; check the file' });
    throw e;
  }
  if (doc.errors.length > 0) {
    const msgs = doc.errors.map((e) => {
      const pos = lc.linePos(e.pos[0]);
      return `${file}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`;
    });
    throw new UserError('MANIFEST_YAML', `not valid YAML:\n${msgs.join('\n')}`, { hint: 'fix the YAML syntax at the line shown (indentation, a missing colon or quote)' });
  }
  const value = toPlain(doc, lc, file);
  if (!isMap(doc.contents) || value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError('MANIFEST_SCHEMA', `${file}: a manifest is a YAML mapping (apiVersion:, host:, storage: …), this is not one`);
  }
  const api = (value as Record<string, unknown>).apiVersion;
  if (api !== API_VERSION) {
    const line = lineOf(doc, lc, ['apiVersion']);
    throw new UserError(
      'MANIFEST_API_VERSION',
      `${file}${line ? `:${line}` : ''}: apiVersion: ${api === undefined ? 'is missing' : `${printable(JSON.stringify(api) ?? String(api))} is not known`}; this sysmanifest reads ${API_VERSION}`,
      { hint: api === undefined ? `add "apiVersion: ${API_VERSION}" at the top` : 'use a sysmanifest release that knows this apiVersion' },
    );
  }
  const scalarIssues = checkScalars(value);
  if (scalarIssues.length > 0) {
    throw new UserError('MANIFEST_SCHEMA', `has values sysmanifest refuses:\n${located(file, doc, lc, scalarIssues)}`, {
      hint: 'fix the values listed (a manifest written by capture never has them: was it edited or tampered with?)',
    });
  }
  const schemaIssues = validateSchema(value);
  if (schemaIssues.length > 0) {
    throw new UserError('MANIFEST_SCHEMA', `does not match the manifest schema:\n${located(file, doc, lc, schemaIssues)}`, {
      hint: 'the schema is schemas/manifest.schema.json; fix the fields listed',
    });
  }
  const manifest = value as Manifest;
  const ruleIssues = checkRules(manifest);
  if (ruleIssues.length > 0) {
    throw new UserError('MANIFEST_RULE', `is not consistent:\n${located(file, doc, lc, ruleIssues)}`);
  }
  return manifest;
}

export async function loadManifest(file: string): Promise<Manifest> {
  return parseManifest(await readManifestText(file), file);
}
