// load (yaml) → apiVersion → validate (ajv) → cross-field rules → typed Manifest.
// Every user mistake becomes one UserError naming the file, the line and the manifest path.
import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import { UserError } from '../errors.ts';
import { MAX_MANIFEST_BYTES, readInputText } from '../input.ts';
import type { Manifest } from './types.gen.ts';
import { checkRules } from './rules.ts';
import { formatPath, validateSchema } from './validate.ts';

export const API_VERSION = 'sysmanifest/v1';

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

/** Parse and check a manifest given as text; `file` is only used in messages. */
export function parseManifest(text: string, file: string): Manifest {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const msgs = doc.errors.map((e) => {
      const pos = lc.linePos(e.pos[0]);
      return `${file}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`;
    });
    throw new UserError('MANIFEST_YAML', `not valid YAML:\n${msgs.join('\n')}`, { hint: 'fix the YAML syntax at the line shown (indentation, a missing colon or quote)' });
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isMap(doc.contents) || value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError('MANIFEST_SCHEMA', `${file}: a manifest is a YAML mapping (apiVersion:, host:, storage: …), this is not one`);
  }
  const api = (value as Record<string, unknown>).apiVersion;
  if (api !== API_VERSION) {
    const line = lineOf(doc, lc, ['apiVersion']);
    throw new UserError(
      'MANIFEST_API_VERSION',
      `${file}${line ? `:${line}` : ''}: apiVersion: ${api === undefined ? 'is missing' : `${JSON.stringify(api)} is not known`}; this sysmanifest reads ${API_VERSION}`,
      { hint: api === undefined ? `add "apiVersion: ${API_VERSION}" at the top` : 'use a sysmanifest release that knows this apiVersion' },
    );
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
