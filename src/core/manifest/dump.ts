// The stable dump: the same manifest always gives the same bytes. Keys follow the order
// the schema lists them in (so a manifest reads top-down like the schema), unknown keys
// after them sorted; undefined values are dropped; no line folding.
import { stringify } from 'yaml';
import { loadSchemaFiles, MANIFEST_SCHEMA_ID, SCHEMA_DIR } from './schemas.ts';
import type { Manifest } from './types.gen.ts';

type Schema = Record<string, unknown>;
interface At {
  readonly schema: Schema | undefined;
  readonly base: string;
}

let byId: Map<string, Schema> | undefined;
function schemas(): Map<string, Schema> {
  byId ??= new Map(loadSchemaFiles().map((f) => [f.schema.$id, f.schema]));
  return byId;
}

function resolve(at: At): At {
  let { schema, base } = at;
  for (let guard = 0; schema && typeof schema.$ref === 'string' && guard < 20; guard++) {
    const url = new URL(schema.$ref, base);
    const doc = schemas().get(url.origin + url.pathname);
    base = url.origin + url.pathname;
    let target: unknown = doc;
    for (const seg of url.hash.replace(/^#\/?/, '').split('/').filter(Boolean)) target = (target as Schema | undefined)?.[decodeURIComponent(seg)];
    schema = target as Schema | undefined;
  }
  return { schema, base };
}

function child(at: At, key: string | number): At {
  const { schema, base } = resolve(at);
  if (!schema) return { schema: undefined, base };
  if (typeof key === 'number') return { schema: schema.items as Schema | undefined, base };
  const props = schema.properties as Record<string, Schema> | undefined;
  return { schema: props?.[key] ?? (typeof schema.additionalProperties === 'object' ? (schema.additionalProperties as Schema) : undefined), base };
}

function canonical(value: unknown, at: At): unknown {
  if (Array.isArray(value)) return value.map((v, i) => canonical(v, child(at, i)));
  if (value === null || typeof value !== 'object') return value;
  const { schema } = resolve(at);
  const order = Object.keys((schema?.properties as Record<string, unknown> | undefined) ?? {});
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
  keys.sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    if (ia !== -1 || ib !== -1) return (ia === -1 ? Infinity : ia) - (ib === -1 ? Infinity : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return Object.fromEntries(keys.map((k) => [k, canonical((value as Record<string, unknown>)[k], child(at, k))]));
}

/**
 * The first line, for editors (yaml-language-server). The schemas' https `$id`s do not resolve,
 * so it names a file: by default the installed package's schema (capture --stdout); a manifest in
 * the manifest repository gets a relative path to the copy there (core/repo/schemas.ts).
 */
export const schemaComment = (ref = `${SCHEMA_DIR}manifest.schema.json`): string => `# yaml-language-server: $schema=${ref}`;

export function dumpManifest(manifest: Manifest, options: { readonly schemaRef?: string } = {}): string {
  const body = stringify(canonical(manifest, { schema: schemas().get(MANIFEST_SCHEMA_ID), base: MANIFEST_SCHEMA_ID }), {
    lineWidth: 0,
    indent: 2,
    aliasDuplicateObjects: false,
  });
  return `${schemaComment(options.schemaRef)}\n${body}`;
}
